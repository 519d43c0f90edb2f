"""Rate limits: named sliding windows, in this process or shared by every process.

A ``Rule`` allows ``limit`` events per ``window_seconds`` for one key (an IP address, a
user id, an email). ``hit`` records an event if the rule allows it and otherwise says
how long until it would (seconds, for ``retryAfter``); ``check`` only asks; ``record``
counts an event whatever the rule says (failures, counted after the fact).

With ``REDIS_URL`` the windows live in Redis sorted sets (one Lua script per call,
atomic, on Redis's clock) so a limit holds across processes; if Redis fails, this
process's own windows answer for that call (fail-soft: never a 500 for a rate limit).
``RATE_LIMITS=off`` turns every rule off (benchmarks, load tests; refused in
production); ``RATE_LIMITS=name=limit/seconds,...`` changes single rules.

Per-IP rules are generous (a carrier NAT puts thousands of users behind one address);
per-account and per-client rules are tight.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.core.errors import raise_if_cancelled
from app.core.settings import Settings

log = logging.getLogger("psyline.ratelimit")


@dataclass(frozen=True)
class Rule:
    limit: int
    window_seconds: float


RULES: dict[str, Rule] = {
    "chat_message": Rule(20, 10),  # per author
    "partner_sign_in_ip": Rule(300, 60),
    "refresh_ip": Rule(600, 60),
    # Staff sign-in counts failures only: per IP, per account from one IP (the attacker
    # is slowed, the agent at another address is not), per account from anywhere.
    "staff_sign_in_ip": Rule(30, 300),
    "staff_sign_in_account_ip": Rule(5, 300),
    "staff_sign_in_account": Rule(50, 3600),
    "booking_client": Rule(30, 60),  # book, cancel, reschedule
    "booking_ip": Rule(600, 60),
    # Every bookSlot carrying a promo code: a client cannot try codes at speed (49 bits).
    "promo_client": Rule(20, 3600),
    "calendar_ip": Rule(300, 60),  # GET /calendar/{token}.ics
}
MAX_KEYS = 10_000  # in-process windows kept before stale ones are dropped


class RateLimiter:
    """This process's windows (``enabled=False``: every call is allowed)."""

    def __init__(
        self,
        rules: dict[str, Rule] | None = None,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = dict(RULES if rules is None else rules)
        self.enabled = enabled
        self.clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}

    async def hit(self, name: str, key: str) -> float | None:
        return await self._local(name, key, add=True, check=True)

    async def check(self, name: str, key: str) -> float | None:
        return await self._local(name, key, add=False, check=True)

    async def record(self, name: str, key: str) -> None:
        await self._local(name, key, add=True, check=False)

    async def _local(self, name: str, key: str, *, add: bool, check: bool) -> float | None:
        if not self.enabled:
            return None
        rule = self.rules[name]
        now = self.clock()
        hits = self._hits.get((name, key))
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._prune(now)
            hits = self._hits[(name, key)] = deque()
        while hits and hits[0] <= now - rule.window_seconds:
            hits.popleft()
        if check and len(hits) >= rule.limit:
            # Free again when enough of the oldest have left the window.
            return max(hits[len(hits) - rule.limit] + rule.window_seconds - now, 0.001)
        if add:
            hits.append(now)
        return None

    def _prune(self, now: float) -> None:
        longest = max((r.window_seconds for r in self.rules.values()), default=0)
        for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - longest]:
            del self._hits[k]

    async def close(self) -> None:
        self._hits.clear()


_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local mode = ARGV[4]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if mode ~= 'record' and count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window - now, 1)
end
if mode ~= 'check' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""


class RedisRateLimiter(RateLimiter):
    def __init__(self, url: str, rules: dict[str, Rule] | None = None) -> None:
        super().__init__(rules)
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._script = self._redis.register_script(_SCRIPT)

    async def hit(self, name: str, key: str) -> float | None:
        return await self._shared(name, key, "hit")

    async def check(self, name: str, key: str) -> float | None:
        return await self._shared(name, key, "check")

    async def record(self, name: str, key: str) -> None:
        await self._shared(name, key, "record")

    async def _shared(self, name: str, key: str, mode: str) -> float | None:
        rule = self.rules[name]
        try:
            wait_ms = await self._script(
                keys=[f"psyline:ratelimit:{name}:{key}"],
                args=[math.ceil(rule.window_seconds * 1000), rule.limit, uuid.uuid4().hex, mode],
            )
            raise_if_cancelled()  # redis-py swallows a cancellation (see there)
        except Exception as exc:  # Redis trouble: this process's windows answer
            raise_if_cancelled(exc)
            log.warning("rate limiter: Redis unavailable (%s), local window", type(exc).__name__)
            return await self._local(name, key, add=mode != "check", check=mode != "record")
        return int(wait_ms) / 1000 if int(wait_ms) else None

    async def close(self) -> None:
        await super().close()
        await self._redis.aclose()


def make_rate_limiter(settings: Settings) -> RateLimiter:
    """Redis-backed (shared by every process) with REDIS_URL, else this process's windows."""
    rules = {**RULES, **{name: Rule(limit, window) for name, limit, window in settings.rate_limits}}
    if not settings.rate_limits_enabled:
        return RateLimiter(rules, enabled=False)
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, rules)
    return RateLimiter(rules)
