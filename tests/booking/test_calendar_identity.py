# ruff: noqa: RUF001 - a fullwidth letter is a hostile input here
"""A booking's calendar identity (``app.booking.calendar_link``), below the HTTP surface.

One token per chain of reschedules, the sequence growing along it, the file always of
the latest copy; the migration gives bookings from before the calendar the same shape.
"""

from __future__ import annotations

import importlib
import re
import uuid
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar
from starlette.applications import Starlette

from app.booking.calendar_link import TOKEN, calendar_file, calendar_uid
from app.core.settings import Settings
from models.booking import Booking, BookingStatus, new_calendar_token
from models.catalogue import Service
from models.enums import ServiceKind
from schema.catalogue.types import slot_id
from schema.relay import decode_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import signed_in
from tests.helpers import gql, op

MIGRATION = importlib.import_module("models.migrations.booking.0003_calendar")


def test_tokens_are_256_random_bits_in_the_url_safe_alphabet() -> None:
    tokens = {new_calendar_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(TOKEN.fullmatch(t) for t in tokens)
    # The UID is stable per token, opaque, and not the token.
    token = next(iter(tokens))
    assert calendar_uid(token) == calendar_uid(token)
    assert re.fullmatch(r"[0-9a-f]{32}@psyline", calendar_uid(token))
    assert token not in calendar_uid(token)


async def test_a_reschedule_continues_the_chain_and_the_file_is_its_latest_copy(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist(timezone="Europe/Moscow")
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    me = await signed_in(settings)
    booked = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, day_at(3, 9)), "idempotencyKey": uuid.uuid4().hex},
        me.token,
    )
    first_id = booked["bookSlot"]["booking"]["id"]
    moved_at = day_at(3, 13)
    moved = await gql(
        client,
        op("RescheduleBooking"),
        {"id": first_id, "slotId": slot_id(p.id, service.id, moved_at)},
        me.token,
    )
    assert moved["rescheduleBooking"]["errors"] == []
    first = await Booking.get(id=decode_id(first_id, "Booking"))
    second = await Booking.get(id=decode_id(moved["rescheduleBooking"]["booking"]["id"], "Booking"))
    assert first.calendar_token is not None
    assert (second.calendar_token, first.calendar_sequence, second.calendar_sequence) == (
        first.calendar_token,
        0,
        1,
    )
    assert (first.status, second.status) == (BookingStatus.RESCHEDULED, BookingStatus.CONFIRMED)

    found = await calendar_file(first.calendar_token)
    assert found is not None
    [event] = Calendar.from_ical(found.body).events
    assert (event["UID"], event["SEQUENCE"]) == (calendar_uid(first.calendar_token), 1)
    assert event["DTSTART"].dt.astimezone(UTC) == moved_at
    assert event["DTSTART"].params["TZID"] == "Europe/Moscow"
    local = moved_at.astimezone(ZoneInfo("Europe/Moscow"))
    assert found.filename == f"psyline-{local:%Y%m%d-%H%M}.ics"


async def test_unknown_and_malformed_tokens_find_nothing(app: Starlette) -> None:
    for token in (new_calendar_token(), "", "x", "A" * 44, "A" * 42 + "=", "Ａ" * 43):
        assert await calendar_file(token) is None, token


def test_the_migration_gives_each_chain_one_token_and_growing_sequences() -> None:
    def row(pk: int, source: int | None = None, token: str | None = None, seq: int = 0) -> Any:
        return {
            "id": pk,
            "rescheduled_from_id": source,
            "calendar_token": token,
            "calendar_sequence": seq,
        }

    rows = [
        row(3, 2),  # the end of a chain 1 -> 2 -> 3, listed first
        row(1),
        row(2, 1),
        row(4),
        row(5, 99),  # moved from a row that is gone
        row(6, token="kept", seq=4),
        row(7, 6),  # continues a chain that already has its token
        row(8, 7),
        row(9, 7),  # a second move of the same booking: a chain of its own
    ]
    got = {pk: (token, seq) for pk, token, seq in MIGRATION._chains(rows)}
    assert set(got) == {1, 2, 3, 4, 5, 7, 8, 9}
    assert got[1][0] == got[2][0] == got[3][0]
    assert [got[pk][1] for pk in (1, 2, 3)] == [0, 1, 2]
    assert got[7] == ("kept", 5)
    assert got[8] == ("kept", 6)
    assert got[9][1] == 0
    assert got[5][1] == got[4][1] == 0
    fresh = {got[pk][0] for pk in (1, 4, 5, 9)}
    assert len(fresh) == 4
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in fresh)
