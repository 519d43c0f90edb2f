"""Rate limits: sliding windows per rule and key, shared across processes with Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.core.ratelimit import RULES, RateLimiter, RedisRateLimiter, Rule
from tests.fixtures import TEST_REDIS_URL

CHAT = RULES["chat_message"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_window_allows_the_limit_then_says_when_to_retry() -> None:
    clock = Clock()
    limiter = RateLimiter({"r": Rule(3, 10)}, clock=clock)
    assert [await limiter.hit("r", "a") for _ in range(3)] == [None, None, None]
    clock.now += 4
    assert await limiter.hit("r", "a") == pytest.approx(6)  # the first hit leaves in 6 s
    assert await limiter.hit("r", "b") is None  # per key
    clock.now += 6
    assert await limiter.hit("r", "a") is None  # the window slid


async def test_check_only_asks_and_record_counts_regardless() -> None:
    limiter = RateLimiter({"r": Rule(2, 10)}, clock=Clock())
    assert await limiter.check("r", "a") is None
    for _ in range(3):
        await limiter.record("r", "a")
    assert await limiter.check("r", "a") is not None


async def test_rate_limits_off_allows_everything() -> None:
    limiter = RateLimiter({"r": Rule(1, 10)}, enabled=False)
    assert [await limiter.hit("r", "a") for _ in range(5)] == [None] * 5


@pytest.mark.redis
@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
async def test_the_redis_window_is_shared_by_two_processes() -> None:
    assert TEST_REDIS_URL
    one, two = RedisRateLimiter(TEST_REDIS_URL), RedisRateLimiter(TEST_REDIS_URL)
    key = uuid.uuid4().hex
    try:
        results = [await (one if i % 2 else two).hit("chat_message", key) for i in range(21)]
        assert results[: CHAT.limit] == [None] * CHAT.limit
        retry = results[CHAT.limit]
        assert retry is not None
        assert 0 < retry <= CHAT.window_seconds
        await one.record("chat_message", key)
        assert await two.check("chat_message", key) is not None
    finally:
        await one.close()
        await two.close()


async def test_redis_down_falls_back_to_the_local_window() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", {"r": Rule(2, 10)})
    try:
        assert [await limiter.hit("r", "x") is None for _ in range(3)] == [True, True, False]
    finally:
        await limiter.close()


@pytest.mark.redis
@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
async def test_a_time_limit_around_a_redis_call_still_fires() -> None:
    """redis-py finishes a cancelled command and returns as if nothing happened: the
    limiter re-raises the cancellation, so time limits and client disconnects work."""
    assert TEST_REDIS_URL
    limiter = RedisRateLimiter(TEST_REDIS_URL)
    try:
        await limiter.hit("booking_client", "warm-up")
        for _ in range(20):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1e-6):
                    await limiter.hit("booking_client", uuid.uuid4().hex)
    finally:
        await limiter.close()
