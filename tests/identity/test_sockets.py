"""Every operation on a socket is authorized as it runs; a socket ends with its session.

Over a real graphql-transport-ws client (``tests.chat.ws``) against uvicorn: queries and
mutations sent on an open socket after sign-out, expiry, a disabled partner or a
disabled staff account are refused like over HTTP, and the socket closes with 4403
within the sweep interval (0.2 s in the tests' settings); each operation has fresh
dataloaders; the oldest socket beyond the per-user cap is closed (4429); frames that are
not protocol objects close with 4400, never an abnormal 1006.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine

from app.core import clock
from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.partners import disable_partner
from app.identity.sessions import start_session
from app.identity.sockets import LiveSocket, LiveSockets, SocketEnd
from app.identity.staff import disable_staff
from app.identity.viewer import Viewer
from models.enums import Role
from models.identity import Partner, User
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.chat.ws import GraphQLWS, raw_ws, ws_session
from tests.factories import next_phone
from tests.helpers import count_sql, gql, op

SIGN_OUT = "mutation { signOut { ok errors { code message } } }"
VIEWER = "query { viewer { id } }"
UNREAD = "query { viewer { careConversation { unreadCount } } }"


async def run(ws: GraphQLWS, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """One query or mutation over the socket: its ``next`` message (then ``complete``)."""
    op_id = await ws.subscribe(query, variables)
    message = await ws.next(op_id)
    assert message["type"] == "next", message
    payload: dict[str, Any] = message["payload"]
    return payload


def refused(payload: dict[str, Any]) -> str:
    assert payload.get("data") in (None, {"viewer": None}), payload
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", payload
    message: str = payload["errors"][0]["message"]
    return message


async def closed(ws: GraphQLWS, wait: float = 2.0) -> int | None:
    """The close code the server ended the socket with (within ``wait`` seconds)."""
    await asyncio.wait_for(ws.closed.wait(), wait)
    return ws.close_code


async def test_a_query_after_sign_out_is_refused_and_the_socket_closes(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, _ = await client_with_conversation(client, settings)
    async with ws_session(live_server, person.token) as ws:
        assert (await run(ws, VIEWER))["data"]["viewer"]["id"]
        assert (await gql(client, SIGN_OUT, token=person.token))["signOut"]["ok"] is True
        assert refused(await run(ws, VIEWER)) == Msg.SESSION_ENDED.render()
        assert await closed(ws) == 4403


async def test_a_mutation_on_a_socket_whose_token_expired_is_refused(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    variables = {
        "conversationId": conversation["id"],
        "text": "Отправлено после истечения токена",
        "clientMessageId": uuid.uuid4().hex,
    }
    async with ws_session(live_server, person.token) as ws:
        with time_machine.travel(clock.now() + timedelta(minutes=16), tick=True):
            op_id = await ws.subscribe(op("SendMessage"), variables)
            message = await ws.next(op_id) if not ws.closed.is_set() else None
            if message is not None and message["type"] == "next":  # else the sweep came first
                assert refused(message["payload"]) == Msg.ACCESS_TOKEN_EXPIRED.render()
            assert await closed(ws) == 4403
    # Nothing was written.
    history = await gql(client, op("CareChat"), {"last": 20}, token=person.token)
    texts = [e["node"]["text"] for e in history["viewer"]["careConversation"]["messages"]["edges"]]
    assert variables["text"] not in texts


async def test_disabling_a_partner_closes_its_clients_sockets(
    settings: Settings, live_server: str
) -> None:
    name = f"clinic-{uuid.uuid4().hex[:8]}"
    partner = await Partner.create(name=name, issuer=f"https://{name}.test")
    user = await User.create(role=Role.CLIENT, phone_e164=next_phone())
    issued = await start_session(settings, user, partner=partner)
    async with ws_session(live_server, issued.access_token) as ws:
        sub = await ws.subscribe(op("CareChat"), {"last": 1})
        assert (await ws.next(sub))["type"] == "next"
        assert await disable_partner(name) == 1
        assert await closed(ws) == 4403
    refused_again = await _init_code(live_server, issued.access_token)
    assert refused_again == 4403


async def test_disabling_a_staff_account_ends_its_subscriptions_then_the_socket(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    staff = await agent(settings)
    assert staff.user.email is not None
    async with ws_session(live_server, staff.token) as ws:
        inbox = await ws.subscribe(op("CareInbox"))
        await asyncio.sleep(0.1)  # the subscription is registered
        assert await disable_staff(staff.user.email) == 1
        message = await ws.next(inbox, wait=2)
        assert message["type"] == "next"
        assert refused(message["payload"]) == Msg.SESSION_ENDED.render()
        assert (await ws.next(inbox))["type"] == "complete"
        assert await closed(ws) == 4403


async def test_each_operation_on_a_socket_has_fresh_dataloaders(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    async with ws_session(live_server, person.token) as ws:
        before = (await run(ws, UNREAD))["data"]["viewer"]["careConversation"]["unreadCount"]
        await send_ok(client, staff.token, conversation["id"], "Здравствуйте! Чем помочь?")
        after = (await run(ws, UNREAD))["data"]["viewer"]["careConversation"]["unreadCount"]
        assert after == before + 1


async def test_the_oldest_socket_beyond_the_per_user_cap_is_closed(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, _ = await client_with_conversation(client, settings)
    cap = settings.ws_max_per_user
    async with ws_session(live_server, person.token) as oldest:
        others = [ws_session(live_server, person.token) for _ in range(cap)]
        sockets = [await s.__aenter__() for s in others]
        try:
            assert await closed(oldest) == 4429
            for ws in sockets:  # the newest ones all work
                assert (await run(ws, VIEWER))["data"]["viewer"]["id"]
        finally:
            for s in reversed(others):
                await s.__aexit__(None, None, None)


@pytest.mark.parametrize(
    "frame",
    [
        [],
        [{"type": "ping"}],
        "ping",
        1,
        None,
        {"type": 7},
        {"id": "1", "type": "subscribe", "payload": []},
        {"id": ["1"], "type": "subscribe", "payload": {"query": "{ __typename }"}},
        {"id": "1", "type": "subscribe", "payload": {"query": 5}},
        {"id": "1", "type": "subscribe", "payload": {"query": "{ a }", "variables": []}},
        {"id": "1", "type": "subscribe", "payload": {"query": "{ a }", "operationName": 1}},
    ],
)
async def test_a_frame_that_is_not_a_protocol_object_closes_with_4400(
    settings: Settings, live_server: str, frame: object
) -> None:
    token, _ = await _client(settings)
    async with raw_ws(live_server) as ws:
        assert (await ws.init(token))["type"] == "connection_ack"
        await ws.conn.send(json.dumps(frame))
        ws.start_reader()
        assert await closed(ws) == 4400


async def test_a_non_object_frame_before_init_closes_with_4400(live_server: str) -> None:
    async with raw_ws(live_server) as ws:
        await ws.conn.send("[]")
        ws.start_reader()
        assert await closed(ws) == 4400


async def test_one_sweep_checks_every_socket_in_one_statement(settings: Settings) -> None:
    sockets = LiveSockets(per_user=5, total=10_000, check_seconds=60)
    ended: list[SocketEnd] = []

    async def end(why: SocketEnd) -> None:
        ended.append(why)

    user = await User.create(role=Role.CLIENT, phone_e164=next_phone())
    live = await start_session(settings, user)
    expires = clock.now() + timedelta(minutes=15)
    for n in range(300):  # 300 users, one socket each; all but the last session gone
        session_id = live.session_id if n == 299 else uuid.uuid4().hex
        await sockets.add(LiveSocket(Viewer(10_000_000 + n, Role.CLIENT, session_id, expires), end))
    with count_sql() as sql:
        assert await sockets.sweep() == 299
    assert sql.count == 1
    assert len(sockets) == 1
    assert set(ended) == {SocketEnd.SESSION_ENDED}


async def test_the_global_cap_closes_the_oldest_socket() -> None:
    sockets = LiveSockets(per_user=5, total=3, check_seconds=60)
    ended: list[tuple[int, SocketEnd]] = []
    expires = clock.now() + timedelta(minutes=15)

    def socket(n: int) -> LiveSocket:
        async def end(why: SocketEnd) -> None:
            ended.append((n, why))

        return LiveSocket(Viewer(n, Role.CLIENT, f"s{n}", expires), end)

    for n in range(5):
        await sockets.add(socket(n))
    assert ended == [(0, SocketEnd.SERVER_FULL), (1, SocketEnd.SERVER_FULL)]
    assert len(sockets) == 3


async def _client(settings: Settings) -> tuple[str, User]:
    user = await User.create(role=Role.CLIENT, phone_e164=next_phone())
    issued = await start_session(settings, user)
    return issued.access_token, user


async def _init_code(live_server: str, token: str) -> int | None:
    """What a new socket opened with ``token`` gets: the close code of its refusal."""
    async with raw_ws(live_server) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        ws.start_reader()
        return await closed(ws)
