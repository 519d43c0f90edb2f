# ruff: noqa: RUF001 - Russian text
"""Fan-out across processes: two uvicorn processes sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.settings import Settings
from models.chat import Conversation
from models.enums import Role
from schema.relay import decode_id
from tests.chat.support import agent, send_ok
from tests.chat.ws import ws_session
from tests.factories import signed_in
from tests.fixtures import POSTGRES_AND_REDIS
from tests.helpers import gql, op
from tests.servers import serve_processes

pytestmark = POSTGRES_AND_REDIS


@pytest.fixture(scope="module")
async def two_processes(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    async with serve_processes(settings, 2, log_name="serve", with_redis=True) as urls:
        yield urls[0], urls[1]


async def test_a_message_sent_to_one_process_reaches_a_subscriber_on_the_other(
    settings: Settings, two_processes: tuple[str, str]
) -> None:
    url_a, url_b = two_processes
    person = await signed_in(settings, Role.CLIENT, display_name="Анна")
    staff = await agent(settings)
    async with httpx.AsyncClient(base_url=url_a) as a, httpx.AsyncClient(base_url=url_b) as b:
        chat = await gql(b, op("CareChat"), {"last": 1}, token=person.token)
        cid = chat["viewer"]["careConversation"]["id"]
        async with (
            ws_session(url_b, person.token) as client_ws,
            ws_session(url_b, staff.token) as agent_ws,
        ):
            sub = await client_ws.subscribe(op("MessageAdded"), {"conversationId": cid})
            inbox = await agent_ws.subscribe(op("CareInbox"))
            await asyncio.sleep(0.3)
            await send_ok(a, staff.token, cid, "Здравствуйте, чем помочь?", operation="AgentReply")
            edge = (await client_ws.data(sub))["messageAdded"]
            assert edge["node"]["text"] == "Здравствуйте, чем помочь?"
            await client_ws.nothing(sub, 0.1)  # delivered once, not by both processes
            last_cursor = edge["cursor"]

            await send_ok(a, person.token, cid, "Не работает видео")
            while True:
                event = (await agent_ws.data(inbox))["careInbox"]
                if event["conversation"]["id"] == cid:
                    break
            assert event["kind"] == "NEW_MESSAGE"
            assert (await client_ws.data(sub))["messageAdded"]["node"]["text"] == (
                "Не работает видео"
            )

        # Resume across processes: disconnected from B, messages sent to A, back on A.
        for text in ("1", "2", "3"):
            await send_ok(b, staff.token, cid, text, operation="AgentReply")
        async with ws_session(url_a, person.token) as ws:
            sub = await ws.subscribe(
                op("MessageAdded"), {"conversationId": cid, "after": last_cursor}
            )
            texts = [(await ws.data(sub))["messageAdded"]["node"]["text"] for _ in range(4)]
            assert texts == ["Не работает видео", "1", "2", "3"]
            await ws.nothing(sub, 0.5)


async def test_a_breach_is_announced_once_across_processes(
    client: httpx.AsyncClient, settings: Settings, two_processes: tuple[str, str]
) -> None:
    url_a, url_b = two_processes
    person = await signed_in(settings, Role.CLIENT)
    staff = await agent(settings)
    chat = await gql(client, op("CareChat"), {"last": 1}, token=person.token)
    cid = chat["viewer"]["careConversation"]["id"]
    await send_ok(client, person.token, cid, "Жду")
    async with ws_session(url_a, staff.token) as on_a, ws_session(url_b, staff.token) as on_b:
        subs = [
            (on_a, await on_a.subscribe(op("CareInbox"))),
            (on_b, await on_b.subscribe(op("CareInbox"))),
        ]
        await asyncio.sleep(0.3)
        pk = decode_id(cid, "CareConversation")
        await Conversation.filter(id=pk).update(sla_due_at=datetime.now(UTC) - timedelta(seconds=1))
        await asyncio.sleep(3)  # three watchers (A, B, this process) had several rounds
        for ws, sub in subs:
            breaches = 0
            while True:
                try:
                    message = await ws.next(sub, 0.2)
                except TimeoutError:
                    break
                event = message["payload"]["data"]["careInbox"]
                if event["conversation"]["id"] == cid and event["kind"] == "SLA_BREACHED":
                    breaches += 1
            assert breaches == 1
