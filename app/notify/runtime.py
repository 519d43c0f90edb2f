"""What push notifications need while a process runs: the providers and the worker.

The app's runtime (``app.runtime``) opens it with the in-process worker unless
``NOTIFY_WORKER_IN_PROCESS=off``; ``python -m app worker`` opens it on its own. Outside
production a platform without a configured provider gets the log-only one (nothing
leaves the process); in production such devices' deliveries are REJECTED NO_PROVIDER,
and with no provider at all the worker does not start: the rows wait, none is failed for
a configuration that is still missing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.core.settings import Settings
from app.notify.factory import providers_from_settings
from app.notify.providers import Platform, PushProvider
from app.notify.worker import OutboxWorker

log = logging.getLogger("psyline.notify")


@dataclass
class NotifyRuntime:
    worker: OutboxWorker | None = None


@contextlib.asynccontextmanager
async def notify_runtime(settings: Settings, *, start_worker: bool) -> AsyncIterator[NotifyRuntime]:
    if not start_worker:
        yield NotifyRuntime()
        return
    providers = providers_from_settings(settings, log_only_missing=not settings.is_production)
    if not providers:
        log.warning("no push provider is configured (FCM, APNs): the outbox waits")
        yield NotifyRuntime()
        return
    worker = OutboxWorker(settings, providers)
    try:
        async with worker.running():
            yield NotifyRuntime(worker=worker)
    finally:
        await close_providers(providers)


async def close_providers(providers: dict[Platform, PushProvider]) -> None:
    """Each provider once (FCM serves Android and the web)."""
    seen: set[int] = set()
    for provider in providers.values():
        if id(provider) not in seen:
            seen.add(id(provider))
            await provider.aclose()
