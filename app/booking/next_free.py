"""The derived next free slot of every psychologist (``models.booking.NextFreeSlot``).

Searches across the whole catalogue (soonest slots, ``SOONEST_AVAILABLE``,
``availableBefore``) read one indexed ``ORDER BY rank, psychologist_id LIMIT n`` instead
of computing thousands of schedules. The value is kept equal to a recomputation by
``app.booking.availability.search`` (property-tested in
``tests/booking/test_next_free_properties.py``):

- **Writes** mark it stale in their own transaction: database triggers on bookings,
  working hours, overrides, policies, services and the psychologist's zone set
  ``valid_until = 0`` and bump ``version`` (migration ``booking/0002_next_free_slots``),
  so no writer can forget it, bulk loads and hand edits included.
- **Time** makes it stale on its own: ``valid_until`` is the first second at which the
  stored answer may be wrong. A found slot ``S`` stays the first free one until its
  notice starts (``now > S - notice``): time only removes earlier candidates. "No slot"
  lasts until the horizon could reach a start of the bare schedule (working and extra
  hours, no bookings or time off, which only remove time), looked up to
  ``LOOKAHEAD_DAYS`` past the horizon.
- **Readers** (``refresh``) first recompute the stale rows of the kind they read, in
  batches with the same ``search`` the profile uses, and write each back only if its
  ``version`` is still the one they read: a write that raced the computation leaves the
  row stale for the next reader (on PostgreSQL the write-back waits for the writer's row
  lock, then sees the new version).

A fresh database or a bulk load leaves every row stale; ``refresh`` after the load (the
seed does) spares the first reader the full computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfoNotFoundError

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from app.booking.availability import (
    CATALOGUE_WINDOWS,
    DEFAULT_POLICY,
    Candidate,
    RankKey,
    ServiceLite,
    SlotInfo,
    _load_dynamic,
    _load_static,
    _Static,
    load_services,
    search,
)
from app.booking.slots import DAY, MINUTE, Schedule, iter_free_starts, to_datetime
from app.core.sql import bind, db, fetch_rows, is_sqlite, placeholders
from models.booking import NO_SLOT, NextFreeSlot
from models.catalogue import Psychologist
from models.enums import ServiceKind

LOOKAHEAD_DAYS = 7  # how far past the horizon "no slot" looks for the next possible start
NEVER = NO_SLOT  # valid_until of answers that time cannot change (no service of the kind)
BATCH = 2000  # psychologists recomputed per round (bounds the id lists and the memory)


@dataclass(frozen=True, slots=True)
class Derived:
    rank: int  # first free start (UTC epoch seconds) or NO_SLOT
    ends: int | None
    service_id: int | None
    valid_until: int  # stale from this epoch second on


def _epoch(now: datetime) -> int:
    return int(now.timestamp())  # what slot arithmetic does (app.booking.slots._ts)


async def compute(
    candidates: Sequence[Candidate], kind: ServiceKind, now: datetime
) -> dict[int, Derived]:
    """The derived value of each candidate at ``now``, from the database's current rows."""
    ids = [pid for pid, _ in candidates]
    services = await load_services(ids, kind)
    offering = [(pid, tz) for pid, tz in candidates if services.get(pid)]
    static = await _load_static([pid for pid, _ in offering]) if offering else _Static({}, {})
    found = await search(
        offering,
        kind,
        now,
        per_psychologist=1,
        windows=CATALOGUE_WINDOWS,
        preloaded=(services, static),
    )
    out: dict[int, Derived] = {
        pid: Derived(NO_SLOT, None, None, NEVER) for pid in ids if not services.get(pid)
    }
    without: list[Candidate] = []
    for pid, tz in offering:
        slots = found.get(pid)
        if not slots:
            without.append((pid, tz))
            continue
        slot = slots[0]
        start = int(slot.starts_at.timestamp())
        notice = static.policy.get(pid, DEFAULT_POLICY).notice_minutes * MINUTE
        out[pid] = Derived(
            start, int(slot.ends_at.timestamp()), slot.service_id, start - notice + 1
        )
    out.update(await _until_horizon_reaches(without, services, static, now))
    return out


async def _until_horizon_reaches(
    without: Sequence[Candidate],
    services: dict[int, list[ServiceLite]],
    static: _Static,
    now: datetime,
) -> dict[int, Derived]:
    """ "No slot" answers, valid until the horizon could reach a bare-schedule start."""
    if not without:
        return {}
    now_s = _epoch(now)
    horizons = {pid: static.policy.get(pid, DEFAULT_POLICY).horizon_days for pid, _ in without}
    lookahead = timedelta(days=LOOKAHEAD_DAYS)
    extra = await _load_dynamic(
        [pid for pid, _ in without],
        now + timedelta(days=min(horizons.values())),
        now + timedelta(days=max(horizons.values())) + lookahead,
        bookings=False,
    )
    out: dict[int, Derived] = {}
    for pid, tz in without:
        horizon = horizons[pid] * DAY
        policy = static.policy.get(pid, DEFAULT_POLICY)
        bare = Schedule(
            timezone=tz,
            weekly=static.weekly.get(pid, ()),
            extra_hours=extra.extra.get(pid, ()),
            notice_minutes=0,
            horizon_days=horizons[pid] + LOOKAHEAD_DAYS,
            step_minutes=policy.step_minutes,
        )
        horizon_end = to_datetime(now_s + horizon)
        starts: list[int] = []
        try:
            for service in services[pid]:
                first = next(
                    iter_free_starts(bare, service.duration_minutes, now, horizon_end), None
                )
                if first is not None:
                    starts.append(first)
        except (ZoneInfoNotFoundError, ValueError):
            starts = []  # an unusable zone has no slots; looked at again after LOOKAHEAD
        until = min(starts) - horizon + 1 if starts else now_s + LOOKAHEAD_DAYS * DAY + 1
        out[pid] = Derived(NO_SLOT, None, None, until)
    return out


async def refresh(kind: ServiceKind, now: datetime) -> int:
    """Recompute the rows of ``kind`` that are stale at ``now``; how many were."""
    now_s = _epoch(now)
    values: list[Any] = []
    of_kind, at, at2 = bind(values, kind.value), bind(values, now_s), bind(values, now_s)
    stale = await fetch_rows(
        "SELECT n.psychologist_id, n.version, p.timezone FROM next_free_slots n "  # noqa: S608
        "JOIN psychologists p ON p.id = n.psychologist_id "
        f"WHERE n.kind = {of_kind} AND (n.valid_until <= {at} OR n.computed_at > {at2})",
        values,
    )
    for i in range(0, len(stale), BATCH):
        chunk = stale[i : i + BATCH]
        derived = await compute([(int(r[0]), str(r[2])) for r in chunk], kind, now)
        rows = [
            [d.rank, d.ends, d.service_id, now_s, d.valid_until, int(pid), kind.value, int(ver)]
            for pid, ver, _ in chunk
            if (d := derived.get(int(pid))) is not None
        ]
        mark = placeholders(8).split(", ")
        await db().execute_many(
            f"UPDATE next_free_slots SET rank = {mark[0]}, ends = {mark[1]}, "  # noqa: S608
            f"service_id = {mark[2]}, computed_at = {mark[3]}, valid_until = {mark[4]} "
            f"WHERE psychologist_id = {mark[5]} AND kind = {mark[6]} AND version = {mark[7]}",
            rows,
        )
    return len(stale)


async def refresh_all(now: datetime) -> None:
    """Every kind's stale rows (after a bulk load, so that no reader pays for it)."""
    for kind in ServiceKind:
        await refresh(kind, now)


_MEMBERSHIP = 'AND "psychologist_id" IN ('


async def _rows(qs: Any) -> Sequence[Sequence[Any]]:
    """The ranking's rows. SQLite's planner drives the query by the candidate list (the
    ``(psychologist_id, kind)`` key matches it exactly) and sorts every candidate's row:
    9 ms at 10,000 psychologists. A unary ``+`` keeps the key out of it, so the rows are
    read in ``(kind, rank, psychologist_id)`` index order and each is looked up in the
    candidate list (SQLite builds it once) until ``LIMIT`` rows are found: 0.3 ms. A narrow
    filter reads at most every row of the kind this way, still without a sort.
    PostgreSQL plans this well on its own."""
    if not is_sqlite():
        return cast(Sequence[Sequence[Any]], await qs)
    qs._make_query()
    sql, params = qs.query.get_parameterized_sql()
    if sql.count(_MEMBERSHIP) != 1:  # not the shape this was written for: as it is
        return cast(Sequence[Sequence[Any]], await qs)
    return await fetch_rows(sql.replace(_MEMBERSHIP, 'AND +"psychologist_id" IN ('), params)


async def ranked(
    candidates: QuerySet[Psychologist],
    kind: ServiceKind,
    now: datetime,
    *,
    limit: int | None,
    after: RankKey | None = None,
    until: datetime | None = None,
    everyone: bool = False,
) -> list[tuple[RankKey, SlotInfo | None]]:
    """``candidates`` by their first free slot of ``kind`` (what
    ``availability.rank_by_first_slot`` computes), read from the derived rows."""
    await refresh(kind, now)
    qs = NextFreeSlot.filter(kind=kind.value, psychologist_id__in=Subquery(candidates.values("id")))
    if not everyone:
        qs = qs.filter(rank__lt=NO_SLOT)
    if until is not None:
        qs = qs.filter(rank__lt=_epoch(until.astimezone(UTC)) + (until.microsecond > 0))
    if after is not None:
        qs = qs.filter(Q(rank__gt=after[0]) | Q(rank=after[0], psychologist_id__gt=after[1]))
    qs = qs.order_by("rank", "psychologist_id")
    if limit is not None:
        qs = qs.limit(limit)
    out: list[tuple[RankKey, SlotInfo | None]] = []
    for pid, rank, ends, service_id in await _rows(
        qs.values_list("psychologist_id", "rank", "ends", "service_id")
    ):
        slot = None
        if rank < NO_SLOT and ends is not None and service_id is not None:
            slot = SlotInfo(pid, service_id, to_datetime(rank), to_datetime(ends))
        out.append(((rank, pid), slot))
    return out
