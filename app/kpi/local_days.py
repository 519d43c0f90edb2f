"""Local calendar days of a period in an IANA zone, for SQL that groups by them.

Neither SQLite nor our SQL may lean on the database's own time zone data (SQLite has
none), so the zone's rules come from ``zoneinfo`` here: over a bounded period a zone has
a handful of UTC offsets (one per DST change), and the local day of a UTC epoch second
``e`` is ``(e + offset(e)) // 86400`` days after 1970-01-01. ``local_day_sql`` writes that
as one ``CASE`` over those few offsets, of constant size in the number of rows, and the
same on both databases (so both count the same days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY_SECONDS = 86_400
EPOCH_DAY = date(1970, 1, 1)


def _offset(tz: ZoneInfo, epoch: int) -> int:
    delta = datetime.fromtimestamp(epoch, UTC).astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


@dataclass(frozen=True)
class Offsets:
    """The zone's UTC offset over a period: ``first`` until ``changes[0][0]``, then each
    change's offset from its epoch second on."""

    first: int
    changes: tuple[tuple[int, int], ...]

    def at(self, epoch: int) -> int:
        current = self.first
        for since, offset in self.changes:
            if epoch < since:
                break
            current = offset
        return current


def offsets(tz: ZoneInfo, start: datetime, end: datetime) -> Offsets:
    """The offsets of ``tz`` over ``[start, end)``: sampled every 6 hours (no zone changes
    twice in that time), each change found to the second by bisection."""
    lo, hi = int(start.timestamp()), int(end.timestamp())
    first = _offset(tz, lo)
    changes: list[tuple[int, int]] = []
    step = 6 * 3600
    t, current = lo, first
    while t < hi:
        nxt = min(t + step, hi)
        after = _offset(tz, nxt)
        if after != current:
            a, b = t, nxt  # offset(a) == current, offset(b) != current
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(tz, mid) == current:
                    a = mid
                else:
                    b = mid
            changes.append((b, after))
            current = after
        t = nxt
    return Offsets(first, tuple(changes))


def local_day_sql(epoch_sql: str, rules: Offsets) -> str:
    """SQL of the local day number (days since 1970-01-01) of ``epoch_sql`` (an integer
    expression); integer literals only (our own numbers), no parameters."""
    if not rules.changes:
        shift = str(int(rules.first))
    else:
        branches = []
        previous = rules.first
        for since, offset in rules.changes:
            branches.append(f"WHEN {epoch_sql} < {int(since)} THEN {int(previous)}")
            previous = offset
        shift = f"CASE {' '.join(branches)} ELSE {int(previous)} END"
    return f"(({epoch_sql}) + ({shift})) / {DAY_SECONDS}"


def day_of(number: int) -> date:
    return EPOCH_DAY + timedelta(days=int(number))


def local_days(tz: ZoneInfo, start: datetime, end: datetime) -> list[date]:
    """Every local date that ``[start, end)`` touches, in order."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
