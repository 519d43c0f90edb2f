"""Per-author sliding-window rate limit for chat messages (20 messages per 10 s).

In-process by default; with ``REDIS_URL`` a Redis sorted set per author (one Lua
script, atomic, Redis clock) so the limit holds across processes. If Redis fails the
in-process window takes over for that call (fail-soft, never a 500).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque

from app.core.settings import Settings

log = logging.getLogger("psyline.chat.ratelimit")

LIMIT = 20
WINDOW_SECONDS = 10.0


class SlidingWindowLimiter:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    async def allow(self, key: str) -> bool:
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) > 10_000:
                self._prune(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]

    async def close(self) -> None:
        self._hits.clear()


_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class RedisSlidingWindowLimiter(SlidingWindowLimiter):
    def __init__(self, url: str, limit: int = LIMIT, window: float = WINDOW_SECONDS) -> None:
        super().__init__(limit, window)
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._script = self._redis.register_script(_SCRIPT)

    async def allow(self, key: str) -> bool:
        try:
            allowed = await self._script(
                keys=[f"psyline:ratelimit:chat:{key}"],
                args=[int(self.window * 1000), self.limit, uuid.uuid4().hex],
            )
            return bool(allowed)
        except Exception as exc:  # Redis trouble: fall back to this process
            log.warning("rate limiter: Redis unavailable (%s), local window", type(exc).__name__)
            return await super().allow(key)

    async def close(self) -> None:
        await super().close()
        await self._redis.aclose()


def make_limiter(settings: Settings) -> SlidingWindowLimiter:
    """Redis-backed (shared by every process) with REDIS_URL, else this process's window."""
    if settings.redis_url:
        return RedisSlidingWindowLimiter(settings.redis_url)
    return SlidingWindowLimiter()
