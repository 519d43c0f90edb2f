"""What the care chat needs while the app runs: pub/sub, shared delivery reads, the SLA
watcher (its rate limit is the runtime's, ``app.core.ratelimit``).

The app lifespan opens one ``ChatRuntime`` (part of ``app.runtime.Runtime``); every request's and
every socket operation's context carries it, and services take its parts as arguments.
Nothing is kept in module globals.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.chat import service as _service  # noqa: F401 - registers its UserRegistered listener
from app.chat.delivery import SharedReads
from app.chat.presence import LivePresence
from app.chat.sla import sla_watcher
from app.core.pubsub import PubSub, open_pubsub
from app.core.settings import Settings


@dataclass
class ChatRuntime:
    pubsub: PubSub
    reads: SharedReads = field(default_factory=SharedReads)
    presence: LivePresence = field(default_factory=LivePresence)


@contextlib.asynccontextmanager
async def chat_runtime(settings: Settings, *, watch_sla: bool = True) -> AsyncIterator[ChatRuntime]:
    broker = await open_pubsub(settings)
    watcher = (
        asyncio.create_task(sla_watcher(broker), name="psyline-sla-watcher") if watch_sla else None
    )
    try:
        yield ChatRuntime(pubsub=broker)
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await broker.close()
