# ruff: noqa: RUF001 - Russian text
"""Care chat over WebSocket (graphql-transport-ws) against a real uvicorn."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from app.chat import sla
from app.core.messages import Msg
from app.core.settings import Settings
from models.chat import Conversation
from models.enums import Role
from schema.relay import decode_id
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.chat.ws import GraphQLWS, ws_session
from tests.factories import signed_in
from tests.helpers import count_sql, gql, op


async def _texts(ws: GraphQLWS, op_id: str, count: int) -> list[str]:
    texts = []
    for _ in range(count):
        data = await ws.data(op_id)
        edge = data["messageAdded"]
        assert edge["cursor"]
        texts.append(edge["node"]["text"])
    return texts


async def test_message_added_streams_both_sides(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings, "Мария")
    cid = conversation["id"]
    async with (
        ws_session(live_server, person.token) as mine,
        ws_session(live_server, staff.token) as theirs,
    ):
        a = await mine.subscribe(op("MessageAdded"), {"conversationId": cid})
        b = await theirs.subscribe(op("MessageAdded"), {"conversationId": cid})
        await asyncio.sleep(0.2)  # no replay without `after`: nothing to wait for
        await send_ok(client, person.token, cid, "Нет звука")
        await send_ok(client, staff.token, cid, "Сейчас поможем", operation="AgentReply")
        for ws, op_id in ((mine, a), (theirs, b)):
            first = (await ws.data(op_id))["messageAdded"]
            second = (await ws.data(op_id))["messageAdded"]
            assert first["node"]["text"] == "Нет звука"
            assert first["node"]["author"] == {"role": "CLIENT", "displayName": "Анна"}
            assert second["node"]["author"] == {"role": "CARE_AGENT", "displayName": "Мария"}
            await ws.nothing(op_id)


async def test_resume_with_after_delivers_every_message_exactly_once(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    cid = conversation["id"]
    welcome_cursor = conversation["messages"]["edges"][-1]["cursor"]
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(
            op("MessageAdded"), {"conversationId": cid, "after": welcome_cursor}
        )
        await send_ok(client, person.token, cid, "1")
        edge = (await ws.data(sub))["messageAdded"]
        assert edge["node"]["text"] == "1"
        last_cursor = edge["cursor"]
    # Disconnected: messages arrive meanwhile, from both sides.
    await send_ok(client, staff.token, cid, "2", operation="AgentReply")
    await send_ok(client, person.token, cid, "3")
    await send_ok(client, staff.token, cid, "4", operation="AgentReply")
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid, "after": last_cursor})
        assert await _texts(ws, sub, 3) == ["2", "3", "4"]
        await send_ok(client, person.token, cid, "5")
        assert await _texts(ws, sub, 1) == ["5"]
        await ws.nothing(sub, 0.5)


async def test_replay_and_live_have_no_gap_and_no_duplicate_under_load(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    cid = conversation["id"]
    after = conversation["messages"]["edges"][-1]["cursor"]
    for i in range(5):
        await send_ok(client, person.token, cid, f"до {i}")

    async def writer() -> None:
        for i in range(15):
            await send_ok(client, staff.token, cid, f"во время {i}", operation="AgentReply")
            await asyncio.sleep(0)

    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid, "after": after})
        await writer()
        texts = await _texts(ws, sub, 20)
        await ws.nothing(sub, 0.5)
    assert texts == [f"до {i}" for i in range(5)] + [f"во время {i}" for i in range(15)]


async def test_a_client_cannot_subscribe_to_another_clients_conversation(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    _, theirs = await client_with_conversation(client, settings)
    intruder, _ = await client_with_conversation(client, settings, name="Борис")
    async with ws_session(live_server, intruder.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": theirs["id"]})
        message = await ws.next(sub)
        assert message["type"] in ("next", "error")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors
        assert errors[0]["message"] == Msg.CONVERSATION_NOT_YOURS.render()
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
        if message["type"] == "next":
            assert (await ws.next(sub))["type"] == "complete"


async def test_clients_cannot_subscribe_to_the_care_inbox(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person = await signed_in(settings, Role.CLIENT)
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("CareInbox"))
        message = await ws.next(sub)
        assert message["payload"]["errors"][0]["message"] == Msg.CARE_TEAM_ONLY.render()


async def test_an_expiring_token_ends_the_subscription_with_an_error(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    short = settings.with_(access_token_ttl_seconds=2)
    person = await signed_in(short, Role.CLIENT)
    data = await gql(client, op("CareChat"), {"last": 1}, token=person.token)
    cid = data["viewer"]["careConversation"]["id"]
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid})
        message = await ws.next(sub, wait=6)
        assert message["type"] == "next"
        error = message["payload"]["errors"][0]
        assert error["message"] == Msg.SOCKET_TOKEN_EXPIRED.render()
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await ws.next(sub))["type"] == "complete"


async def test_care_inbox_events_and_one_sla_breach(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    staff = await agent(settings, "Мария")
    person, conversation = await client_with_conversation(client, settings)
    cid = conversation["id"]
    async with ws_session(live_server, staff.token) as ws:
        inbox = await ws.subscribe(op("CareInbox"))
        await asyncio.sleep(0.2)

        async def next_event_for_us() -> dict[str, object]:
            while True:  # other tests' conversations may show up too
                event: dict[str, object] = (await ws.data(inbox))["careInbox"]
                if event["conversation"]["id"] == cid:  # type: ignore[index]
                    return event

        await send_ok(client, person.token, cid, "Помогите выбрать психолога")
        event = await next_event_for_us()
        assert event["kind"] == "NEW_MESSAGE"
        assert event["message"]["text"] == "Помогите выбрать психолога"  # type: ignore[index]
        assert event["conversation"]["slaDueAt"] is not None  # type: ignore[index]

        # The wait runs past its due time: the watcher announces it once.
        pk = decode_id(cid, "CareConversation")
        await Conversation.filter(id=pk).update(sla_due_at=datetime.now(UTC) - timedelta(seconds=1))
        event = await next_event_for_us()
        assert event["kind"] == "SLA_BREACHED"
        assert event["message"] is None
        assert pk not in await sla.claim_breaches()  # claimed already: never twice

        await gql(client, op("AssignConversation"), {"conversationId": cid}, staff.token)
        event = await next_event_for_us()
        assert event["kind"] == "ASSIGNED"
        assert event["conversation"]["assignee"] == {"displayName": "Мария"}  # type: ignore[index]

        await send_ok(client, staff.token, cid, "Расскажите о запросе", operation="AgentReply")
        event = await next_event_for_us()
        assert event["kind"] == "ANSWERED"
        assert event["conversation"]["waitingSince"] is None  # type: ignore[index]
        # Two more watcher rounds: no second SLA_BREACHED for this wait.
        await asyncio.sleep(2.5)
        while True:
            try:
                message = await ws.next(inbox, 0.2)
            except TimeoutError:
                break
            event = message["payload"]["data"]["careInbox"]
            assert not (event["conversation"]["id"] == cid and event["kind"] == "SLA_BREACHED")


async def test_a_breach_is_claimed_by_exactly_one_watcher(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    await send_ok(client, person.token, conversation["id"], "Жду")
    pk = decode_id(conversation["id"], "CareConversation")
    await Conversation.filter(id=pk).update(sla_due_at=datetime.now(UTC) - timedelta(seconds=1))
    results = await asyncio.gather(*(sla.claim_breaches() for _ in range(5)))
    winners = [r for r in results if pk in r]
    # The session app's own watcher may have claimed it first; never more than once.
    assert len(winners) <= 1
    row = await Conversation.get(id=pk)
    assert row.sla_breach_notified is True


async def test_twenty_subscriptions_per_connection(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    async with ws_session(live_server, person.token) as ws:
        ids = [
            await ws.subscribe(op("MessageAdded"), {"conversationId": conversation["id"]})
            for _ in range(20)
        ]
        extra = await ws.subscribe(op("MessageAdded"), {"conversationId": conversation["id"]})
        message = await ws.next(extra)
        assert message["type"] == "error"
        assert message["payload"][0]["message"] == "Subscription limit reached"
        assert len(set(ids)) == 20


async def test_delivery_cost_does_not_grow_with_the_subscribers(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    cid = conversation["id"]
    async with ws_session(live_server, person.token) as ws:
        ids = [await ws.subscribe(op("MessageAdded"), {"conversationId": cid}) for _ in range(20)]
        await asyncio.sleep(0.5)
        with count_sql() as sql:
            await send_ok(client, staff.token, cid, "Всем привет", operation="AgentReply")
            for op_id in ids:
                data = await ws.data(op_id)
                assert data["messageAdded"]["node"]["author"]["role"] == "CARE_AGENT"
    print(f"one message to 20 subscribers: {sql.count} SQL statements (send included)")
    assert sql.count < 20, sql.statements
