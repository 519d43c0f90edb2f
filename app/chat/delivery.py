"""Loading messages for live delivery: one database read per event per process.

A thousand subscribers of one conversation all wake up for the same new message
and all need "the messages after the one I sent last". Identical reads that are
in flight are shared (single flight), with the authors loaded alongside, so the
cost of an event does not grow with the number of subscribers.

Sharing must not open a gap: a read that started before the caller's event may
not contain the message that woke it. The caller says which message it must see
(``must_include``); a shared result without it is replaced by a fresh read. Since
the messages of a conversation commit in id order, a read that contains
``must_include`` contains everything before it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from app.chat.service import messages_after
from models.chat import Message
from models.identity import User

BATCH = 100


@dataclass(frozen=True)
class Delivered:
    message: Message
    author: User | None
    # What the subscribers who receive this very object made of it (their GraphQL
    # results, one per group: ``schema.sharing``): shared like the read itself.
    results: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


# Finished reads stay shared for a moment: a thousand subscribers of one
# conversation do not all wake up while the first read is still in flight.
SHARE_SECONDS = 2.0


async def _load(conversation_id: int, after_id: int) -> list[Delivered]:
    rows = await messages_after(conversation_id, after_id, BATCH)
    author_ids = {r.author_id for r in rows if r.author_id is not None}
    users: dict[int | None, User] = (
        {u.id: u for u in await User.filter(id__in=author_ids)} if author_ids else {}
    )
    return [Delivered(r, users.get(r.author_id)) for r in rows]


def _covers(rows: list[Delivered], must_include: int) -> bool:
    return bool(rows) and rows[-1].message.id >= must_include


Key = tuple[int, int]  # conversation id, after id


class SharedReads:
    """The reads in flight (or just finished) of one process, shared by its subscribers.

    One per process, owned by the chat runtime (``ChatRuntime.reads``).
    """

    def __init__(self) -> None:
        self._inflight: dict[Key, asyncio.Task[list[Delivered]]] = {}

    def _evict(self, key: Key, task: asyncio.Task[list[Delivered]]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]

    def _finished(self, key: Key, task: asyncio.Task[list[Delivered]]) -> None:
        if task.cancelled() or task.exception() is not None:  # retrieved here; waiters too
            self._evict(key, task)
        else:
            asyncio.get_running_loop().call_later(SHARE_SECONDS, self._evict, key, task)

    async def messages_for_delivery(
        self, conversation_id: int, after_id: int, *, must_include: int | None = None
    ) -> list[Delivered]:
        """Up to ``BATCH`` messages after ``after_id`` in id order, with their authors."""
        if must_include is None:
            return await _load(conversation_id, after_id)
        key = (conversation_id, after_id)
        for _ in range(2):
            task = self._inflight.get(key)
            if task is None:
                task = asyncio.create_task(_load(conversation_id, after_id))
                self._inflight[key] = task
                task.add_done_callback(partial(self._finished, key))
            # shield: a subscriber leaving must not cancel the read the others wait for.
            rows = await asyncio.shield(task)
            if _covers(rows, must_include):
                return rows
            # The shared read predates the message that woke us: replace it, once.
            self._evict(key, task)
        return await _load(conversation_id, after_id)
