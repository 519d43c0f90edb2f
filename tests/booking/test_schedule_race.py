"""A time off racing bookings, against a real uvicorn (SQLite and PostgreSQL): no booking
survives overlapping a time off that was written, whichever commits first.

Twenty clients book twenty different sessions of one day while the psychologist takes
that day off, without and with ``cancelConflicting``, three rounds each. Time off and
bookings serialize on the psychologist's row lock and re-read each other under it
(``app.booking.schedule``); without the booking's re-check under the lock this test fails
on PostgreSQL about every other run.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from app.core.settings import Settings
from models.booking import Booking, BookingStatus, ScheduleOverride
from models.catalogue import Service
from models.enums import Role, ServiceKind
from schema.catalogue.types import slot_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.test_concurrency import _post  # the race suite's one POST
from tests.factories import SignedIn, signed_in
from tests.helpers import op

CLIENTS = 20


@pytest.mark.parametrize("cancel", [False, True])
async def test_a_time_off_racing_bookings_never_overlaps_one(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist, cancel: bool
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(user_id=shrink.user.id)
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    clients = [await signed_in(settings) for _ in range(CLIENTS)]
    for day in (day_at(3, 0), day_at(4, 0), day_at(5, 0)):  # three rounds: more interleavings
        await _round(live_server, p.id, service.id, shrink, clients, day, cancel=cancel)


async def _round(
    live_server: str,
    pid: int,
    service_id: int,
    shrink: SignedIn,
    clients: list[SignedIn],
    day: datetime,
    *,
    cancel: bool,
) -> None:
    next_day = day + timedelta(days=1)
    starts = [day + timedelta(hours=2 + h) for h in range(CLIENTS)]  # 02:00 ... 21:00
    limits = httpx.Limits(max_connections=CLIENTS + 1, max_keepalive_connections=CLIENTS + 1)
    async with httpx.AsyncClient(base_url=live_server, timeout=60, limits=limits) as http:
        bookings = [
            _post(
                http,
                who,
                op("BookSlot"),
                {"slotId": slot_id(pid, service_id, at), "idempotencyKey": uuid.uuid4().hex},
            )
            for who, at in zip(clients, starts, strict=True)
        ]
        time_off = _post(
            http,
            shrink,
            op("AddTimeOff"),
            {
                "startsAt": day.isoformat(),
                "endsAt": next_day.isoformat(),
                "cancelConflicting": cancel,
            },
        )
        half = CLIENTS // 2
        results = await asyncio.gather(*bookings[:half], time_off, *bookings[half:])
    off = results[half]["addTimeOff"]
    booked = [r["bookSlot"] for r in results[:half] + results[half + 1 :]]
    assert {e["code"] for b in booked for e in b["errors"]} <= {"SLOT_UNAVAILABLE"}
    that_day = Booking.filter(psychologist_id=pid, starts_at__gte=day, starts_at__lt=next_day)
    confirmed = await that_day.filter(status=BookingStatus.CONFIRMED)
    written = await ScheduleOverride.filter(psychologist_id=pid, starts_at=day)
    made = [b["booking"]["id"] for b in booked if b["booking"] is not None]
    if cancel:
        assert off["errors"] == []
        assert len(written) == 1
    if written:
        # The time off won: no confirmed session in it; what it met it cancelled.
        assert confirmed == []
        cancelled = await that_day.filter(status=BookingStatus.CANCELLED)
        assert sorted(c["id"] for c in off["conflicts"]) == sorted(made)
        assert len(cancelled) == len(off["conflicts"])
    else:
        # Refused: its conflicts were confirmed sessions, still confirmed.
        assert [e["code"] for e in off["errors"]] == ["TIME_OFF_CONFLICTS"]
        assert off["conflicts"]
        assert {c["id"] for c in off["conflicts"]} <= set(made)
        assert len(confirmed) == len(made)
