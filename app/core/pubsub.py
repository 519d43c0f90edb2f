"""Pub/sub for live events: one small interface, an in-process and a Redis implementation.

Only ids travel through it (``{"message_id": 42}``); subscribers load the rows from
the database. Pub/sub is at-most-once (a Redis reconnect loses what was published
meanwhile), so every subscriber must be able to repair from the store: after a
reconnect each subscription receives a ``RESYNC`` event and re-reads what it needs.

    async with pubsub.subscribe("chat.conversation.7") as events:
        async for event in events:   # dicts, or RESYNC
            ...

``open_pubsub(settings)`` picks the implementation (Redis when ``REDIS_URL`` is set)
and starts it; the app lifespan opens and closes it and hands it on through
``app.chat.runtime.ChatRuntime`` (no process-global broker).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Final
from urllib.parse import urlsplit

from app.core.errors import raise_if_cancelled
from app.core.settings import Settings

log = logging.getLogger("psyline.pubsub")

RESYNC: Final[dict[str, Any]] = {"__resync__": True}
QUEUE_SIZE = 1000


class Subscription:
    """The events of one channel for one subscriber; iterate it, it ends when closed."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self._overflowed = False

    def deliver(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # The subscriber is too slow: drop, and make it re-read from the store.
            self._overflowed = True

    def close(self) -> None:
        if self._queue.full():
            self._drain()  # the end matters more than what a slow reader missed
        self._queue.put_nowait(None)

    async def get(self) -> dict[str, Any] | None:
        """The next event; ``RESYNC`` after lost events; None once the broker closed."""
        if self._overflowed:
            self._overflowed = False
            self._drain()
            return RESYNC
        return await self._queue.get()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event


class PubSub:
    """In-process broker; also the local fan-out behind the Redis broker."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}
        self.closed = False

    async def start(self) -> None:
        """Nothing to connect in-process."""

    async def close(self) -> None:
        self.closed = True
        for subs in list(self._subscribers.values()):
            for sub in list(subs):
                sub.close()
        self._subscribers.clear()

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        self._dispatch(channel, payload)

    async def reachable(self) -> bool | None:
        """Is the shared broker reachable? None: there is none (in-process)."""
        return None

    def _dispatch(self, channel: str, payload: dict[str, Any]) -> None:
        for sub in list(self._subscribers.get(channel, ())):
            sub.deliver(payload)

    def _broadcast(self, payload: dict[str, Any]) -> None:
        for subs in list(self._subscribers.values()):
            for sub in list(subs):
                sub.deliver(payload)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Live as soon as the block is entered (subscribe first, then read the store)."""
        sub = Subscription(channel)
        self._subscribers.setdefault(channel, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[channel]

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


class RedisPubSub(PubSub):
    """Redis pub/sub fan-out across processes.

    One Redis connection per process listens on a pattern (``<prefix>*``) and
    dispatches to local subscribers, so a thousand subscriptions cost no extra Redis
    connections. The listener reconnects with exponential back-off and, once back,
    sends ``RESYNC`` to every subscriber (events published meanwhile are lost).
    """

    def __init__(
        self, url: str, *, health_check_interval: int = 15, client_name: str | None = None
    ) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(
            url,
            health_check_interval=health_check_interval,
            socket_keepalive=True,
            socket_connect_timeout=5,
            client_name=client_name or "psyline-pubsub",
        )
        self.prefix = f"psyline:{_redis_db(url)}:"
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="psyline-pubsub-listener")
        # Wait briefly for the first subscription so that early subscribers are live;
        # if Redis is down the listener keeps retrying and subscribers get RESYNC later.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def close(self) -> None:
        await super().close()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._redis.aclose()

    async def reachable(self) -> bool | None:
        try:
            async with asyncio.timeout(1.0):
                await self._redis.ping()
        except Exception as exc:
            raise_if_cancelled(exc)
            return False
        return True

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Best effort: the event is in the database already; subscribers repair gaps."""
        try:
            await self._redis.publish(self.prefix + channel, json.dumps(payload))
            raise_if_cancelled()  # redis-py swallows a cancellation (see there)
        except Exception as exc:  # any Redis failure: log, do not fail the write
            raise_if_cancelled(exc)
            log.warning("pubsub publish failed (%s); subscribers will resync", type(exc).__name__)

    async def _listen(self) -> None:
        backoff = 0.1
        first = True
        while not self.closed:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._ready.set()
                if not first:
                    log.info("pubsub reconnected to Redis")
                    self._broadcast(RESYNC)
                first = False
                backoff = 0.1
                while not self.closed:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    channel = _text(message["channel"]).removeprefix(self.prefix)
                    try:
                        payload = json.loads(_text(message["data"]))
                    except ValueError:
                        continue
                    if isinstance(payload, dict):
                        self._dispatch(channel, payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection trouble: back off and retry
                log.warning(
                    "pubsub lost Redis (%s); retrying in %.1fs", type(exc).__name__, backoff
                )
                first = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _redis_db(url: str) -> str:
    """Redis pub/sub ignores the db number; use it in channel names to keep tenants apart."""
    path = urlsplit(url).path.strip("/")
    return path or "0"


def make_pubsub(settings: Settings) -> PubSub:
    return RedisPubSub(settings.redis_url) if settings.redis_url else PubSub()


async def open_pubsub(settings: Settings) -> PubSub:
    """Create and start the process's broker (the app lifespan calls it; it closes it)."""
    broker = make_pubsub(settings)
    await broker.start()
    return broker
