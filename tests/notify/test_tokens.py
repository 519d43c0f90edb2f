"""CachedToken: one credential for concurrent sends, renewed when due or refused."""

from __future__ import annotations

import asyncio

from app.notify.apns import TOKEN_REUSE_SECONDS
from app.notify.providers import CachedToken


class Mint:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.count = 0

    async def __call__(self) -> tuple[str, float]:
        self.count += 1
        await asyncio.sleep(0.01)  # concurrent callers wait for this one
        return f"token-{self.count}", self.seconds


async def test_concurrent_callers_share_one_mint() -> None:
    mint = Mint(3600)
    cache = CachedToken(mint)

    tokens = await asyncio.gather(*(cache.get() for _ in range(10)))

    assert set(tokens) == {"token-1"}
    assert mint.count == 1


async def test_a_token_is_renewed_when_its_time_is_up() -> None:
    mint = Mint(0.05)
    cache = CachedToken(mint)

    first = await cache.get()
    again = await cache.get()
    await asyncio.sleep(0.06)
    later = await cache.get()

    assert first == again == "token-1"
    assert later == "token-2"


async def test_a_refused_token_is_replaced_once_for_everyone_who_saw_it() -> None:
    mint = Mint(3600)
    cache = CachedToken(mint)
    old = await cache.get()

    renewed = await asyncio.gather(*(cache.get(refused=old) for _ in range(5)))

    assert set(renewed) == {"token-2"}
    # a refusal of a token already replaced changes nothing
    assert await cache.get(refused=old) == "token-2"
    assert mint.count == 2


def test_apns_tokens_live_between_its_two_limits() -> None:
    # APNs: refreshed no more often than every 20 minutes, refused when older than an hour
    assert 20 * 60 < TOKEN_REUSE_SECONDS < 60 * 60
