"""Anonymous public GETs may be cached (briefly, with an ETag and 304); nothing else is."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.core.persisted import sha256_hex
from app.core.settings import Settings
from app.web.app import create_app
from tests.factories import signed_in
from tests.helpers import op


def _catalogue_params(first: int = 20, **extra: Any) -> dict[str, str]:
    return {"query": op("Catalogue"), "variables": json.dumps({"first": first}), **extra}


def _assert_not_stored(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


async def test_an_anonymous_catalogue_get_is_public_for_a_while_with_an_etag(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    first = await client.get("/graphql", params=_catalogue_params())
    assert first.status_code == 200
    assert "errors" not in first.json()
    assert first.headers["cache-control"] == f"public, max-age={settings.public_cache_seconds}"
    etag = first.headers["etag"]
    assert etag.startswith('W/"')  # weak: the gzip and brotli forms share it
    vary = {v.strip().lower() for v in first.headers["vary"].split(",")}
    assert {"accept", "accept-encoding", "accept-language"} <= vary

    again = await client.get(
        "/graphql", params=_catalogue_params(), headers={"if-none-match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"].startswith("public")

    other_page = await client.get(
        "/graphql", params=_catalogue_params(first=2), headers={"if-none-match": etag}
    )
    assert other_page.status_code == 200
    assert other_page.headers["etag"] != etag


async def test_the_304_is_the_same_whatever_the_coding(client: httpx.AsyncClient) -> None:
    br = await client.get("/graphql", params=_catalogue_params(), headers={"accept-encoding": "br"})
    assert br.headers["content-encoding"] == "br"
    for coding in ("gzip", "identity", "br"):
        response = await client.get(
            "/graphql",
            params=_catalogue_params(),
            headers={"accept-encoding": coding, "if-none-match": f'"x", {br.headers["etag"]}'},
        )
        assert response.status_code == 304, coding
        assert "content-encoding" not in response.headers


async def test_with_authorization_post_or_errors_the_answer_is_not_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    viewer = await signed_in(settings)
    personal = await client.get(
        "/graphql",
        params=_catalogue_params(),
        headers={"authorization": f"Bearer {viewer.token}"},
    )
    assert personal.status_code == 200
    _assert_not_stored(personal)

    posted = await client.post(
        "/graphql", json={"query": op("Catalogue"), "variables": {"first": 20}}
    )
    _assert_not_stored(posted)

    wrong = await client.get("/graphql", params={"query": "{ methods { nope } }"})
    assert wrong.json()["errors"]
    _assert_not_stored(wrong)

    bad_variables = await client.get(
        "/graphql", params={"query": op("Catalogue"), "variables": "{}"}
    )
    assert bad_variables.json().get("errors")
    _assert_not_stored(bad_variables)


async def test_a_mutation_over_get_is_never_cached(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { signOut { errors { code } } }"}
    )
    assert response.status_code in (400, 405)
    _assert_not_stored(response)


async def test_a_hashed_catalogue_get_is_what_a_cdn_keeps(client: httpx.AsyncClient) -> None:
    query = f"# {uuid.uuid4().hex}\n{op('Catalogue')}"
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}})
    hashed = {"extensions": extensions, "variables": json.dumps({"first": 20})}

    miss = await client.get("/graphql", params=hashed)
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    _assert_not_stored(miss)  # the client retries with the text: never cache the miss

    registered = await client.get("/graphql", params={**hashed, "query": query})
    assert registered.headers["cache-control"].startswith("public")

    hit = await client.get("/graphql", params=hashed)
    assert hit.status_code == 200
    assert hit.json() == registered.json()
    assert hit.headers["cache-control"].startswith("public, max-age=")
    revalidated = await client.get(
        "/graphql", params=hashed, headers={"if-none-match": hit.headers["etag"]}
    )
    assert revalidated.status_code == 304


@pytest.fixture
async def uncached(app: Starlette, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    off = create_app(settings.with_(public_cache_seconds=0), runtime=app.state.runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=off), base_url="http://testserver"
    ) as c:
        yield c


async def test_public_cache_seconds_0_turns_it_off(uncached: httpx.AsyncClient) -> None:
    response = await uncached.get("/graphql", params=_catalogue_params())
    assert response.status_code == 200
    _assert_not_stored(response)
