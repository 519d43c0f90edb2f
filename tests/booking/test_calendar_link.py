# ruff: noqa: RUF001 - Russian text
"""A booking in the phone's calendar, through the real surface: ``Booking.calendarUrl`` and
``GET /calendar/{token}.ics``, the file read back with ``icalendar``.

Given a booking made with the contract's ``BookSlot``, its link answers the event in the
psychologist's zone; rescheduling keeps the link and the UID and raises the SEQUENCE;
cancelling turns the file into a ``METHOD:CANCEL``. The link and the file carry nothing
personal, unknown and malformed tokens are the same bare 404, the token never reaches the
access log, and the endpoint is limited per IP. Bookings that existed before the calendar
get their links from the migration.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from icalendar import Calendar, Event
from starlette.applications import Starlette
from tortoise import connections

from app.booking.calendar_link import calendar_uid
from app.core import clock
from app.core.ratelimit import RULES, RateLimiter, Rule
from app.core.settings import Settings
from app.web.app import create_app
from models.booking import Booking, BookingStatus, new_calendar_token
from models.catalogue import Psychologist, Service
from models.enums import Role, ServiceKind
from schema.catalogue.types import slot_id
from schema.relay import to_global_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import SignedIn, signed_in
from tests.helpers import gql, op

BERLIN = "Europe/Berlin"
MIGRATION = importlib.import_module("models.migrations.booking.0003_calendar")
LINK = re.compile(r"^http://testserver/calendar/([A-Za-z0-9_-]{43})\.ics$")
CALENDAR_URL = """
query CalendarUrl($id: ID!) {
  node(id: $id) { id ... on Booking { status startsAt calendarUrl } }
}
"""


@dataclasses.dataclass
class Booked:
    id: str
    url: str
    slot_starts: datetime


async def _session(p: Psychologist) -> Service:
    return await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)


async def _book(client: httpx.AsyncClient, me: SignedIn, p: Psychologist, at: datetime) -> Booked:
    service = await _session(p)
    data = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, at), "idempotencyKey": uuid.uuid4().hex},
        me.token,
    )
    assert data["bookSlot"]["errors"] == []
    booking_id = data["bookSlot"]["booking"]["id"]
    return Booked(booking_id, await _calendar_url(client, me, booking_id), at)


@dataclasses.dataclass
class Given:
    psychologist: Psychologist
    client: SignedIn
    booking: Booked


async def _given(
    client: httpx.AsyncClient, settings: Settings, make: MakePsychologist, at: datetime
) -> Given:
    """A psychologist in Berlin and a client of theirs with a booking at ``at``."""
    p = await make(timezone=BERLIN)
    me = await signed_in(settings)
    return Given(p, me, await _book(client, me, p, at))


async def _calendar_url(client: httpx.AsyncClient, me: SignedIn, booking_id: str) -> str:
    node = (await gql(client, CALENDAR_URL, {"id": booking_id}, me.token))["node"]
    url: str = node["calendarUrl"]
    assert LINK.match(url), url
    return url


async def _reschedule(
    client: httpx.AsyncClient, me: SignedIn, p: Psychologist, booking_id: str, at: datetime
) -> str:
    service = await _session(p)
    data = await gql(
        client,
        op("RescheduleBooking"),
        {"id": booking_id, "slotId": slot_id(p.id, service.id, at)},
        me.token,
    )
    assert data["rescheduleBooking"]["errors"] == []
    new_id: str = data["rescheduleBooking"]["booking"]["id"]
    return new_id


def _parse(body: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(body)
    [event] = calendar.events
    return calendar, event


async def _ics(client: httpx.AsyncClient, url: str, **headers: str) -> tuple[Calendar, Event]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return _parse(response.content)


def _token(url: str) -> str:
    match = LINK.match(url)
    assert match is not None, url
    return match.group(1)


def _utc(event: Event, name: str) -> datetime:
    value: datetime = event[name].dt
    return value.astimezone(UTC)


async def test_a_booking_s_link_gives_its_event_in_the_psychologist_s_zone(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # Given a client with a name and a phone, booking a psychologist in Berlin
    p = await make_psychologist(timezone=BERLIN, full_name="Анна Календарная")
    me = await signed_in(settings, display_name="Мария Секретова")
    start = day_at(4, 9)
    before = clock.now().replace(microsecond=0)
    booked = await _book(client, me, p, start)

    # When the phone opens the link
    response = await client.get(booked.url)
    after = clock.now()

    # Then it downloads one event at the booked instant, written in Berlin's wall time
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    local = start.astimezone(ZoneInfo(BERLIN))
    assert response.headers["content-disposition"] == (
        f'attachment; filename="psyline-{local:%Y%m%d-%H%M}.ics"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    calendar, event = _parse(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    token = _token(booked.url)
    assert event["UID"] == calendar_uid(token)
    assert token not in str(event["UID"])
    assert event["DTSTART"].params["TZID"] == BERLIN
    assert event["DTEND"].params["TZID"] == BERLIN
    assert _utc(event, "DTSTART") == start
    assert _utc(event, "DTEND") == start + timedelta(minutes=50)
    assert [str(tz["TZID"]) for tz in calendar.timezones] == [BERLIN]
    assert event["SUMMARY"] == "Консультация psyline"
    assert before <= _utc(event, "DTSTAMP") <= after

    # And nothing in it says who, or reaches back to the link
    text = response.content.decode("utf-8")
    unfolded = text.replace("\r\n ", "")
    assert me.user.phone_e164 is not None
    for secret in (
        me.user.phone_e164,
        me.user.phone_e164.removeprefix("+"),
        "Мария",
        "Секретова",
        "Анна",
        "Календарная",
        p.slug,
        token,
        booked.id,
        to_global_id("Psychologist", p.id),
    ):
        assert secret not in unfolded, secret


async def test_the_event_text_follows_the_caller_s_language(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    booked = (await _given(client, settings, make_psychologist, day_at(4, 13))).booking
    _, event = await _ics(client, booked.url, **{"Accept-Language": "en-US,en;q=0.9"})
    assert event["SUMMARY"] == "psyline session"


async def test_rescheduling_keeps_the_link_and_the_uid_and_raises_the_sequence(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # Given a booking whose file a calendar has imported
    given = await _given(client, settings, make_psychologist, day_at(5, 9))
    p = given.psychologist
    me = given.client
    booked = given.booking
    _, first = await _ics(client, booked.url)

    # When it is moved, twice
    moved_at = day_at(5, 14)
    moved_id = await _reschedule(client, me, p, booked.id, moved_at)

    # Then the new booking has the same link, and the old link gives the new time
    assert await _calendar_url(client, me, moved_id) == booked.url
    assert await _calendar_url(client, me, booked.id) == booked.url  # the RESCHEDULED copy
    calendar, event = await _ics(client, booked.url)
    assert calendar["METHOD"] == "PUBLISH"
    assert event["UID"] == first["UID"]
    assert event["SEQUENCE"] == 1
    assert _utc(event, "DTSTART") == moved_at
    assert _utc(event, "DTEND") == moved_at + timedelta(minutes=50)
    assert event["DTSTART"].params["TZID"] == BERLIN

    again_at = day_at(6, 10, 30)
    again_id = await _reschedule(client, me, p, moved_id, again_at)
    assert await _calendar_url(client, me, again_id) == booked.url
    _, event = await _ics(client, booked.url)
    assert (event["UID"], event["SEQUENCE"]) == (first["UID"], 2)
    assert _utc(event, "DTSTART") == again_at
    rows = await Booking.filter(calendar_token=_token(booked.url)).order_by("calendar_sequence")
    assert [(r.status, r.calendar_sequence) for r in rows] == [
        (BookingStatus.RESCHEDULED, 0),
        (BookingStatus.RESCHEDULED, 1),
        (BookingStatus.CONFIRMED, 2),
    ]


async def test_cancelling_turns_the_file_into_a_cancel_of_the_same_event(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    given = await _given(client, settings, make_psychologist, day_at(7, 9))
    p = given.psychologist
    me = given.client
    free = given.booking
    late_start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    late = await _book(client, me, p, late_start)
    _, imported = await _ics(client, free.url)

    for booked, status in ((free, "CANCELLED"), (late, "LATE_CANCELLED")):
        data = await gql(client, op("CancelBooking"), {"id": booked.id}, me.token)
        assert data["cancelBooking"]["booking"]["status"] == status
        calendar, event = await _ics(client, booked.url)
        assert calendar["METHOD"] == "CANCEL"
        assert event["STATUS"] == "CANCELLED"
        assert event["SEQUENCE"] == 1  # a revision of the copy the calendar holds
        assert _utc(event, "DTSTART") == booked.slot_starts
        assert not event.subcomponents  # no alarm for a session that will not be
    _, cancelled = await _ics(client, free.url)
    assert cancelled["UID"] == imported["UID"]


async def test_a_moved_then_cancelled_booking_cancels_the_latest_copy(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    given = await _given(client, settings, make_psychologist, day_at(8, 9))
    p = given.psychologist
    me = given.client
    booked = given.booking
    moved_at = day_at(8, 12)
    moved_id = await _reschedule(client, me, p, booked.id, moved_at)
    await gql(client, op("CancelBooking"), {"id": moved_id}, me.token)
    calendar, event = await _ics(client, booked.url)
    assert calendar["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 2
    assert _utc(event, "DTSTART") == moved_at


@pytest.mark.parametrize(
    "path",
    [
        "UNKNOWN",  # well-formed, never issued
        "short",
        "A" * 42 + "!",
        "A" * 44,
        "A" * 42 + ".",
        "' OR 1=1 --" + "A" * 32,
        "%2e%2e%5c" + "A" * 34,
        "Ａ" * 43,  # fullwidth letters: not the URL-safe alphabet
    ],
)
async def test_unknown_and_malformed_tokens_are_the_same_bare_404(
    client: httpx.AsyncClient, path: str
) -> None:
    token = new_calendar_token() if path == "UNKNOWN" else path
    response = await client.get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert response.text == "not found"
    assert response.headers["cache-control"] == "private, no-store"
    assert "content-disposition" not in response.headers


async def test_a_path_that_is_not_a_token_is_no_calendar(client: httpx.AsyncClient) -> None:
    for path in ("/calendar/.ics", "/calendar/%2e%2e%2fetc%2fpasswd.ics", "/calendar/x/y.ics"):
        assert (await client.get(path)).status_code == 404, path


async def test_the_link_is_read_only_and_needs_nothing_else(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    booked = (await _given(client, settings, make_psychologist, day_at(9, 9))).booking
    assert (await client.post(booked.url)).status_code == 405
    # No session needed (a calendar app opens it), and a stranger's session changes nothing.
    stranger = await signed_in(settings)
    response = await client.get(booked.url, headers=stranger.headers)
    assert response.status_code == 200


async def test_only_those_who_see_the_booking_see_its_link(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    booked = (await _given(client, settings, make_psychologist, day_at(10, 9))).booking
    other = await signed_in(settings)
    theirs = await gql(client, CALENDAR_URL, {"id": booked.id}, other.token)
    assert theirs["node"] is None
    anonymous = await client.post(
        "/graphql", json={"query": CALENDAR_URL, "variables": {"id": booked.id}}
    )
    assert _token(booked.url) not in anonymous.text


async def test_the_token_never_reaches_the_access_log(
    client: httpx.AsyncClient,
    settings: Settings,
    make_psychologist: MakePsychologist,
    caplog: pytest.LogCaptureFixture,
) -> None:
    booked = (await _given(client, settings, make_psychologist, day_at(11, 9))).booking
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="psyline.access"):
        assert (await client.get(booked.url)).status_code == 200
        assert (await client.get(f"/calendar/{new_calendar_token()}.ics")).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "psyline.access"]
    assert [line.split()[:3] for line in lines] == [
        ["GET", "/calendar/{token}.ics", "200"],
        ["GET", "/calendar/{token}.ics", "404"],
    ]
    assert _token(booked.url) not in caplog.text


async def test_a_zone_unknown_to_zoneinfo_is_written_in_utc(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    start = day_at(12, 9)
    given = await _given(client, settings, make_psychologist, start)
    p = given.psychologist
    booked = given.booking
    await Psychologist.filter(id=p.id).update(timezone="Mars/Olympus_Mons")
    try:
        _, event = await _ics(client, booked.url)
    finally:
        await Psychologist.filter(id=p.id).update(timezone=BERLIN)
    assert _utc(event, "DTSTART") == start
    assert event["DTSTART"].params.get("TZID", "UTC") == "UTC"


async def test_the_endpoint_is_limited_per_ip(app: Starlette, settings: Settings) -> None:
    runtime = dataclasses.replace(
        app.state.runtime, limits=RateLimiter({**RULES, "calendar_ip": Rule(2, 60)})
    )
    mine = create_app(settings.with_(trusted_proxies=("127.0.0.1/32",)), runtime=runtime)
    here, elsewhere = {"x-forwarded-for": "203.0.113.9"}, {"x-forwarded-for": "198.51.100.9"}
    path = f"/calendar/{new_calendar_token()}.ics"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=mine), base_url="http://t"
    ) as http:
        assert [(await http.get(path, headers=here)).status_code for _ in range(2)] == [404, 404]
        limited = await http.get(path, headers=here)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert (await http.get(path, headers=elsewhere)).status_code == 404


async def test_bookings_from_before_the_calendar_get_their_link_from_the_migration(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # Given a booking moved once before there were calendar links (rows without a token)
    p = await make_psychologist(timezone=BERLIN)
    service = await _session(p)
    me = await signed_in(settings)
    old_start, new_start = day_at(13, 9), day_at(13, 15)

    async def legacy(start: datetime, status: BookingStatus, source: int | None) -> Booking:
        return await Booking.create(
            client_id=me.user.id,
            psychologist_id=p.id,
            service_id=service.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            blocked_until=start + timedelta(minutes=60),
            status=status,
            price=Decimal("3500.00"),
            rescheduled_from_id=source,
            video_room=f"psyline-{uuid.uuid4().hex}",
            calendar_token=None,
        )

    old = await legacy(old_start, BookingStatus.RESCHEDULED, None)
    new = await legacy(new_start, BookingStatus.CONFIRMED, old.id)
    node = (await gql(client, CALENDAR_URL, {"id": to_global_id("Booking", new.id)}, me.token))[
        "node"
    ]
    assert node["calendarUrl"] is None

    # When the migration's backfill runs
    await MIGRATION.backfill_calendar_tokens(
        None, SimpleNamespace(client=connections.get("default"))
    )

    # Then both copies share one link, which gives the current one
    await old.refresh_from_db()
    await new.refresh_from_db()
    assert old.calendar_token is not None
    assert (new.calendar_token, old.calendar_sequence, new.calendar_sequence) == (
        old.calendar_token,
        0,
        1,
    )
    url = await _calendar_url(client, me, to_global_id("Booking", new.id))
    _, event = await _ics(client, url)
    assert (event["SEQUENCE"], _utc(event, "DTSTART")) == (1, new_start)


async def test_a_session_across_the_spring_change_keeps_its_instants(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # Given a week before Berlin's clocks go forward (2027-03-28, 02:00 -> 03:00)
    with time_machine.travel(datetime(2027, 3, 21, 12, tzinfo=UTC), tick=True):
        p = await make_psychologist(timezone=BERLIN)
        me = await signed_in(settings)
        # When a session is booked from 01:30 CET: it ends at 03:20 CEST, 50 minutes later
        start = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
        booked = await _book(client, me, p, start)
        calendar, event = await _ics(client, booked.url)
    # Then the file says so in Berlin's wall time, and a calendar gets the same instants
    assert event["DTSTART"].params["TZID"] == BERLIN
    assert (event["DTSTART"].dt.hour, event["DTSTART"].dt.minute) == (1, 30)  # CET
    assert (event["DTEND"].dt.hour, event["DTEND"].dt.minute) == (3, 20)  # CEST
    assert _utc(event, "DTSTART") == start
    assert _utc(event, "DTEND") == start + timedelta(minutes=50)
    [zone] = calendar.timezones
    observances = {c.name for c in zone.subcomponents}
    assert observances == {"STANDARD", "DAYLIGHT"}


async def test_the_psychologist_sees_the_same_link_as_the_client(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(timezone=BERLIN, user_id=shrink.user.id)
    me = await signed_in(settings)
    booked = await _book(client, me, p, day_at(11, 9))
    theirs = await gql(client, CALENDAR_URL, {"id": booked.id}, shrink.token)
    assert theirs["node"]["calendarUrl"] == booked.url
