"""Pure slot arithmetic: no database, no I/O, easy to property-test.

A psychologist's free slots for one service are

    weekly working hours (local wall clock, IANA zone) + extra hours
    - time off
    - existing bookings (each already including its buffer: [starts_at, blocked_until))
    - anything earlier than ``now + notice`` or later than ``now + horizon``

on a start-time grid: every ``step`` minutes from the start of each open interval,
computed in the psychologist's zone. Each day's intervals are built from local
wall-clock times, so the grid stays on the same local times across DST changes
(09:00, 09:30... both in winter and in summer).

A slot ``[s, s + duration)`` must fit inside an open interval; the buffer after it
``[s + duration, s + duration + buffer)`` must not overlap another booking (the
buffer may run past the end of working hours). The same ``blocked_until =
ends_at + buffer`` is what the database constraint holds, so the computation and
the invariant agree.

All arithmetic is on integer UTC epoch seconds; datetimes only at the edges.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from app.core.zones import zone

MINUTE = 60
DAY = 86_400
CELL_SECONDS = 300  # the 5-minute granularity of every time in the booking domain


class WeeklyHours(NamedTuple):
    """An interval of a weekday in local wall-clock minutes (0 = Monday, end <= 1440).

    A named tuple: hashed and compared in C, as it is part of a hot cache key."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open UTC interval ``[start, end)`` of aware datetimes."""

    start: datetime
    end: datetime


# An interval as datetimes, or as ``(start, end)`` UTC epoch seconds (the fast path
# used when loading thousands of bookings).
Span = Interval | tuple[int, int]


@dataclass(frozen=True)
class Schedule:
    timezone: str
    weekly: Sequence[WeeklyHours] = ()
    extra_hours: Sequence[Span] = ()
    time_off: Sequence[Span] = ()
    busy: Sequence[Span] = ()  # existing bookings, buffer included
    buffer_minutes: int = 10
    notice_minutes: int = 120
    horizon_days: int = 30
    step_minutes: int = 30

    def __post_init__(self) -> None:
        if not isinstance(self.weekly, tuple):  # hashable: the weekly pattern is a cache key
            object.__setattr__(self, "weekly", tuple(self.weekly))


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _span(value: Span) -> tuple[int, int]:
    if isinstance(value, Interval):
        return _ts(value.start), _ts(value.end)
    return value


def to_datetime(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@lru_cache(maxsize=65_536)
def _local_epoch(tz_name: str, day: date, minute: int) -> int:
    """UTC epoch of local wall-clock ``minute`` (0..1440) of ``day`` in the zone.

    Wall-clock arithmetic: aware + timedelta keeps the local time, then .timestamp()
    applies the offset valid at that local time (cached: many psychologists share
    a zone and the same hours).
    """
    tz = zone(tz_name)
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return _ts(midnight + timedelta(minutes=minute))


@lru_cache(maxsize=16_384)
def _weekly_on_days(
    tz_name: str, weekly: tuple[WeeklyHours, ...], first: date, last: date
) -> tuple[tuple[int, int], ...]:
    """UTC intervals of a weekly pattern on the local dates ``first..last`` (cached: most
    psychologists share a zone and one of a few patterns)."""
    by_day: dict[int, list[WeeklyHours]] = {}
    for wh in weekly:
        if wh.end_minute > wh.start_minute:
            by_day.setdefault(wh.weekday, []).append(wh)
    out: list[tuple[int, int]] = []
    day = first
    while day <= last:
        for wh in by_day.get(day.weekday(), ()):
            out.append(
                (
                    _local_epoch(tz_name, day, wh.start_minute),
                    _local_epoch(tz_name, day, wh.end_minute),
                )
            )
        day += timedelta(days=1)
    return tuple(out)


def _weekly_intervals(schedule: Schedule, start: int, end: int) -> list[tuple[int, int]]:
    """UTC intervals of the weekly hours on every local date that can touch ``[start, end)``."""
    if not schedule.weekly:
        return []
    tz = zone(schedule.timezone)
    first = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, tz).date() + timedelta(days=1)
    days = _weekly_on_days(schedule.timezone, schedule.weekly, first, last)
    return [(s, e) for s, e in days if e > start and s < end]


def open_intervals(schedule: Schedule, start: int, end: int) -> list[tuple[int, int, int]]:
    """Disjoint sorted ``(start, end, anchor)`` open intervals touching ``[start, end)``.

    ``anchor`` is the start of the merged working interval before time off is cut
    out, so time off and bookings never shift the grid.
    """
    raw = _weekly_intervals(schedule, start, end)
    raw.extend(sp for sp in map(_span, schedule.extra_hours) if sp[1] > start and sp[0] < end)
    raw.sort()
    merged: list[list[int]] = []
    for s, e in raw:
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, s])
    off = _union(map(_span, schedule.time_off))
    out: list[tuple[int, int, int]] = []
    for s, e, anchor in merged:
        for ps, pe in _subtract(s, e, off):
            out.append((ps, pe, anchor))
    return out


def _union(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _subtract(s: int, e: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    cur = s
    for hs, he in holes:
        if he <= cur:
            continue
        if hs >= e:
            break
        if hs > cur:
            pieces.append((cur, hs))
        cur = max(cur, he)
        if cur >= e:
            break
    if cur < e:
        pieces.append((cur, e))
    return pieces


def _ceil_to_grid(value: int, anchor: int, step: int) -> int:
    if value <= anchor:
        return anchor
    return anchor + -(-(value - anchor) // step) * step


def iter_free_starts(
    schedule: Schedule,
    duration_minutes: int,
    now: datetime,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> Iterator[int]:
    """Free slot starts (UTC epoch seconds), ascending and unique, lazily."""
    now_s = _ts(now)
    earliest = now_s + schedule.notice_minutes * MINUTE
    latest = now_s + schedule.horizon_days * DAY  # exclusive bound on starts
    if window_start is not None:
        earliest = max(earliest, _ts(window_start))
    if window_end is not None:
        latest = min(latest, _ts(window_end))
    if latest <= earliest or duration_minutes <= 0:
        return
    duration = duration_minutes * MINUTE
    reach = duration + max(0, schedule.buffer_minutes) * MINUTE  # the slot plus its buffer
    step = max(1, schedule.step_minutes) * MINUTE
    busy = _union(map(_span, schedule.busy))
    busy_ends = [e for _, e in busy]
    last = -1
    for ps, pe, anchor in open_intervals(schedule, earliest, latest + duration):
        s = _ceil_to_grid(max(ps, earliest), anchor, step)
        while s < latest and s + duration <= pe:
            j = bisect.bisect_right(busy_ends, s)  # first busy interval ending after s
            if j < len(busy) and busy[j][0] < s + reach:
                s = _ceil_to_grid(busy[j][1], anchor, step)
                continue
            if s > last:  # merged intervals are disjoint, but stay strictly increasing
                last = s
                yield s
            s += step


def free_slots(
    schedule: Schedule,
    duration_minutes: int,
    now: datetime,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    limit: int | None = None,
) -> list[datetime]:
    """Free slot starts as aware UTC datetimes, sorted and unique."""
    out: list[datetime] = []
    if limit is not None and limit <= 0:
        return out
    for s in iter_free_starts(schedule, duration_minutes, now, window_start, window_end):
        out.append(to_datetime(s))
        if limit is not None and len(out) >= limit:
            break
    return out


def is_free(schedule: Schedule, start: datetime, duration_minutes: int, now: datetime) -> bool:
    """Whether ``start`` is one of the schedule's free slots for this duration."""
    found = free_slots(
        schedule, duration_minutes, now, start, start + timedelta(seconds=1), limit=1
    )
    return found == [start]


def cells(start: datetime, blocked_until: datetime) -> list[int]:
    """The 5-minute cells (epoch // 300) covering ``[start, blocked_until)``."""
    first = _ts(start) // CELL_SECONDS
    last = -(-_ts(blocked_until) // CELL_SECONDS)  # ceil
    return list(range(first, last))


def local_day_interval(tz_name: str, first: date, last: date) -> Interval:
    """``[first 00:00, last+1 00:00)`` local time as a UTC interval (whole-day overrides)."""
    tz = zone(tz_name)
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    nxt = last + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    return Interval(start.astimezone(UTC), end.astimezone(UTC))
