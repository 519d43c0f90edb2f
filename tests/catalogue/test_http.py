"""The HTTP surface: GET queries, health probes, and what production turns off."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from app.core.settings import Settings, load_settings
from app.web.app import create_app

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_get_runs_a_query(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ methods { id name } topics { name } }"}
    )
    assert response.status_code == 200
    body = response.json()
    assert not body.get("errors")
    assert len(body["data"]["methods"]) >= 12


async def test_get_refuses_a_mutation(client: httpx.AsyncClient) -> None:
    mutation = 'mutation { signInWithPartner(input: {partnerToken: "x"}) { errors { code } } }'
    response = await client.get("/graphql", params={"query": mutation})
    assert 400 <= response.status_code < 500
    assert "data" not in response.text or not response.json().get("data")


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"process": "ok"}}


async def test_readyz_checks_the_database_redis_and_migrations(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    checks = {"database": "ok", "migrations": "ok"}
    if settings.redis_url:
        checks["redis"] = "ok"
    assert response.json() == {"status": "ok", "checks": checks}


async def test_introspection_works_in_development(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": INTROSPECTION})
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


# --- production ----------------------------------------------------------------


def test_production_settings_turn_graphiql_and_introspection_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    for name in ("GRAPHIQL", "INTROSPECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_PRIVATE_KEY", pem)
    monkeypatch.setenv("VIDEO_APP_SECRET", "a-production-secret-" + "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgres://psyline@127.0.0.1:1/never-connected")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://api.psyline.example/")
    monkeypatch.setenv("ALLOWED_HOSTS", "api.psyline.example")

    prod = load_settings()

    assert prod.is_production
    assert prod.graphiql is False
    assert prod.introspection is False
    assert prod.public_base_url == "https://api.psyline.example"
    assert prod.allowed_hosts == ("api.psyline.example",)


@pytest.fixture
async def production_client(app: Starlette, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The production configuration served over the session's (already open) database."""
    prod = settings.with_(
        env="production",
        graphiql=False,
        introspection=False,
        public_base_url="https://api.psyline.example",
        allowed_hosts=("testserver",),
        hsts_seconds=31_536_000,
    )
    transport = httpx.ASGITransport(app=create_app(prod, runtime=app.state.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_production_serves_no_graphiql(production_client: httpx.AsyncClient) -> None:
    for params in ({}, {"query": "{ methods { id } }"}):
        response = await production_client.get(
            "/graphql", params=params, headers={"accept": "text/html"}
        )
        assert "graphiql" not in response.text.lower()
        assert "<html" not in response.text.lower()
    ok = await production_client.get(
        "/graphql", params={"query": "{ methods { id } }"}, headers={"accept": "application/json"}
    )
    assert ok.status_code == 200


async def test_production_refuses_introspection(production_client: httpx.AsyncClient) -> None:
    response = await production_client.post("/graphql", json={"query": INTROSPECTION})
    body = response.json()
    assert body["errors"]
    assert not body.get("data")
    typename = await production_client.post("/graphql", json={"query": "{ __typename }"})
    assert typename.json()["data"] == {"__typename": "Query"}


async def test_production_gives_no_field_suggestions(
    production_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    query = {"query": "{ psychologist { id } }"}  # close to `psychologists`
    development = (await client.post("/graphql", json=query)).json()["errors"][0]["message"]
    assert "Did you mean" in development
    production = (await production_client.post("/graphql", json=query)).json()
    assert (
        production["errors"][0]["message"] == "Cannot query field 'psychologist' on type 'Query'."
    )


async def test_production_answers_only_for_its_hosts(
    production_client: httpx.AsyncClient,
) -> None:
    response = await production_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"host": "evil.example"}
    )
    assert response.status_code == 400


async def test_photo_urls_come_from_the_public_base_url_not_the_host_header(
    production_client: httpx.AsyncClient,
) -> None:
    query = {"query": "{ psychologists(first: 3) { edges { node { photoUrl } } } }"}
    body = (await production_client.post("/graphql", json=query)).json()
    urls = [e["node"]["photoUrl"] for e in body["data"]["psychologists"]["edges"]]
    assert urls
    assert all(u.startswith("https://api.psyline.example/avatars/") for u in urls), urls


async def test_answers_carry_security_headers_and_graphql_is_never_cached(
    production_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for http in (production_client, client):
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
    hsts = (await production_client.get("/healthz")).headers["strict-transport-security"]
    assert hsts == "max-age=31536000"
    assert "strict-transport-security" not in (await client.get("/healthz")).headers


async def test_the_access_log_holds_no_query_string(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="psyline.access"):
        await client.get(
            "/graphql", params={"query": "{ __typename }", "variables": '{"t": "SECRET-1"}'}
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "psyline.access"]
    assert lines
    assert lines[-1].startswith("GET /graphql 200 ")
    assert "SECRET-1" not in caplog.text
    assert "__typename" not in caplog.text


async def test_large_answers_are_gzipped_for_clients_that_accept_it(
    client: httpx.AsyncClient,
) -> None:
    from tests.helpers import op

    body = {"query": op("Catalogue"), "variables": {"first": 20}}
    plain = await client.post("/graphql", json=body, headers={"accept-encoding": "identity"})
    packed = await client.post("/graphql", json=body, headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()
    assert packed.num_bytes_downloaded * 5 < plain.num_bytes_downloaded
    small = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept-encoding": "gzip"}
    )
    assert "content-encoding" not in small.headers  # under 1 KB: not worth it
