"""Browsers on other origins: an explicit allow-list, preflight answered with what
clients send, everyone else refused; the WebSocket checks the same list."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.core.settings import Settings
from app.web.app import create_app
from tests.chat.ws import PROTOCOL, ws_url
from tests.servers import serve_in_loop

APP_ORIGIN = "https://app.clinic.example"
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,content-type,apollographql-client-name",
}


@pytest.fixture
async def cors_app(app: Starlette, settings: Settings) -> Starlette:
    return create_app(settings.with_(allowed_origins=(APP_ORIGIN,)), runtime=app.state.runtime)


@pytest.fixture
async def browser(cors_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_an_allowed_origin_passes_the_preflight_and_reads_the_answer(
    browser: httpx.AsyncClient,
) -> None:
    preflight = await browser.options("/graphql", headers={"origin": APP_ORIGIN, **PREFLIGHT})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "apollographql-client-name"):
        assert header in allowed
    answer = await browser.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": APP_ORIGIN}
    )
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN


async def test_another_origin_is_refused(browser: httpx.AsyncClient) -> None:
    preflight = await browser.options(
        "/graphql", headers={"origin": "https://evil.example", **PREFLIGHT}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    answer = await browser.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in answer.headers  # the browser hides it


async def test_without_the_setting_only_the_same_origin_may(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/graphql", headers={"origin": APP_ORIGIN, **PREFLIGHT})
    assert "access-control-allow-origin" not in preflight.headers


async def test_the_websocket_checks_the_same_list(cors_app: Starlette) -> None:
    async with serve_in_loop(cors_app) as url:
        async with connect(
            ws_url(url),
            subprotocols=[PROTOCOL],
            origin=APP_ORIGIN,  # type: ignore[list-item,arg-type]
        ):
            pass
        with pytest.raises(InvalidStatus):
            async with connect(
                ws_url(url),
                subprotocols=[PROTOCOL],
                origin="https://evil.example",  # type: ignore[list-item,arg-type]
            ):
                pass
