"""Resources: a thousand subscriptions opened and closed leave nothing behind."""

from __future__ import annotations

import asyncio
import gc
import time

import httpx

from app.core import pubsub
from app.core.settings import Settings
from schema.chat.types import message_cursor
from tests.chat.support import client_with_conversation
from tests.chat.ws import ws_session
from tests.helpers import op

CONNECTIONS = 50
PER_CONNECTION = 20  # the per-connection limit


async def _round(base_url: str, token: str, cid: str, connections: int = CONNECTIONS) -> float:
    """CONNECTIONS x PER_CONNECTION live subscriptions, each proven live, then all closed."""

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
                await ws.complete(op_id)  # half completed by the client, half by closing

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return time.perf_counter() - started


async def _settle(baseline: int) -> int:
    for _ in range(100):
        gc.collect()
        count = len(asyncio.all_tasks())
        if count <= baseline:
            return count
        await asyncio.sleep(0.05)
    return len(asyncio.all_tasks())


async def test_a_thousand_subscriptions_release_tasks_and_memory(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    cid = conversation["id"]
    # A warm-up round brings pools, parser and validation caches to their steady
    # size; then each measured round of 1,000 must leave tasks and memory where it
    # found them. Memory is measured as the number of live Python objects after a
    # full collection: a leaked subscription keeps at least its task, coroutine,
    # generator and queue alive, >= 4,000 objects in EVERY round of 1,000, while
    # caches that replace entries keep it flat (noise seen: a few hundred either
    # way). A one-off growth (e.g. the database pool opening one more connection
    # under a higher peak) shows in one round only, so the
    # smaller growth of two measured rounds is what must stay small. (tracemalloc
    # would count replaced cache entries as growth and slows a round five-fold.)
    warm = await _round(live_server, person.token, cid)
    await asyncio.sleep(0.5)
    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    subscribers_before = pubsub.current().subscriber_count()
    growth: list[int] = []
    for _ in range(2):
        objects_before = len(gc.get_objects())
        seconds = await _round(live_server, person.token, cid)
        tasks_after = await _settle(tasks_before)
        gc.collect()
        growth.append(len(gc.get_objects()) - objects_before)
        assert pubsub.current().subscriber_count() == subscribers_before
        assert tasks_after <= tasks_before, (tasks_before, tasks_after)
    print(
        f"warm-up {warm:.1f}s, 1000 subscriptions in {seconds:.1f}s: "
        f"tasks {tasks_before}->{tasks_after}, live objects per round {growth}"
    )
    assert min(growth) < 1000, f"live objects grew by {growth} in two rounds of 1,000"
