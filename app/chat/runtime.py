"""What the care chat needs while the app runs: pub/sub, rate limiter, SLA watcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.chat import ratelimit
from app.chat import service as _service  # noqa: F401 - registers the user_registered handler
from app.chat.sla import sla_watcher
from app.core.pubsub import PubSub, close_pubsub, open_pubsub
from app.core.settings import Settings


@dataclass
class ChatRuntime:
    pubsub: PubSub
    limiter: ratelimit.SlidingWindowLimiter


@contextlib.asynccontextmanager
async def chat_runtime(settings: Settings, *, watch_sla: bool = True) -> AsyncIterator[ChatRuntime]:
    broker = await open_pubsub(settings)
    limiter = ratelimit.open_limiter(settings)
    watcher = asyncio.create_task(sla_watcher(), name="psyline-sla-watcher") if watch_sla else None
    try:
        yield ChatRuntime(pubsub=broker, limiter=limiter)
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await ratelimit.close_limiter(limiter)
        await close_pubsub(broker)
