"""graphql-transport-ws protocol rules on /graphql: close codes, auth, subprotocols."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app.core.settings import Settings
from app.web.app import create_app
from models.enums import Role
from tests.chat.support import client_with_conversation
from tests.chat.ws import closed_with, raw_ws, ws_session
from tests.factories import signed_in
from tests.helpers import op
from tests.servers import serve_in_loop


@pytest.fixture(scope="module")
async def impatient_server(app: Starlette, settings: Settings) -> AsyncIterator[str]:
    """A second app on the same database whose connection_init timeout is 0.5 s."""
    impatient = create_app(settings.with_(ws_init_timeout_seconds=0.5), runtime=app.state.runtime)
    async with serve_in_loop(impatient) as url:
        yield url


async def test_no_connection_init_closes_4408(impatient_server: str) -> None:
    async with raw_ws(impatient_server) as ws:
        assert await closed_with(ws, wait=3) == 4408


async def test_the_default_init_timeout_is_5_seconds(settings: Settings) -> None:
    assert settings.ws_init_timeout_seconds == 5.0


async def test_subscribe_before_ack_closes_4401(live_server: str) -> None:
    async with raw_ws(live_server) as ws:
        await ws.send(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "subscription { careInbox { kind } }"},
            }
        )
        assert await closed_with(ws) == 4401


async def test_duplicate_subscription_id_closes_4409(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    async with raw_ws(live_server) as ws:
        assert (await ws.init(person.token))["type"] == "connection_ack"
        variables = {"conversationId": conversation["id"]}
        await ws.subscribe(op("MessageAdded"), variables, op_id="same")
        await ws.subscribe(op("MessageAdded"), variables, op_id="same")
        assert await closed_with(ws) == 4409


async def test_second_connection_init_closes_4429(settings: Settings, live_server: str) -> None:
    person = await signed_in(settings, Role.CLIENT)
    async with raw_ws(live_server) as ws:
        assert (await ws.init(person.token))["type"] == "connection_ack"
        await ws.send({"type": "connection_init", "payload": {}})
        assert await closed_with(ws) == 4429


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", None])
async def test_bad_or_missing_token_closes_4403(live_server: str, header: str | None) -> None:
    async with raw_ws(live_server) as ws:
        payload = {"Authorization": header} if header else {}
        await ws.send({"type": "connection_init", "payload": payload})
        assert await closed_with(ws) == 4403


async def test_ping_is_answered_with_pong(settings: Settings, live_server: str) -> None:
    person = await signed_in(settings, Role.CLIENT)
    async with raw_ws(live_server) as ws:
        assert (await ws.init(person.token))["type"] == "connection_ack"
        await ws.send({"type": "ping"})
        assert (await ws.recv())["type"] == "pong"


async def test_the_legacy_graphql_ws_subprotocol_is_refused(live_server: str) -> None:
    try:
        async with raw_ws(live_server, subprotocols=["graphql-ws"]) as ws:
            assert ws.conn.subprotocol is None
            assert await closed_with(ws) == 4406
    except InvalidHandshake:
        pass  # refused during the handshake: fine too


async def test_only_graphql_transport_ws_is_chosen(settings: Settings, live_server: str) -> None:
    person = await signed_in(settings, Role.CLIENT)
    async with ws_session(
        live_server, person.token, subprotocols=["graphql-ws", "graphql-transport-ws"]
    ) as ws:
        assert ws.conn.subprotocol == "graphql-transport-ws"


async def test_a_closed_socket_is_not_an_error_for_the_server(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    async with raw_ws(live_server) as ws:
        assert (await ws.init(person.token))["type"] == "connection_ack"
        await ws.subscribe(op("MessageAdded"), {"conversationId": conversation["id"]})
        await ws.conn.close()
        with pytest.raises(ConnectionClosed):
            await ws.recv(wait=1)
