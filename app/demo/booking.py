"""Demo data of the booking domain: weekly working hours and a few bookings.

Every psychologist without working hours gets a realistic weekly pattern in their
own time zone (deterministic per psychologist), some get a personal booking policy,
and three demo clients hold a few upcoming bookings. Safe to re-run.
"""

from __future__ import annotations

import random
from typing import cast

from app.booking.availability import search
from app.booking.service import SlotRef, book_slot
from app.core import clock
from app.core.errors import Refused
from app.core.settings import Settings
from app.policy import Actor
from models.booking import Booking, BookingPolicy, WorkingHours
from models.catalogue import Psychologist
from models.enums import Role, ServiceKind, VettingStatus
from models.identity import User

H = 60
WEEKDAYS = range(5)
# (weekday set, [(start, end) local minutes]) patterns, picked per psychologist.
PATTERNS: tuple[tuple[tuple[int, ...], tuple[tuple[int, int], ...]], ...] = (
    (tuple(WEEKDAYS), ((10 * H, 14 * H), (15 * H, 19 * H))),  # classic day with lunch
    (tuple(WEEKDAYS), ((17 * H, 22 * H),)),  # evenings after the main job
    ((0, 1, 2, 3, 4, 5), ((9 * H, 13 * H),)),  # mornings, Saturday included
    ((1, 2, 3, 5, 6), ((12 * H, 20 * H),)),  # off Monday and Friday
    ((0, 2, 4), ((8 * H, 12 * H), (13 * H, 18 * H), (19 * H, 21 * H))),  # long days, 3 a week
    (tuple(range(7)), ((11 * H, 15 * H),)),  # every day, short
)
DEMO_CLIENTS = (
    ("+79000000001", "Анна"),
    ("+79000000002", "Борис"),
    ("+79000000003", "Вера"),  # noqa: RUF001 - Russian name
)
DEMO_BOOKINGS_PER_CLIENT = 4


def weekly_rows(psychologist_id: int) -> tuple[list[WorkingHours], BookingPolicy | None]:
    rng = random.Random(f"hours:{psychologist_id}")
    days, intervals = PATTERNS[rng.randrange(len(PATTERNS))]
    rows = [
        WorkingHours(psychologist_id=psychologist_id, weekday=d, start_minute=s, end_minute=e)
        for d in days
        for s, e in intervals
    ]
    policy = None
    roll = rng.random()
    if roll < 0.15:  # "help within two hours": short notice
        policy = BookingPolicy(psychologist_id=psychologist_id, min_notice_minutes=0)
    elif roll < 0.25:
        policy = BookingPolicy(
            psychologist_id=psychologist_id, min_notice_minutes=24 * 60, buffer_minutes=15
        )
    return rows, policy


async def seed_working_hours(ids: list[int] | None = None) -> int:
    qs = Psychologist.all() if ids is None else Psychologist.filter(id__in=ids)
    # Tortoise types flat values_list() as tuples.
    all_ids = cast("list[int]", await qs.values_list("id", flat=True))
    have = set(
        cast(
            "list[int]",
            await WorkingHours.filter(psychologist_id__in=all_ids)
            .distinct()
            .values_list("psychologist_id", flat=True),
        )
    )
    hours: list[WorkingHours] = []
    policies: list[BookingPolicy] = []
    for pid in all_ids:
        if pid in have:
            continue
        rows, policy = weekly_rows(pid)
        hours.extend(rows)
        if policy is not None:
            policies.append(policy)
    if hours:
        await WorkingHours.bulk_create(hours, batch_size=2000)
    if policies:
        existing = set(
            cast(
                "list[int]",
                await BookingPolicy.filter(
                    psychologist_id__in=[p.psychologist_id for p in policies]
                ).values_list("psychologist_id", flat=True),
            )
        )
        new = [p for p in policies if p.psychologist_id not in existing]
        await BookingPolicy.bulk_create(new, batch_size=2000)
    return len(all_ids) - len(have)


async def seed_demo_bookings(settings: Settings) -> int:
    if await Booking.filter(idempotency_key__startswith="demo-").exists():
        return 0
    clients = []
    for phone, name in DEMO_CLIENTS:
        user = await User.get_or_none(phone_e164=phone)
        if user is None:
            user = await User.create(role=Role.CLIENT, phone_e164=phone, display_name=name)
        clients.append(user)
    wanted = len(clients) * DEMO_BOOKINGS_PER_CLIENT
    candidates = (
        await Psychologist.filter(vetting_status=VettingStatus.APPROVED)
        .order_by("id")
        .limit(wanted * 2)
        .values_list("id", "timezone")
    )
    now = clock.now()
    found = await search(candidates, ServiceKind.SESSION, now, per_psychologist=3)
    made = 0
    slots = [v[-1] for v in found.values() if v][:wanted]  # not the very first: leave those free
    for i, slot in enumerate(slots):
        client = clients[i % len(clients)]
        try:
            await book_slot(
                settings,
                Actor(user_id=client.id, role=Role.CLIENT),
                SlotRef(slot.psychologist_id, slot.service_id, slot.starts_at),
                f"demo-{slot.psychologist_id}",
                now=now,
            )
            made += 1
        except Refused:
            continue
    return made


async def seed_booking(settings: Settings) -> str | None:
    scheduled = await seed_working_hours()
    booked = await seed_demo_bookings(settings)
    if not scheduled and not booked:
        return None
    return f"booking: working hours for {scheduled} psychologists, {booked} demo bookings"
