"""The HTTP surface: GET queries, health probes, and what production turns off."""

from __future__ import annotations

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
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


async def test_introspection_works_in_development(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": INTROSPECTION})
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


# --- production ----------------------------------------------------------------


def test_production_settings_turn_graphiql_and_introspection_off(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
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
    monkeypatch.setenv("DATABASE_URL", settings.database_url)

    prod = load_settings()

    assert prod.is_production
    assert prod.graphiql is False
    assert prod.introspection is False


@pytest.fixture
async def production_client(app: Starlette, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The production configuration served over the session's (already open) database."""
    prod = settings.with_(env="production", graphiql=False, introspection=False)
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
