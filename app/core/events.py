"""Typed in-process domain events: one domain reacts to another without importing it.

An event is a frozen dataclass owned by the domain that emits it (for example
``app.identity.events.UserRegistered``); a listener is an async function of that one
argument, registered with ``@on(UserRegistered)`` beside the code that reacts. Listeners
must be idempotent (a retry may call them again), and ``emit`` runs them in
registration order after the emitter's transaction has committed.

Listeners are a static table filled when their modules are imported, like routes; they
hold no state. What must survive a crash (notifications) goes through an outbox table
written in the same transaction, not through here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

E = TypeVar("E")
Listener = Callable[[E], Awaitable[None]]

_listeners: dict[type[Any], list[Listener[Any]]] = {}


def on(event_type: type[E]) -> Callable[[Listener[E]], Listener[E]]:
    def register(fn: Listener[E]) -> Listener[E]:
        _listeners.setdefault(event_type, []).append(fn)
        return fn

    return register


@contextmanager
def listening(event_type: type[E], fn: Listener[E]) -> Iterator[None]:
    """``fn`` listens for the duration of the block (tests, one-off tools)."""
    on(event_type)(fn)
    try:
        yield
    finally:
        _listeners[event_type].remove(fn)


async def emit(event: object) -> None:
    for listener in list(_listeners.get(type(event), ())):
        await listener(event)
