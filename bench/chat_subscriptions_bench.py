"""A thousand subscriptions opened and closed, twice: tasks and memory come back.

Run by hand with pytest (it uses the suite's fixtures: one app, a live uvicorn in the
same loop, SQLite or ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL``):

    .venv/bin/python -m pytest bench/chat_subscriptions_bench.py -s -q

50 sockets x 20 subscriptions (the per-connection limit), each proven live by its
replayed welcome message, half completed by the client and half by closing the socket.
A warm-up round brings pools, parser and validation caches to their steady size; then
each measured round must leave tasks and memory where it found them. Memory is the
number of live Python objects after a full collection: a leaked subscription keeps at
least its task, coroutine, generator and queue alive, >= 4,000 objects in EVERY round,
while caches that replace entries keep it flat (noise: a few hundred either way). A
one-off growth (the database pool opening one more connection under a higher peak)
shows in one round only, so the smaller growth of the two rounds must stay small.
(tracemalloc would count replaced cache entries as growth and slows a round five-fold.)
"""

from __future__ import annotations

import asyncio
import gc

import httpx
from starlette.applications import Starlette

from app.core.settings import Settings
from tests.chat.support import client_with_conversation, settled_task_count, subscription_round

CONNECTIONS = 50


async def test_a_thousand_subscriptions_release_tasks_and_memory(
    client: httpx.AsyncClient, settings: Settings, live_server: str, app: Starlette
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    cid = conversation["id"]
    warm = await subscription_round(live_server, person.token, cid, CONNECTIONS)
    await asyncio.sleep(0.5)
    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    subscribers_before = app.state.runtime.chat.pubsub.subscriber_count()
    growth: list[int] = []
    seconds, tasks_after = 0.0, tasks_before
    for _ in range(2):
        objects_before = len(gc.get_objects())
        seconds = await subscription_round(live_server, person.token, cid, CONNECTIONS)
        tasks_after = await settled_task_count(tasks_before)
        gc.collect()
        growth.append(len(gc.get_objects()) - objects_before)
        assert app.state.runtime.chat.pubsub.subscriber_count() == subscribers_before
        assert tasks_after <= tasks_before, (tasks_before, tasks_after)
    print(
        f"\nwarm-up {warm:.1f}s, 1000 subscriptions in {seconds:.1f}s: "
        f"tasks {tasks_before}->{tasks_after}, live objects per round {growth}"
    )
    assert min(growth) < 1000, f"live objects grew by {growth} in two rounds of 1,000"
