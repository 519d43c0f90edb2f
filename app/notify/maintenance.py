"""Looking after the outbox: its backlog, the dead letters, and rows past their retention.

What an operator does with ``python -m app outbox ...`` (``app.cli.outbox``) and what the
worker does on its own (pruning, at most once per ``PRUNE_EVERY``):

- ``backlog``: PENDING rows (due now, and scheduled later), the age of the oldest due
  one, and the DEAD count: the figures to watch (and to export as metrics later);
- ``dead_letters`` / ``requeue``: a DEAD row (retried ``notify_max_attempts`` times) waits
  for a human; requeueing gives it a fresh set of attempts, due now. Its deliveries stay,
  so a device that had it already is not sent it again. A reminder of a booking that is
  no longer CONFIRMED is still dropped by the worker at send time;
- ``prune``: final rows (SENT, FAILED, CANCELLED) older than the retention are deleted
  with their deliveries, in bounded chunks (no long lock on a big table). DEAD rows are
  kept until someone looks at them (``include_dead`` deletes them too). Pruning cannot
  make an event notify twice: keys are per subject (a booking, a user's first sign-in,
  a message) and those events do not happen again months later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.functions import Count, Min

from app.core import clock
from models.notify import Notification, NotificationStatus

PRUNE_CHUNK = 1_000  # rows deleted per statement
PRUNE_EVERY = timedelta(hours=1)  # the worker prunes at most this often
FINAL = (NotificationStatus.SENT, NotificationStatus.FAILED, NotificationStatus.CANCELLED)


@dataclass(frozen=True)
class Backlog:
    pending_due: int  # PENDING with next_attempt_at <= now (due, or claimed: leased)
    pending_later: int  # PENDING scheduled later (reminders, retries after back-off)
    oldest_due_seconds: float | None  # now - the earliest due_at among the due ones
    dead: int


async def backlog(now: datetime | None = None) -> Backlog:
    """The outbox in three statements, each on the ``(status, next_attempt_at)`` index."""
    now = now or clock.now()
    pending = Notification.filter(status=NotificationStatus.PENDING)
    due = pending.filter(next_attempt_at__lte=now)
    [row] = await due.annotate(n=Count("id"), oldest=Min("due_at")).values("n", "oldest")
    later = await pending.filter(next_attempt_at__gt=now).count()
    dead = await Notification.filter(status=NotificationStatus.DEAD).count()
    oldest = row["oldest"]
    return Backlog(
        pending_due=int(row["n"] or 0),
        pending_later=later,
        oldest_due_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        dead=dead,
    )


async def dead_letters(limit: int = 50) -> list[Notification]:
    """The most recent DEAD rows first (no texts are stored: kind, user id, error code)."""
    limit = max(1, min(limit, 1_000))
    return list(
        await Notification.filter(status=NotificationStatus.DEAD).order_by("-id").limit(limit)
    )


async def requeue(ids: Sequence[int] | None = None, *, now: datetime | None = None) -> int:
    """DEAD rows (those of ``ids``, or all when None) PENDING again, due now, attempts 0."""
    now = now or clock.now()
    query = Notification.filter(status=NotificationStatus.DEAD)
    if ids is not None:
        if not ids:
            return 0
        query = query.filter(id__in=list(ids))
    return await query.update(
        status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None
    )


async def prune(
    older_than: timedelta,
    *,
    include_dead: bool = False,
    now: datetime | None = None,
    max_rows: int = 1_000_000,
) -> int:
    """Delete final rows created before ``now - older_than`` (deliveries cascade); how many.

    Chunked: each statement deletes at most ``PRUNE_CHUNK`` rows by primary key, so no
    statement holds many locks; ``max_rows`` bounds one call (the next call goes on)."""
    now = now or clock.now()
    cutoff = now - older_than
    statuses = [*FINAL, NotificationStatus.DEAD] if include_dead else list(FINAL)
    deleted = 0
    while deleted < max_rows:
        ids = await (
            Notification.filter(status__in=statuses, created_at__lt=cutoff)
            .order_by("id")
            .limit(min(PRUNE_CHUNK, max_rows - deleted))
            .values_list("id", flat=True)
        )
        if not ids:
            break
        # Status checked again: a row requeued meanwhile is not deleted.
        deleted += await Notification.filter(id__in=list(ids), status__in=statuses).delete()
        if len(ids) < PRUNE_CHUNK:
            break
    return deleted
