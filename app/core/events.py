"""In-process domain events: one domain reacts to another without importing it.

``user_registered`` fires after a new client is committed (the chat domain opens
the care conversation with its welcome message; notifications will push).
Handlers must be idempotent: a retry may call them again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("psyline.events")

Handler = Callable[..., Awaitable[Any]]
_handlers: dict[str, list[Handler]] = {}


def on(event: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _handlers.setdefault(event, []).append(fn)
        return fn

    return register


async def emit(event: str, **payload: Any) -> None:
    for handler in _handlers.get(event, []):
        await handler(**payload)
