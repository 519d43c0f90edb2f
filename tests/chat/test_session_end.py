"""Signing out ends the session's open subscriptions within the re-check interval."""

from __future__ import annotations

import asyncio

import httpx

from app.core.messages import Msg
from app.core.settings import Settings
from tests.chat.support import client_with_conversation, send_ok
from tests.chat.ws import ws_session
from tests.helpers import gql, op

SIGN_OUT = "mutation { signOut { ok errors { code message } } }"


async def test_signing_out_ends_open_subscriptions(
    client: httpx.AsyncClient,
    settings: Settings,
    live_server: str,
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    cid = conversation["id"]
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid})
        signed_out = await gql(client, SIGN_OUT, token=person.token)
        assert signed_out["signOut"] == {"ok": True, "errors": []}
        message = await ws.next(sub, wait=5)
        assert message["type"] == "next"
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["message"] == Msg.SESSION_ENDED.render()
        assert (await ws.next(sub))["type"] == "complete"


async def test_a_live_session_keeps_its_subscription(
    client: httpx.AsyncClient,
    settings: Settings,
    live_server: str,
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    cid = conversation["id"]
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid})
        # Several re-checks pass; then a message still arrives on the same subscription.

        await asyncio.sleep(1.0)
        await send_ok(client, person.token, cid, "Всё ещё здесь")
        message = await ws.next(sub, wait=5)
        assert message["type"] == "next"
        assert message["payload"]["data"]["messageAdded"]["node"]["text"] == "Всё ещё здесь"
