"""The per-author chat rate limit: a sliding window, shared across processes with Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.chat.ratelimit import LIMIT, RedisSlidingWindowLimiter, SlidingWindowLimiter
from tests.fixtures import TEST_REDIS_URL


async def test_sliding_window_allows_the_limit_then_refuses() -> None:
    limiter = SlidingWindowLimiter(limit=3, window=0.2)
    assert [await limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("b")  # per author
    await asyncio.sleep(0.25)
    assert await limiter.allow("a")  # the window slid


@pytest.mark.redis
@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
async def test_the_redis_window_is_shared_by_two_processes() -> None:
    assert TEST_REDIS_URL
    one, two = RedisSlidingWindowLimiter(TEST_REDIS_URL), RedisSlidingWindowLimiter(TEST_REDIS_URL)
    key = uuid.uuid4().hex
    try:
        results = [await (one if i % 2 else two).allow(key) for i in range(LIMIT + 1)]
        assert results == [True] * LIMIT + [False]
    finally:
        await one.close()
        await two.close()


async def test_redis_down_falls_back_to_the_local_window() -> None:
    limiter = RedisSlidingWindowLimiter("redis://127.0.0.1:1/0", limit=2)
    try:
        assert [await limiter.allow("x") for _ in range(3)] == [True, True, False]
    finally:
        await limiter.close()
