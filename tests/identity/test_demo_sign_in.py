"""GraphiQL's demo sign-in: development only, and nothing else than the demo accounts.

Given the seeded demo data, when GraphiQL posts ``{"as": "client"}`` (or ``careAgent``)
to ``/dev/demo-session``, then the answer's access token signs ``viewer`` in as the demo
client (through the partner sign-in) or the demo care agent. In production, or with
GraphiQL off, the path does not exist (404) and the helper refuses to run.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.core.settings import Settings
from app.demo.identity import DEMO_CARE_AGENT, DEMO_CLIENT_PHONE, demo_session
from app.identity.runtime import IdentityRuntime
from app.web.app import create_app
from app.web.demo_sign_in import DEMO_SESSION_PATH
from models.enums import Role
from models.identity import Session, User
from tests.helpers import gql

VIEWER = "{ viewer { id role displayName } }"


async def _demo(client: httpx.AsyncClient, role: str, **kwargs: Any) -> httpx.Response:
    return await client.post(DEMO_SESSION_PATH, json={"as": role}, **kwargs)


async def test_the_demo_client_signs_in_through_the_partner_sign_in(
    client: httpx.AsyncClient,
) -> None:
    response = await _demo(client, "client")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    viewer = (await gql(client, VIEWER, token=body["accessToken"]))["viewer"]
    assert viewer["role"] == "CLIENT"
    user = await User.get(phone_e164=DEMO_CLIENT_PHONE)
    session = await Session.filter(user_id=user.id).order_by("-created_at").first()
    assert session is not None
    assert session.partner_id is not None  # the demo partner's sign-in, not a shortcut
    assert body["refreshToken"]
    assert body["accessTokenExpiresAt"]


async def test_the_demo_care_agent_signs_in_and_reads_the_queue(
    client: httpx.AsyncClient,
) -> None:
    response = await _demo(client, "careAgent")
    assert response.status_code == 200, response.text
    token = response.json()["accessToken"]
    viewer = (await gql(client, VIEWER, token=token))["viewer"]
    assert viewer["role"] == "CARE_AGENT"
    agent = await User.get(email=DEMO_CARE_AGENT)
    assert viewer["displayName"] == agent.display_name


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ('{"as": "admin"}', {"content-type": "application/json"}, 400),
        ('{"as": "client"', {"content-type": "application/json"}, 400),
        ("[]", {"content-type": "application/json"}, 400),
        ("as=client", {"content-type": "application/x-www-form-urlencoded"}, 415),
        (
            '{"as": "client"}',
            {"content-type": "application/json", "origin": "https://evil.example"},
            403,
        ),
    ],
    ids=["unknown-role", "broken-json", "not-an-object", "a-form", "another-origin"],
)
async def test_only_json_from_this_origin_naming_a_demo_role(
    client: httpx.AsyncClient, body: str, headers: dict[str, str], status: int
) -> None:
    response = await client.post(DEMO_SESSION_PATH, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert "accessToken" not in response.text


async def test_the_same_origin_may(client: httpx.AsyncClient) -> None:
    response = await _demo(client, "client", headers={"origin": "http://testserver"})
    assert response.status_code == 200, response.text


def _app_with(app: Starlette, settings: Settings) -> httpx.AsyncClient:
    served = create_app(settings, runtime=app.state.runtime)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://testserver"
    )


@pytest.mark.parametrize(
    "changes",
    [{"env": "production", "graphiql": True}, {"env": "production"}, {"graphiql": False}],
    ids=["production-with-graphiql", "production", "graphiql-off"],
)
async def test_absent_in_production_and_without_graphiql(
    app: Starlette, settings: Settings, changes: dict[str, object]
) -> None:
    async with _app_with(app, settings.with_(**changes)) as other:
        for role in ("client", "careAgent"):
            response = await _demo(other, role)
            assert response.status_code == 404, response.text
            assert "accessToken" not in response.text
        page = await other.get("/graphql", headers={"accept": "text/html"})
        assert "demo-session" not in page.text


async def test_the_page_offers_it_in_development_only(app: Starlette, settings: Settings) -> None:
    async with _app_with(app, settings.with_(env="development")) as dev:
        page = await dev.get("/graphql", headers={"accept": "text/html"})
        assert DEMO_SESSION_PATH in page.text
    async with _app_with(app, settings.with_(env="production", graphiql=True)) as prod:
        page = await prod.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert '"demoSignIn": null' in page.text


async def test_the_helper_itself_refuses_production(settings: Settings) -> None:
    for role in (Role.CLIENT, Role.CARE_AGENT):
        with pytest.raises(RuntimeError, match="production"):
            await demo_session(settings.with_(env="production"), IdentityRuntime(), role)


async def test_a_disabled_demo_care_agent_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    agent = await User.get(email=DEMO_CARE_AGENT)
    saved = agent.password_hash
    await User.filter(id=agent.id).update(password_hash=None)
    try:
        response = await _demo(client, "careAgent")
        assert response.status_code == 409
        assert "seed --demo" in response.json()["error"]
    finally:
        await User.filter(id=agent.id).update(password_hash=saved)
