"""Availability of many psychologists at once, with a constant number of SQL statements.

One search loads, for all psychologists of the batch together:

1. their active services of the wanted kind        (1 statement)
2. their booking policies                          (1 statement)
3. their weekly working hours                      (1 statement)
4. per time window: overrides and bookings in it   (2 statements per window)

and runs the pure arithmetic of ``app.booking.slots`` in memory. Windows grow
(e.g. 2 days, then 9 days, then the horizon) and later windows are only loaded for
psychologists that still lack slots, so a catalogue page costs 5 statements
usually and never more than 9, whatever the number of cards.

Each is one explicit SQL statement, the id list bound as a single parameter
(``app.core.sql.any_of``); rows are read as the driver's tuples and times as UTC
epoch seconds computed by the database (no ORM objects, no datetime parsing): a
search over 10,000 psychologists handles ~100k rows.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from tortoise.queryset import QuerySet

from app.booking.slots import Schedule, WeeklyHours, iter_free_starts, to_datetime
from app.core.errors import BadInput
from app.core.messages import Msg
from app.core.sql import any_of, bind, epoch, fetch_rows
from models.booking import (
    OCCUPYING_STATUSES,
    OverrideKind,
)
from models.catalogue import Psychologist, Service
from models.enums import ServiceKind

log = logging.getLogger("psyline.booking")

DEFAULT_BUFFER_MINUTES = 10
DEFAULT_NOTICE_MINUTES = 120
DEFAULT_HORIZON_DAYS = 30
DEFAULT_STEP_MINUTES = 30
MAX_HORIZON_DAYS = 90
MAX_AVAILABILITY_DAYS = 31
# Growing search windows (hours from now); the last window always reaches the horizon.
CARD_WINDOWS: tuple[int, ...] = (48, 216)  # a page of cards: a few slots each
CATALOGUE_WINDOWS: tuple[int, ...] = (12, 48, 216)  # the whole catalogue: the first slot
PAD = timedelta(hours=12)  # overrides and bookings just outside a window still matter
MAX_BOOKING_SPAN = timedelta(hours=6)  # longest service + buffer: bounds the index range
# Working hours and policies of catalogue-wide searches (soonest slots, SOONEST_AVAILABLE,
# availableBefore over thousands of psychologists) are cached per process for this long.
# Only the display can be that stale: bookSlot re-checks with fresh rows.
STATIC_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Policy:
    buffer_minutes: int = DEFAULT_BUFFER_MINUTES
    notice_minutes: int = DEFAULT_NOTICE_MINUTES
    horizon_days: int = DEFAULT_HORIZON_DAYS
    step_minutes: int = DEFAULT_STEP_MINUTES


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class ServiceLite:
    id: int
    duration_minutes: int
    price: Decimal

    @classmethod
    def of(cls, row: Service) -> ServiceLite:
        return cls(row.id, row.duration_minutes, Decimal(str(row.price)))


@dataclass(frozen=True, slots=True)
class SlotInfo:
    psychologist_id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime


Candidate = tuple[int, str]  # psychologist id, IANA time zone
IdSource = Sequence[int] | None  # None: every psychologist (catalogue-wide caches)


def _of(column: str, ids: IdSource, values: list[Any]) -> str:
    return "TRUE" if ids is None else any_of(column, ids, values)


async def load_services(ids: IdSource, kind: ServiceKind | None) -> dict[int, list[ServiceLite]]:
    """Active services by psychologist, cheapest first."""
    values: list[Any] = []
    where = _of("psychologist_id", ids, values)
    if kind is not None:
        where += f" AND kind = {bind(values, kind.value)}"
    out: dict[int, list[ServiceLite]] = defaultdict(list)
    for pid, sid, duration, price in await fetch_rows(
        "SELECT psychologist_id, id, duration_minutes, price FROM services "  # noqa: S608
        f"WHERE is_active AND {where}",
        values,
    ):
        out[pid].append(ServiceLite(sid, duration, Decimal(str(price))))
    for services in out.values():
        services.sort(key=lambda s: (s.price, s.id))
    return out


@dataclass
class _Static:
    policy: dict[int, Policy]
    weekly: dict[int, tuple[WeeklyHours, ...]]


async def _load_static(ids: IdSource) -> _Static:
    values: list[Any] = []
    policies = {
        pid: Policy(buffer, notice, min(horizon, MAX_HORIZON_DAYS), step)
        for pid, buffer, notice, horizon, step in await fetch_rows(
            "SELECT psychologist_id, buffer_minutes, min_notice_minutes, horizon_days, "  # noqa: S608
            f"slot_step_minutes FROM booking_policies WHERE {_of('psychologist_id', ids, values)}",
            values,
        )
    }
    values = []
    hours: dict[int, list[WeeklyHours]] = defaultdict(list)
    for pid, weekday, start, end in await fetch_rows(
        "SELECT psychologist_id, weekday, start_minute, end_minute FROM working_hours "  # noqa: S608
        f"WHERE {_of('psychologist_id', ids, values)}",
        values,
    ):
        hours[pid].append(WeeklyHours(weekday, start, end))
    # Canonical, hashable patterns: slot arithmetic caches by (zone, pattern, dates).
    weekly = {
        pid: tuple(sorted(v, key=lambda w: (w.weekday, w.start_minute))) for pid, v in hours.items()
    }
    return _Static(policies, weekly)


@dataclass
class _Dynamic:
    extra: dict[int, list[tuple[int, int]]]
    time_off: dict[int, list[tuple[int, int]]]
    busy: dict[int, list[tuple[int, int]]]


async def _load_dynamic(
    ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_booking: int | None = None,
    reach: timedelta = PAD,
    *,
    bookings: bool = True,
) -> _Dynamic:
    """Overrides and occupying bookings that can touch slots starting in ``[start, end)``;
    ``reach`` is the longest slot plus buffer."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    extra: dict[int, list[tuple[int, int]]] = defaultdict(list)
    time_off: dict[int, list[tuple[int, int]]] = defaultdict(list)
    values: list[Any] = []
    overrides = await fetch_rows(
        f"SELECT psychologist_id, kind, {epoch('starts_at')}, {epoch('ends_at')} "  # noqa: S608
        f"FROM schedule_overrides WHERE {any_of('psychologist_id', ids, values)} "
        f"AND ends_at > {bind(values, start - PAD)} AND starts_at < {bind(values, end + PAD)}",
        values,
    )
    for pid, kind, s, e in overrides:
        target = time_off if kind == OverrideKind.TIME_OFF else extra
        target[pid].append((int(s), int(e)))
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if not bookings:
        return _Dynamic(extra, time_off, busy)
    values = []
    where = (
        f"{any_of('psychologist_id', ids, values)} "
        f"AND status IN ({', '.join(bind(values, s.value) for s in sorted(OCCUPYING_STATUSES))}) "
        f"AND blocked_until > {bind(values, start)} "
        # the longest booking bounds the index range on starts_at
        f"AND starts_at > {bind(values, start - MAX_BOOKING_SPAN)} "
        f"AND starts_at < {bind(values, end + reach)}"
    )
    if exclude_booking is not None:
        where += f" AND id <> {bind(values, exclude_booking)}"
    for pid, s, e in await fetch_rows(
        f"SELECT psychologist_id, {epoch('starts_at')}, {epoch('blocked_until')} "  # noqa: S608
        f"FROM bookings WHERE {where}",
        values,
    ):
        busy[pid].append((int(s), int(e)))
    return _Dynamic(extra, time_off, busy)


def _schedule(pid: int, tz: str, static: _Static, dynamic: _Dynamic) -> Schedule:
    policy = static.policy.get(pid, DEFAULT_POLICY)
    return Schedule(
        timezone=tz,
        weekly=static.weekly.get(pid, ()),
        extra_hours=dynamic.extra.get(pid, ()),
        time_off=dynamic.time_off.get(pid, ()),
        busy=dynamic.busy.get(pid, ()),
        buffer_minutes=policy.buffer_minutes,
        notice_minutes=policy.notice_minutes,
        horizon_days=policy.horizon_days,
        step_minutes=policy.step_minutes,
    )


def _slots_of(
    pid: int,
    services: Sequence[ServiceLite],
    schedule: Schedule,
    now: datetime,
    start: datetime,
    end: datetime,
    limit: int | None,
) -> list[SlotInfo]:
    found: list[tuple[int, Decimal, int, int]] = []
    try:
        for service in services:
            starts = iter_free_starts(schedule, service.duration_minutes, now, start, end)
            for n, s in enumerate(starts):
                if limit is not None and n >= limit:
                    break
                found.append((s, service.price, service.id, service.duration_minutes))
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("psychologist %s has an unusable time zone; no slots", pid)
        return []
    found.sort()
    if limit is not None:
        found = found[:limit]
    return [
        SlotInfo(pid, sid, to_datetime(s), to_datetime(s + duration * 60))
        for s, _price, sid, duration in found
    ]


async def search(
    candidates: Sequence[Candidate],
    kind: ServiceKind | None,
    now: datetime,
    *,
    per_psychologist: int | None,
    windows: Sequence[int] = CARD_WINDOWS,
    until: datetime | None = None,
    start: datetime | None = None,
    preloaded: tuple[dict[int, list[ServiceLite]], _Static] | None = None,
    services: dict[int, list[ServiceLite]] | None = None,
) -> dict[int, list[SlotInfo]]:
    """Free slots of many psychologists, earliest first, with growing windows.

    ``per_psychologist`` slots at most each (None: all in the range, one window);
    ``until`` caps the search (exclusive); ``start``: no slot before it; ``preloaded``:
    services and static rows already loaded by the caller; ``services``: only the services
    (of ``kind``, cheapest first; e.g. the rows a request's dataloader holds).
    """
    found: dict[int, list[SlotInfo]] = {}
    if not candidates:
        return found
    zones = dict(candidates)
    id_source = list(zones)
    if preloaded is not None:
        services, static = preloaded
    elif services is None:
        services = await load_services(id_source, kind)
    pending = [pid for pid in zones if services.get(pid)]
    if not pending:
        return found
    if preloaded is None:
        static = await _load_static(id_source)
    reach = timedelta(
        minutes=max(s.duration_minutes for pid in pending for s in services[pid])
        + max(static.policy.get(pid, DEFAULT_POLICY).buffer_minutes for pid in pending)
    )
    begin = max(start or now, now)
    max_horizon = max(static.policy.get(pid, DEFAULT_POLICY).horizon_days for pid in pending)
    final_end = now + timedelta(days=max_horizon)
    if until is not None:
        final_end = min(final_end, until)
    bounds = []
    if per_psychologist is not None:
        bounds = [now + timedelta(hours=h) for h in windows if now + timedelta(hours=h) < final_end]
    bounds.append(final_end)
    window_start = begin
    for window_end in bounds:
        if window_end <= window_start:
            continue
        dynamic = await _load_dynamic(pending, window_start, window_end, reach=reach)
        still: list[int] = []
        for pid in pending:
            have = found.setdefault(pid, [])
            limit = None if per_psychologist is None else per_psychologist - len(have)
            schedule = _schedule(pid, zones[pid], static, dynamic)
            have.extend(
                _slots_of(pid, services[pid], schedule, now, window_start, window_end, limit)
            )
            if per_psychologist is None or len(have) < per_psychologist:
                still.append(pid)
        pending = still
        window_start = window_end
        if not pending:
            break
    return {pid: slots for pid, slots in found.items() if slots}


class ScheduleCache:
    """Every psychologist's working hours and policy, for catalogue-wide searches.

    One per process, owned by the app's runtime (``app.runtime.Runtime.schedules``) and
    passed in: reloaded after ``STATIC_CACHE_SECONDS`` or when asked about a psychologist
    it has not seen.
    """

    def __init__(self) -> None:
        self.invalidate()

    def invalidate(self) -> None:
        """Forget cached working hours and policies (call after changing them)."""
        self._loaded_at = float("-inf")
        self._known: set[int] = set()
        self._data = _Static({}, {})

    async def get(self, pids: Sequence[int]) -> _Static:
        fresh = time.monotonic() - self._loaded_at < STATIC_CACHE_SECONDS
        if fresh and self._known.issuperset(pids):
            return self._data
        # Every schedule at once (no id list): catalogue-wide searches need them all. The
        # ids are read first, so a psychologist added in between is never "known" without
        # hours.
        known = {row[0] for row in await fetch_rows("SELECT id FROM psychologists", [])}
        data = await _load_static(None)
        self._loaded_at, self._known, self._data = time.monotonic(), known, data
        return data


async def slots_in_window(
    psychologist_id: int,
    timezone: str,
    kind: ServiceKind | None,
    start: datetime,
    end: datetime,
    now: datetime,
    services: Sequence[ServiceLite] | None = None,
) -> list[SlotInfo]:
    """A profile's availability: every free slot in ``[start, end)`` (at most 31 days);
    ``services``: the psychologist's active ones of ``kind`` if the caller has them."""
    start, end = require_aware(start, "from"), require_aware(end, "to")
    if end <= start:
        raise BadInput(Msg.AVAILABILITY_RANGE)
    if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
        raise BadInput(Msg.AVAILABILITY_WINDOW(days=MAX_AVAILABILITY_DAYS))
    result = await search(
        [(psychologist_id, timezone)],
        kind,
        now,
        per_psychologist=None,
        until=end,
        start=start,
        services=None if services is None else {psychologist_id: list(services)},
    )
    return result.get(psychologist_id, [])


def require_aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInput(Msg.NEEDS_UTC_OFFSET(field=field))
    return value


async def _zones(candidates: QuerySet[Psychologist]) -> dict[int, str]:
    return dict(await candidates.values_list("id", "timezone"))


NO_SLOT = 2**62  # sort key of psychologists without a free slot: after everyone else
FIRST_BATCH = 256  # psychologists evaluated per round of the best-first search (doubling)

RankKey = tuple[int, int]  # (first free slot epoch or NO_SLOT, psychologist id)


def soonest_key(slot: SlotInfo | None, pid: int) -> RankKey:
    return (int(slot.starts_at.timestamp()) if slot else NO_SLOT, pid)


async def rank_by_first_slot(
    candidates: QuerySet[Psychologist],
    kind: ServiceKind,
    now: datetime,
    *,
    schedules: ScheduleCache,
    limit: int | None,
    after: RankKey | None = None,
    until: datetime | None = None,
    everyone: bool = False,
) -> list[tuple[RankKey, SlotInfo | None]]:
    """``candidates`` ordered by their first free slot of ``kind``, keys after ``after``.

    Best-first instead of computing everyone: a lower bound of each psychologist's
    first slot ignores bookings and time off (which only remove time), so it depends
    only on (zone, weekly pattern, policy, duration) and is computed once per distinct
    combination, a few dozen for 10,000 psychologists. Psychologists are evaluated
    for real (with their bookings) in lower-bound order, in doubling batches, until
    the next lower bound is later than the ``limit``-th best slot found: nobody left
    can come before it. Extra-hours overrides can open earlier time, so their owners
    are evaluated first. ``until``: only slots starting before it count. ``everyone``:
    also rank psychologists without the service (a catalogue ordering lists everybody).
    """
    zones = await _zones(candidates)
    if not zones:
        return []
    ids = list(zones)
    services = await load_services(ids, kind)
    if not everyone:  # only who offers the service can have a slot
        zones = {pid: tz for pid, tz in zones.items() if pid in services}
    static = await schedules.get(list(zones))
    horizon = max(
        (static.policy.get(pid, DEFAULT_POLICY).horizon_days for pid in services), default=0
    )
    final_end = now + timedelta(days=horizon)
    if until is not None:
        final_end = min(final_end, until)
    dynamic = await _load_dynamic(ids, now, final_end, reach=timedelta(0), bookings=False)
    bounds: dict[int, int | None] = {}
    memo: dict[tuple[object, ...], int | None] = {}
    for pid, mine in services.items():
        if pid not in zones:
            continue
        if dynamic.extra.get(pid):
            bounds[pid] = int(now.timestamp())  # extra hours: no cheap bound, look first
            continue
        policy = static.policy.get(pid, DEFAULT_POLICY)
        weekly = static.weekly.get(pid, ())
        shortest = min(sv.duration_minutes for sv in mine)
        shape = (zones[pid], weekly, policy, shortest)
        if shape not in memo:
            bare = Schedule(
                timezone=zones[pid],
                weekly=weekly,
                buffer_minutes=policy.buffer_minutes,
                notice_minutes=policy.notice_minutes,
                horizon_days=policy.horizon_days,
                step_minutes=policy.step_minutes,
            )
            try:
                memo[shape] = next(iter_free_starts(bare, shortest, now, None, final_end), None)
            except (ZoneInfoNotFoundError, ValueError):
                memo[shape] = None
        bounds[pid] = memo[shape]
    order = sorted((b, pid) for pid, b in bounds.items() if b is not None)
    found: dict[int, SlotInfo | None] = {}

    def good_keys() -> list[RankKey]:
        keys = [soonest_key(slot, pid) for pid, slot in found.items() if slot is not None]
        return sorted(k for k in keys if after is None or k > after)

    i, batch = 0, FIRST_BATCH
    while i < len(order):
        if limit is not None:
            good = good_keys()
            if len(good) >= limit and order[i][0] > good[limit - 1][0]:
                break
        chunk = [pid for _, pid in order[i : i + batch]]
        i += batch
        batch *= 2
        result = await search(
            [(pid, zones[pid]) for pid in chunk],
            kind,
            now,
            per_psychologist=1,
            windows=CATALOGUE_WINDOWS,
            until=final_end,
            preloaded=(services, static),
        )
        for pid in chunk:
            slots = result.get(pid)
            found[pid] = slots[0] if slots else None
    complete = i >= len(order)
    ranked: list[tuple[RankKey, SlotInfo | None]] = []
    for pid, slot in found.items():
        key = soonest_key(slot, pid)
        if after is None or key > after:
            ranked.append((key, slot))
    if complete:  # everyone was looked at: those without a slot come last, by id
        for pid in zones:
            if pid not in found:
                key = (NO_SLOT, pid)
                if after is None or key > after:
                    ranked.append((key, None))
    ranked.sort(key=lambda r: r[0])
    if until is not None:
        ranked = [r for r in ranked if r[1] is not None]
    return ranked if limit is None else ranked[:limit]


async def schedule_for(
    psychologist_id: int,
    timezone: str,
    start: datetime,
    end: datetime,
    exclude_booking: int | None = None,
) -> tuple[Schedule, Policy]:
    """One psychologist's schedule around ``[start, end)`` (the re-check before booking)."""
    static = await _load_static([psychologist_id])
    dynamic = await _load_dynamic([psychologist_id], start, end, exclude_booking)
    schedule = _schedule(psychologist_id, timezone, static, dynamic)
    return schedule, static.policy.get(psychologist_id, DEFAULT_POLICY)
