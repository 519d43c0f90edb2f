"""What the process holds while it runs, in one object passed explicitly.

The app's lifespan opens one ``Runtime`` (``app.state.runtime``); every request's and
every socket operation's ``Context`` carries it, and services take the part they need
as an argument. Nothing stateful lives in a module global, so a test builds an app (or
a service call) with a runtime of its own.

- ``chat``: pub/sub, shared delivery reads, the SLA watcher;
- ``limits``: the rate limits (in process, or shared through Redis);
- ``persisted``: the automatic persisted queries' texts (the same);
- ``identity``: the partners' JWKS cache and the used-jti purge throttle;
- ``sockets``: the open WebSockets, their caps and the sweeper that ends them with
  their session;
- ``usage``: counts of deprecated fields in use, flushed to the database;
- ``notify``: the push providers and the outbox worker (in process unless
  ``NOTIFY_WORKER_IN_PROCESS=off``; ``python -m app worker`` runs it alone).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.chat.runtime import ChatRuntime, chat_runtime
from app.core.persisted import PersistedQueries, make_persisted_queries
from app.core.ratelimit import RateLimiter, make_rate_limiter
from app.core.settings import Settings
from app.core.usage import DeprecatedUsage, flushed
from app.identity.runtime import IdentityRuntime
from app.identity.sockets import LiveSockets, swept
from app.notify.runtime import NotifyRuntime, notify_runtime


@dataclass
class Runtime:
    chat: ChatRuntime
    limits: RateLimiter = field(default_factory=RateLimiter)
    persisted: PersistedQueries = field(default_factory=PersistedQueries)
    identity: IdentityRuntime = field(default_factory=IdentityRuntime)
    sockets: LiveSockets = field(default_factory=LiveSockets)
    usage: DeprecatedUsage = field(default_factory=DeprecatedUsage)
    notify: NotifyRuntime = field(default_factory=NotifyRuntime)


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, *, watch_sla: bool = True) -> AsyncIterator[Runtime]:
    sockets = LiveSockets(
        per_user=settings.ws_max_per_user,
        total=settings.ws_max_total,
        check_seconds=settings.ws_session_check_seconds,
    )
    limits = make_rate_limiter(settings)
    persisted = make_persisted_queries(settings.redis_url)
    try:
        usage = DeprecatedUsage()
        async with (
            chat_runtime(settings, watch_sla=watch_sla) as chat,
            swept(sockets),
            flushed(usage),
            notify_runtime(settings, start_worker=settings.notify_worker_in_process) as notify,
        ):
            yield Runtime(
                chat=chat,
                limits=limits,
                persisted=persisted,
                sockets=sockets,
                usage=usage,
                notify=notify,
            )
    finally:
        await persisted.close()
        await limits.close()
