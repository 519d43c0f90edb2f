"""Shared steps of the chat tests."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from typing import Any

import httpx

from app.core.settings import Settings
from models.enums import Role
from schema.chat.types import message_cursor
from tests.chat.ws import ws_session
from tests.factories import SignedIn, signed_in
from tests.helpers import gql, op


async def client_with_conversation(
    client: httpx.AsyncClient, settings: Settings, name: str = "Анна"
) -> tuple[SignedIn, dict[str, Any]]:
    """A signed-in client and their care conversation (opened through CareChat)."""
    person = await signed_in(settings, Role.CLIENT, display_name=name)
    data = await gql(client, op("CareChat"), {"last": 20}, token=person.token)
    return person, data["viewer"]["careConversation"]


async def agent(settings: Settings, name: str = "Мария") -> SignedIn:
    return await signed_in(settings, Role.CARE_AGENT, display_name=name)


async def send(
    client: httpx.AsyncClient,
    token: str,
    conversation_id: str,
    text: str,
    client_message_id: str | None = None,
    operation: str = "SendMessage",
) -> dict[str, Any]:
    """sendMessage's payload (message, errors)."""
    data = await gql(
        client,
        op(operation),
        {
            "conversationId": conversation_id,
            "text": text,
            "clientMessageId": uuid.uuid4().hex if client_message_id is None else client_message_id,
        },
        token=token,
    )
    payload: dict[str, Any] = data["sendMessage"]
    return payload


async def send_ok(
    client: httpx.AsyncClient, token: str, conversation_id: str, text: str, **kwargs: Any
) -> dict[str, Any]:
    payload = await send(client, token, conversation_id, text, **kwargs)
    assert payload["errors"] == [], payload
    message: dict[str, Any] = payload["message"]
    return message


PER_CONNECTION = 20  # the per-connection subscription limit


async def subscription_round(base_url: str, token: str, cid: str, connections: int) -> float:
    """``connections`` x PER_CONNECTION live subscriptions, each proven live, then all closed
    (half completed by the client, half by closing the socket). Returns the seconds taken."""

    async def one_connection() -> None:
        async with ws_session(base_url, token, init_wait=120) as ws:
            ids = [
                await ws.subscribe(
                    op("MessageAdded"), {"conversationId": cid, "after": message_cursor(0)}
                )
                for _ in range(PER_CONNECTION)
            ]
            for op_id in ids:  # each replays the welcome message: it is running
                data = await ws.data(op_id, wait=120)
                assert data["messageAdded"]["node"]["text"]
            for op_id in ids[: PER_CONNECTION // 2]:
                await ws.complete(op_id)

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return time.perf_counter() - started


async def settled_task_count(baseline: int) -> int:
    """The number of asyncio tasks once it is back at ``baseline`` (or after ~5 s)."""
    for _ in range(100):
        gc.collect()
        count = len(asyncio.all_tasks())
        if count <= baseline:
            return count
        await asyncio.sleep(0.05)
    return len(asyncio.all_tasks())
