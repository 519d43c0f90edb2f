"""Resources: concurrent subscriptions opened and closed leave nothing behind.

A hundred subscriptions over five sockets at once; the 1,000-subscription round with
its memory figures is ``bench/chat_subscriptions_bench.py`` (run by hand).
"""

from __future__ import annotations

import asyncio
import gc

import httpx
from starlette.applications import Starlette

from app.core.settings import Settings
from tests.chat.support import client_with_conversation, settled_task_count, subscription_round

CONNECTIONS = 5


async def test_concurrent_subscriptions_release_their_tasks_and_subscribers(
    client: httpx.AsyncClient, settings: Settings, live_server: str, app: Starlette
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    await subscription_round(live_server, person.token, conversation["id"], CONNECTIONS)  # warm
    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    subscribers_before = app.state.runtime.chat.pubsub.subscriber_count()
    await subscription_round(live_server, person.token, conversation["id"], CONNECTIONS)
    assert await settled_task_count(tasks_before) <= tasks_before
    assert app.state.runtime.chat.pubsub.subscriber_count() == subscribers_before
