"""The database itself refuses overlapping bookings of one psychologist (buffer included),
whatever the application checks: PostgreSQL's exclusion constraint, SQLite's cell key."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.booking.service import _occupy, _release
from app.core.settings import Settings
from models.booking import Booking, BookingStatus
from models.catalogue import Service
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import signed_in


async def _insert(
    p_id: int, service: Service, client_id: int, start_hour: int, minute: int
) -> Booking:
    start = day_at(9, start_hour, minute)
    async with in_transaction():
        booking = await Booking.create(
            client_id=client_id,
            psychologist_id=p_id,
            service_id=service.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            blocked_until=start + timedelta(minutes=60),
            price=service.price,
            video_room=uuid.uuid4().hex,
        )
        await _occupy(booking)
    return booking


async def test_overlap_including_the_buffer_is_refused_by_the_database(
    settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    me = await signed_in(settings)
    first = await _insert(p.id, service, me.user.id, 10, 0)  # 10:00-10:50, buffer to 11:00
    with pytest.raises(IntegrityError):
        await _insert(p.id, service, me.user.id, 10, 55)  # inside the buffer
    with pytest.raises(IntegrityError):
        await _insert(p.id, service, me.user.id, 9, 30)  # its buffer reaches 10:30
    await _insert(p.id, service, me.user.id, 11, 0)  # back to back with the buffer: fine
    # A cancelled booking no longer occupies the time.
    async with in_transaction():
        await Booking.filter(id=first.id).update(status=BookingStatus.CANCELLED)
        await _release(first.id)
    await _insert(p.id, service, me.user.id, 9, 55)
    assert await Booking.filter(psychologist_id=p.id).count() == 3
