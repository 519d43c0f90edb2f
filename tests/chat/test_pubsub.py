"""The pub/sub brokers: in-process and Redis (reconnect, resync), same interface."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.core.pubsub import QUEUE_SIZE, RESYNC, PubSub, RedisPubSub
from tests.fixtures import TEST_REDIS_URL


async def test_in_process_broker_delivers_and_cleans_up() -> None:
    broker = PubSub()
    async with broker.subscribe("a") as sub_a, broker.subscribe("b") as sub_b:
        await broker.publish("a", {"message_id": 1})
        assert await asyncio.wait_for(sub_a.get(), 1) == {"message_id": 1}
        assert sub_b._queue.empty()
        assert broker.subscriber_count() == 2
    assert broker.subscriber_count() == 0
    await broker.close()


async def test_a_slow_subscriber_is_told_to_resync_instead_of_growing_a_queue() -> None:
    broker = PubSub()
    async with broker.subscribe("a") as sub:
        for i in range(QUEUE_SIZE + 10):
            await broker.publish("a", {"message_id": i})
        assert await sub.get() == RESYNC
        assert sub._queue.empty()
    await broker.close()


async def test_closing_the_broker_ends_subscriptions() -> None:
    broker = PubSub()
    async with broker.subscribe("a") as sub:
        await broker.close()
        assert [event async for event in sub] == []


async def test_closing_ends_even_a_subscription_with_a_full_queue() -> None:
    broker = PubSub()
    async with broker.subscribe("a") as sub:
        for i in range(QUEUE_SIZE):
            await broker.publish("a", {"message_id": i})
        await broker.close()
        assert await asyncio.wait_for(sub.get(), 1) in (None, RESYNC)


@pytest.mark.redis
@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
async def test_redis_broker_reconnects_and_asks_subscribers_to_resync() -> None:
    import redis.asyncio as redis

    assert TEST_REDIS_URL
    name = f"psyline-test-{uuid.uuid4().hex[:8]}"
    listener = RedisPubSub(TEST_REDIS_URL, client_name=name)
    publisher = RedisPubSub(TEST_REDIS_URL)
    admin = redis.Redis.from_url(TEST_REDIS_URL)
    await listener.start()
    await publisher.start()
    channel = f"chat.test.{uuid.uuid4().hex}"
    try:
        async with listener.subscribe(channel) as sub:
            await publisher.publish(channel, {"message_id": 1})
            assert await asyncio.wait_for(sub.get(), 5) == {"message_id": 1}
            # Redis drops the listener's connections (a restart, a network cut).
            killed = 0
            for client in await admin.client_list():
                if client.get("name") == name:
                    await admin.client_kill_filter(_id=client["id"])
                    killed += 1
            assert killed >= 1
            assert await asyncio.wait_for(sub.get(), 10) == RESYNC
            await publisher.publish(channel, {"message_id": 2})
            assert await asyncio.wait_for(sub.get(), 5) == {"message_id": 2}
    finally:
        await listener.close()
        await publisher.close()
        await admin.aclose()
