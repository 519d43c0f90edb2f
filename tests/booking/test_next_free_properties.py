"""The derived next free slot equals a full recomputation, after any sequence of writes and
any passing of time (hypothesis; on SQLite, and on PostgreSQL in CI's second pass).

Each example creates a few psychologists with varied zones, hours, notice and horizons,
then applies random operations: bookings made and cancelled, time off, extra hours,
working hours removed, policies and zones changed, services switched off and on, and time
moved forward by minutes to weeks. After every step the catalogue's order by first free
slot, read from the derived rows (``app.booking.next_free.ranked``), must be exactly what
``app.booking.availability.search`` computes for everyone from scratch.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.booking import availability, next_free
from app.catalogue.filters import CatalogueFilter, filtered
from models.booking import (
    NO_SLOT,
    Booking,
    BookingPolicy,
    BookingStatus,
    NextFreeSlot,
    OverrideKind,
    ScheduleOverride,
    WorkingHours,
)
from models.catalogue import Psychologist, Service
from models.enums import ServiceKind
from models.identity import User
from tests.booking.conftest import MakePsychologist

ZONES = ("UTC", "Europe/Moscow", "Asia/Vladivostok", "Europe/Berlin", "America/New_York")
PEOPLE = 4
KIND = ServiceKind.SESSION

people = st.lists(
    st.fixed_dictionaries(
        {
            "timezone": st.sampled_from(ZONES),
            "hours": st.sampled_from([((0, 1440),), ((540, 1080),), ((1200, 1260),)]),
            "notice": st.sampled_from([0, 60, 180]),
            "horizon": st.sampled_from([1, 2, 30]),
            "step": st.sampled_from([15, 30, 60]),
            "weekdays": st.sampled_from([{0, 1, 2, 3, 4, 5, 6}, {0, 1, 2, 3, 4}, {2}, {1, 5}]),
        }
    ),
    min_size=PEOPLE,
    max_size=PEOPLE,
)
operations = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "book",
                "book",
                "cancel",
                "time_off",
                "extra_hours",
                "drop_day",
                "policy",
                "zone",
                "service_off",
                "service_on",
                "wait",
                "wait",
                "wait",
                "wait",
            ]
        ),
        st.integers(0, PEOPLE - 1),
        st.integers(0, 500),
    ),
    min_size=1,
    max_size=10,
)
# Time moves by one of these (the op's number picks it): the notice of a found slot, the
# grid step and the horizon of "no slot" are all crossed somewhere.
WAITS = tuple(
    timedelta(minutes=m)
    for m in (1, 7, 13, 29, 31, 59, 61, 119, 181, 600, 1440, 2 * 1440, 3 * 1440, 9 * 1440)
)


async def _expected(ids: list[int], now: datetime) -> list[tuple[int, int, int | None]]:
    zones = await Psychologist.filter(id__in=ids).values_list("id", "timezone")
    found = await availability.search(
        zones, KIND, now, per_psychologist=1, windows=availability.CATALOGUE_WINDOWS
    )
    rows = []
    for pid in ids:
        slot = found.get(pid, [None])[0]
        if slot is None:
            rows.append((NO_SLOT, pid, None))
        else:
            rows.append((int(slot.starts_at.timestamp()), pid, slot.service_id))
    return sorted(rows)


async def _derived(ids: list[int], now: datetime) -> list[tuple[int, int, int | None]]:
    ranked = await next_free.ranked(
        filtered(CatalogueFilter(only_ids=ids)), KIND, now, limit=None, everyone=True
    )
    return [(key[0], key[1], slot.service_id if slot else None) for key, slot in ranked]


async def _apply(op: str, pid: int, n: int, now: datetime, client_id: int) -> datetime:
    """One write (or the passing of time); the new ``now``."""
    if op == "wait":
        return now + WAITS[n % len(WAITS)]
    service = await Service.get(psychologist_id=pid, kind=KIND)
    if op == "book":
        zone = (await Psychologist.get(id=pid)).timezone
        slots = await availability.search([(pid, zone)], KIND, now, per_psychologist=4)
        if slots.get(pid):
            slot = slots[pid][n % len(slots[pid])]
            await Booking.create(
                client_id=client_id,
                psychologist_id=pid,
                service_id=service.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                blocked_until=slot.ends_at + timedelta(minutes=10),
                price=service.price,
                video_room=uuid.uuid4().hex,
            )
    elif op == "cancel":
        booking = await Booking.filter(psychologist_id=pid, status=BookingStatus.CONFIRMED).first()
        if booking is not None:
            booking.status = BookingStatus.CANCELLED
            await booking.save()
    elif op in ("time_off", "extra_hours"):
        start = now + timedelta(minutes=15 * (n % 200))
        await ScheduleOverride.create(
            psychologist_id=pid,
            kind=OverrideKind.TIME_OFF if op == "time_off" else OverrideKind.EXTRA_HOURS,
            starts_at=start,
            ends_at=start + timedelta(minutes=30 + 15 * (n % 40)),
        )
    elif op == "drop_day":
        await WorkingHours.filter(psychologist_id=pid, weekday=n % 7).delete()
    elif op == "policy":
        await BookingPolicy.filter(psychologist_id=pid).update(
            min_notice_minutes=(n % 5) * 45, horizon_days=1 + n % 20
        )
    elif op == "zone":
        await Psychologist.filter(id=pid).update(timezone=ZONES[n % len(ZONES)])
    else:
        service.is_active = op == "service_on"
        await service.save()
    return now


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=people, operations=operations, start=st.integers(0, 7 * 24 * 60))
async def test_derived_next_free_slot_equals_recomputation(
    make_psychologist: MakePsychologist,
    people: list[dict[str, Any]],
    operations: list[tuple[str, int, int]],
    start: int,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=start)
    ids = []
    for spec in people:
        weekdays = spec.pop("weekdays")
        p = await make_psychologist(**spec)
        await WorkingHours.filter(psychologist_id=p.id, weekday__not_in=weekdays).delete()
        ids.append(p.id)
    client = await User.create(phone_e164=f"+7999{uuid.uuid4().int % 10**7:07d}")
    assert await _derived(ids, now) == await _expected(ids, now)
    for op, who, n in operations:
        now = await _apply(op, ids[who], n, now, client.id)
        assert await _derived(ids, now) == await _expected(ids, now), (op, who, n)


async def test_every_new_psychologist_has_a_stale_row_per_service_kind(
    make_psychologist: MakePsychologist,
) -> None:
    p = await make_psychologist()
    rows = await NextFreeSlot.filter(psychologist_id=p.id).values_list("kind", "valid_until")
    assert sorted(rows) == sorted((k.value, 0) for k in ServiceKind)


async def test_a_write_marks_the_row_stale_in_its_transaction(
    make_psychologist: MakePsychologist,
) -> None:
    from tortoise.transactions import in_transaction

    p = await make_psychologist()
    now = datetime.now(UTC)
    await next_free.refresh(KIND, now)
    row = await NextFreeSlot.get(psychologist_id=p.id, kind=KIND.value)
    assert row.valid_until > now.timestamp()
    try:
        async with in_transaction():
            await WorkingHours.filter(psychologist_id=p.id).delete()
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert (await NextFreeSlot.get(id=row.id)).version == row.version  # nothing committed
    await WorkingHours.filter(psychologist_id=p.id).delete()
    stale = await NextFreeSlot.get(id=row.id)
    assert stale.valid_until == 0
    assert stale.version == row.version + 7  # one per deleted row (a weekday's hours)
    await next_free.refresh(KIND, now)
    assert (await NextFreeSlot.get(id=row.id)).rank == NO_SLOT
