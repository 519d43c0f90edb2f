"""Who still uses deprecated fields: counted per field, operation name and client name.

``schema.usage`` records each executed operation's deprecated fields here (in memory,
a dictionary increment); ``flush`` adds the counts to ``deprecated_field_usage``, one
UPDATE per key, every ``FLUSH_SECONDS`` and at shutdown, so the hot path never waits
for the database and every worker adds to the same rows. ``python -m app deprecations``
lists them: a field may go once nobody has used it for a release.

The client name is Apollo's ``apollographql-client-name`` header (any client may send
it; it is trimmed to printable ASCII). Keys are bounded: past ``MAX_KEYS`` distinct ones
in one interval, new ones count under operation and client ``(other)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from app.core import clock
from app.core.errors import raise_if_cancelled
from models.api import DeprecatedFieldUsage

log = logging.getLogger("psyline.usage")

FLUSH_SECONDS = 60.0
MAX_KEYS = 10_000
MAX_NAME = 64
OTHER = "(other)"

Key = tuple[str, str, str]  # (coordinate, operation name, client name)


def clean_name(value: str | None) -> str:
    """A printable ASCII label of at most ``MAX_NAME`` characters ("" when none)."""
    if not value:
        return ""
    return "".join(ch for ch in value[:MAX_NAME] if " " <= ch <= "~").strip()


class DeprecatedUsage:
    """Counts since the last flush, and when each key was last seen."""

    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()
        self.seen: dict[Key, datetime] = {}

    def record(self, coordinates: Iterable[str], operation: str | None, client: str | None) -> None:
        now = clock.now()
        op_name, client_name = clean_name(operation), clean_name(client)
        for coordinate in coordinates:
            key = (coordinate, op_name, client_name)
            if key not in self.counts and len(self.counts) >= MAX_KEYS:
                key = (coordinate, OTHER, OTHER)
            self.counts[key] += 1
            self.seen[key] = now

    async def flush(self) -> int:
        """Add the counts to the table; how many keys were written. Counts that could not
        be written are kept for the next flush."""
        if not self.counts:
            return 0
        counts, seen = self.counts, self.seen
        self.counts, self.seen = Counter(), {}
        try:
            for key, count in counts.items():
                await _add(key, count, seen[key])
        except Exception as exc:
            raise_if_cancelled(exc)
            log.warning("deprecated field usage not written: %s", type(exc).__name__)
            self.counts.update(counts)
            for key, when in seen.items():
                self.seen[key] = max(when, self.seen.get(key, when))
            return 0
        return len(counts)


async def _add(key: Key, count: int, when: datetime) -> None:
    """Add to the row of ``key`` (one UPDATE), creating it the first time; a worker that
    created it at the same moment makes the insert fail, and the update then holds."""
    coordinate, operation, client = key
    row = DeprecatedFieldUsage.filter(
        coordinate=coordinate, operation_name=operation, client_name=client
    )
    if await row.update(count=F("count") + count, last_seen_at=when):
        return
    try:
        await DeprecatedFieldUsage.create(
            coordinate=coordinate,
            operation_name=operation,
            client_name=client,
            count=count,
            first_seen_at=when,
            last_seen_at=when,
        )
    except IntegrityError:
        await row.update(count=F("count") + count, last_seen_at=when)


@contextlib.asynccontextmanager
async def flushed(usage: DeprecatedUsage, every: float = FLUSH_SECONDS) -> AsyncIterator[None]:
    """Flush ``usage`` every ``every`` seconds while the block runs, and once at its end."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            await usage.flush()

    task = asyncio.create_task(loop(), name="psyline-usage-flush")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await usage.flush()
