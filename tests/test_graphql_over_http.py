"""GraphQL over HTTP (the specification's draft), rule by rule, over the ASGI app; then
npm ``graphql-http``'s own audit suite (``auditServer``) against a real uvicorn.

``app/web/dialect.py`` states the rules; README "The HTTP dialect" sums them up.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.persisted import sha256_hex
from app.core.settings import Settings
from app.web.app import json_text
from app.web.dialect import response_media_type, response_status
from tests.factories import signed_in
from tests.helpers import count_sql, error_codes

GR = "application/graphql-response+json"
JS = "application/json"
TYPENAME = {"query": "{ __typename }"}
REQUEST_ERRORS = {
    "parse": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "variables": {"query": "query($first: Int!) { methods { id } }", "variables": {}},
    "cost": {
        "query": "{ psychologists(first: 100) { edges { node { reviews(first: 100) "
        "{ edges { node { id } } } } } } }"
    },
}
FIELD_ERROR = {"query": '{ psychologists(first: 1, after: "garbage") { totalCount } }'}


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], accept: str | None, **headers: str
) -> httpx.Response:
    if accept is not None:
        headers["accept"] = accept
    return await client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JS),  # no Accept: the legacy media type
        ("", JS),
        ("*/*", JS),  # a wildcard alone: application/json (the audit's 47DE)
        ("application/*", JS),
        (GR, GR),
        (f"{GR}, {JS};q=0.9", GR),  # what the specification tells clients to send
        (f"{GR},{JS};q=0.9", GR),  # Apollo Client 4
        (f"{JS}, {GR};q=0.5", JS),
        (f"{JS}, {GR}", JS),  # equal q: the one listed first
        (f"{GR}, {JS}", GR),
        (f"{JS};q=0, */*", GR),  # an explicit q=0 beats the wildcard
        (f"{GR};q=0, */*", JS),
        (f"{GR};q=0.2, */*;q=0.1", GR),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JS),  # a browser
        ("text/csv", None),  # nothing we can answer in: 406
        (f"{GR};q=0, {JS};q=0", None),
        (f"text/csv, {GR};q=nonsense", None),  # a malformed q is no q
        ("not a media range", JS),  # nothing readable: as if absent
    ],
)
def test_the_answer_media_type_follows_accept(accept: str | None, expected: str | None) -> None:
    assert response_media_type(accept) == expected


@pytest.mark.parametrize(("accept", "media"), [(GR, GR), (JS, JS), ("*/*", JS), (None, JS)])
async def test_answers_name_their_media_type_with_utf8(
    client: httpx.AsyncClient, accept: str | None, media: str
) -> None:
    response = await post(client, {"query": '{ __type(name: "Run🏃Swim🏊") { name } }'}, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert response.json() == {
        "data": {"__type": None},
        "extensions": {"cost": {"requested": 0, "budget": 10000}},  # __typename is free
    }


async def test_text_travels_as_utf8_and_a_lone_surrogate_never_breaks_the_answer(
    client: httpx.AsyncClient,
) -> None:
    # A Russian message (signing in is needed) comes as UTF-8, not as \\u escapes.
    response = await post(client, {"query": "{ careQueue(first: 1) { totalCount } }"}, JS)
    message = response.json()["errors"][0]["message"]
    assert any("\u0430" <= char <= "\u044f" for char in message.lower()), message  # Cyrillic
    assert message.encode() in response.content
    assert b"\\u04" not in response.content
    # A lone surrogate (a valid JSON escape, not valid UTF-8) is refused at the door ...
    body = '{"query":"query($n: Int!) { __typename }","variables":{"n":"\\ud800"}}'
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": JS}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]
    # ... and one from anywhere else is sent escaped rather than failing to encode.
    assert json_text({"m": "Анна \ud800"}) == '{"m":"\\u0410\\u043d\\u043d\\u0430 \\ud800"}'
    assert json_text({"m": "Анна"}) == '{"m":"Анна"}'


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_a_request_error_is_400_with_graphql_response_json_and_200_with_json(
    client: httpx.AsyncClient, kind: str
) -> None:
    modern = await post(client, REQUEST_ERRORS[kind], GR)
    assert modern.status_code == 400, modern.text
    assert modern.headers["content-type"] == f"{GR}; charset=utf-8"
    legacy = await post(client, REQUEST_ERRORS[kind], JS)
    assert legacy.status_code == 200
    for body in (modern.json(), legacy.json()):
        assert "data" not in body  # nothing was executed (GraphQL spec: no data entry)
        assert body["errors"]
    assert error_codes(modern.json()) == error_codes(legacy.json())


async def test_a_field_error_during_execution_stays_200(client: httpx.AsyncClient) -> None:
    for accept in (GR, JS):
        response = await post(client, FIELD_ERROR, accept)
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None  # executed: the entry is there, null
        assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_persisted_query_miss_is_a_request_error(client: httpx.AsyncClient) -> None:
    digest = sha256_hex("query NeverSent { methods { id } } # graphql-over-http")
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    modern = await post(client, body, f"{GR}, {JS};q=0.9")
    assert modern.status_code == 400
    assert modern.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    legacy = await post(client, body, JS)
    assert legacy.status_code == 200  # as Apollo Server answers it
    assert error_codes(legacy.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_data_is_always_a_2xx_with_graphql_response_json() -> None:
    """A partial answer while the database is away: 503 for legacy clients, but the
    specification's MUST (data that is not null is a 2xx) wins for the new media type."""
    partial = {"data": {"viewer": None}, "errors": [{"message": "x"}]}
    assert response_status(GR, partial, 503) == 200
    assert response_status(JS, partial, 503) == 503
    assert response_status(GR, {"errors": [{"message": "x"}]}, 503) == 503
    assert response_status(GR, {"data": None, "errors": [{"message": "x"}]}, None) == 200


@pytest.mark.parametrize("accept", [GR, JS, None])
async def test_a_mutation_over_get_is_405_allow_post_and_not_run(
    client: httpx.AsyncClient, settings: Settings, accept: str | None
) -> None:
    person = await signed_in(settings)
    query = "mutation { signOut { ok } }"  # ends the access token's own session
    params = {"query": query, "variables": "{}"}
    headers = {**person.headers, **({"accept": accept} if accept else {})}
    response = await client.get("/graphql", params=params, headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_codes(response.json()) == ["METHOD_NOT_ALLOWED"]
    viewer = await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
    assert viewer.json()["data"]["viewer"] is not None  # the GET did not sign out
    still = await client.post("/graphql", json={"query": query}, headers=person.headers)
    assert still.json()["data"]["signOut"]["ok"] is True


async def test_a_get_runs_queries_and_empty_optional_parameters_are_absent(
    client: httpx.AsyncClient,
) -> None:
    params = {"query": "query Q { __typename }", "operationName": "", "variables": "",
              "extensions": ""}  # fmt: skip
    response = await client.get("/graphql", params=params, headers={"accept": GR})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"__typename": "Query"}
    assert response.headers["content-type"] == f"{GR}; charset=utf-8"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
async def test_other_methods_are_405_allow_get_post_before_any_work(
    client: httpx.AsyncClient, method: str
) -> None:
    with count_sql() as sql:
        response = await client.request(
            method, "/graphql", json=TYPENAME, headers={"authorization": "Bearer x.y.z"}
        )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert sql.count == 0  # refused before the session lookup
    if method != "HEAD":
        assert response.headers["content-type"] == f"{JS}; charset=utf-8"
        assert error_codes(response.json()) == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "text/plain;charset=UTF-8", "application/graphql",
     "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
     "application/json; charset=latin-1", "application/jsonx", GR],
)  # fmt: skip
async def test_a_post_that_is_not_json_is_415(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/graphql", content=json.dumps(TYPENAME), headers=headers)
    assert response.status_code == 415, response.text
    assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/json; charset=UTF-8", JS]
)
async def test_json_with_or_without_utf8_charset_is_read(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/graphql", content=json.dumps(TYPENAME), headers={"content-type": content_type}
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_an_unacceptable_accept_is_406_before_any_work(client: httpx.AsyncClient) -> None:
    with count_sql() as sql:
        posted = await post(client, TYPENAME, "text/csv", authorization="Bearer x.y.z")
        got = await client.get("/graphql", params=TYPENAME, headers={"accept": "image/png"})
    for response in (posted, got):
        assert response.status_code == 406
        assert response.headers["content-type"] == f"{JS}; charset=utf-8"
        assert error_codes(response.json()) == ["NOT_ACCEPTABLE"]
    assert sql.count == 0


async def test_graphiql_still_opens_for_a_browser(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "BAD_REQUEST"),  # no body
        (b'{ "not a JSON', "BAD_REQUEST"),
        (b'{"qeury": "{ __typename }"}', "BAD_REQUEST"),  # no query
        (b'{"query": 0}', "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "operationName": 0}', "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "operationName": ["Q"]}', "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "variables": "x"}', "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "extensions": false}', "BAD_REQUEST"),
    ],
)
async def test_a_body_that_is_not_a_graphql_request_is_400_json(
    client: httpx.AsyncClient, content: bytes, code: str
) -> None:
    for accept in (GR, JS):
        response = await client.post(
            "/graphql", content=content, headers={"content-type": JS, "accept": accept}
        )
        assert response.status_code == 400, response.text
        # Not a GraphQL response: never labelled application/graphql-response+json.
        assert response.headers["content-type"] == f"{JS}; charset=utf-8"
        assert error_codes(response.json()) == [code]


async def test_null_optional_parameters_are_absent(client: httpx.AsyncClient) -> None:
    body = {**TYPENAME, "operationName": None, "variables": None, "extensions": None}
    response = await post(client, body, GR)
    assert response.status_code == 200
    assert "errors" not in response.json()


async def test_a_body_over_the_limit_is_413_json(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post(
        "/graphql", content=b" " * (settings.max_body_bytes + 1), headers={"content-type": JS}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == f"{JS}; charset=utf-8"
    assert error_codes(response.json()) == ["REQUEST_TOO_LARGE"]


async def test_the_graphql_http_audit_passes_every_must(
    node_clients: Path, live_server: str
) -> None:
    """npm graphql-http's ``auditServer`` (tests/node/graphql_http_audit.mjs). Every MUST
    and every SHOULD passes; the MAYs not taken are the ones README lists."""
    node = await asyncio.create_subprocess_exec(
        "node", "graphql_http_audit.mjs", f"{live_server}/graphql",
        cwd=node_clients, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(node.communicate(), 120)
    report = stdout.decode()
    assert node.returncode == 0, report + stderr.decode()
    summary: dict[str, Any] = json.loads(report.strip().splitlines()[-1])
    failed = {r["id"] for r in summary["results"] if r["status"] != "ok"}
    assert summary["levels"]["MUST"]["ok"] == summary["levels"]["MUST"]["total"], report
    assert summary["levels"]["SHOULD"]["ok"] == summary["levels"]["SHOULD"]["total"], report
    assert failed == set(), report
