"""Resources: a thousand subscriptions opened and closed leave nothing behind."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc

import httpx

from app import pubsub
from app.settings import Settings
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
    tracemalloc.start()
    try:
        # Round 1 brings pools, parser and validation caches to their steady size;
        # round 2 must leave tasks and memory where round 1 left them.
        warm = await _round(live_server, person.token, cid)
        await asyncio.sleep(0.5)
        gc.collect()
        tasks_before = len(asyncio.all_tasks())
        subscribers_before = pubsub.current().subscriber_count()
        memory_before, _ = tracemalloc.get_traced_memory()
        seconds = await _round(live_server, person.token, cid)
        tasks_after = await _settle(tasks_before)
        gc.collect()
        memory_after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pubsub.current().subscriber_count() == subscribers_before
    assert tasks_after <= tasks_before, (tasks_before, tasks_after)
    grown = memory_after - memory_before
    print(
        f"1000 subscriptions (traced) in {warm:.1f}s then {seconds:.1f}s: "
        f"tasks {tasks_before}->{tasks_after}, memory {grown / 1024:+.0f} KiB"
    )
    assert grown < 1024 * 1024, f"memory grew by {grown} bytes"
