# ruff: noqa: RUF001 - Russian text
"""The iCalendar of a booking (``app.booking.calendar``), read back with ``icalendar``.

Pure: no database. The parser is an independent implementation, so a serializer
mistake (folding, escaping, a wrong VTIMEZONE) shows up as a wrong parsed value.
Times are resolved twice: through the TZID (which ``icalendar`` looks up in
``zoneinfo``) and through the VTIMEZONE we wrote, as a calendar without the zone
database would. Instants are compared in UTC: PEP 495 makes ``==`` between zones
False for a wall time that occurs twice.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, Timezone

from app.booking.calendar import CONTENT_TYPE, CalendarEvent, filename, to_ics

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
UID = "b7Qx2kP9@psyline"
SUMMARY = "Консультация psyline"
HOUR = timedelta(hours=1)
# Berlin's 2026 changes: 29 March 01:00 UTC (02:00 CET -> 03:00 CEST) and
# 25 October 01:00 UTC (03:00 CEST -> 02:00 CET).
BERLIN_SPRING = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
BERLIN_AUTUMN = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


def an_event(**changes: object) -> CalendarEvent:
    event = CalendarEvent(
        uid=UID,
        sequence=0,
        cancelled=False,
        starts_at=datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
        ends_at=datetime(2026, 5, 12, 7, 50, tzinfo=UTC),
        tzid="Europe/Moscow",
        summary=SUMMARY,
        url="https://app.psyline.example/bookings/QM9w",
    )
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]


def parse(data: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(data)
    [event] = calendar.events
    return calendar, event


def vtimezone_tz(calendar: Calendar) -> tzinfo:
    """The zone as the VTIMEZONE describes it (not looked up by its TZID)."""
    [timezone] = calendar.timezones
    tz: tzinfo = timezone.to_tz(lookup_tzid=False)
    return tz


def via_vtimezone(calendar: Calendar, value: datetime) -> datetime:
    """A parsed DTSTART/DTEND as UTC, its wall time read through our VTIMEZONE."""
    if value.utcoffset() == timedelta(0) and value.tzname() == "UTC":
        return value.astimezone(UTC)
    return value.replace(tzinfo=vtimezone_tz(calendar)).astimezone(UTC)


def observances(timezone: Timezone) -> list[tuple[str, datetime, timedelta, timedelta]]:
    """(kind, onset in UTC per RFC 5545: DTSTART read with TZOFFSETFROM, from, to)."""
    return [
        (
            part.name,
            part.DTSTART.replace(tzinfo=UTC) - part.TZOFFSETFROM,
            part.TZOFFSETFROM,
            part.TZOFFSETTO,
        )
        for part in timezone.subcomponents
    ]


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[: -len(b"\r\n")].split(b"\r\n")


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence() -> None:
    # given a booking and the same booking moved two days later, twice rescheduled
    first = an_event()
    moved = an_event(
        sequence=2,
        starts_at=first.starts_at + timedelta(days=2),
        ends_at=first.ends_at + timedelta(days=2),
    )

    # when both are rendered
    _, before = parse(to_ics(first, now=NOW))
    _, after = parse(to_ics(moved, now=NOW + HOUR))

    # then the calendar sees one event, newer by its sequence
    assert str(before["UID"]) == str(after["UID"]) == UID
    assert before["SEQUENCE"] == 0
    assert after["SEQUENCE"] == 2
    assert after.start.astimezone(UTC) == moved.starts_at
    assert after["DTSTAMP"].dt == NOW + HOUR


def test_a_booking_is_published_with_an_alarm() -> None:
    calendar, event = parse(to_ics(an_event(), now=NOW))

    assert calendar["PRODID"]
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert event["STATUS"] == "CONFIRMED"
    [alarm] = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["DESCRIPTION"] == SUMMARY
    assert alarm["TRIGGER"].dt == -timedelta(minutes=15)


def test_a_cancelled_booking_is_a_cancel_without_an_alarm() -> None:
    calendar, event = parse(to_ics(an_event(cancelled=True, sequence=1), now=NOW))

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert str(event["UID"]) == UID
    assert event["SEQUENCE"] == 1
    assert event.walk("VALARM") == []


def test_the_alarm_can_be_left_out() -> None:
    _, event = parse(to_ics(an_event(alarm_before=None), now=NOW))

    assert event.walk("VALARM") == []


def test_start_and_end_are_local_times_of_the_zone_at_the_right_instants() -> None:
    # given a session at 10:00 Moscow time (07:00 UTC)
    booking = an_event()

    # when
    data = to_ics(booking, now=NOW)
    calendar, event = parse(data)

    # then the wall time is local, and both readings give the booked instants
    assert b"DTSTART;TZID=Europe/Moscow:20260512T100000\r\n" in data
    assert b"DTEND;TZID=Europe/Moscow:20260512T105000\r\n" in data
    assert b"DTSTAMP:20260301T120000Z\r\n" in data
    assert event.start.astimezone(UTC) == booking.starts_at
    assert event.end.astimezone(UTC) == booking.ends_at
    assert via_vtimezone(calendar, event.start) == booking.starts_at
    assert via_vtimezone(calendar, event.end) == booking.ends_at


def test_a_zone_without_daylight_saving_has_one_standard_observance() -> None:
    calendar, event = parse(to_ics(an_event(tzid="Europe/Moscow"), now=NOW))

    [timezone] = calendar.timezones
    assert timezone.tz_name == "Europe/Moscow"
    assert timezone.daylight == []
    [standard] = timezone.standard
    assert standard.TZOFFSETFROM == standard.TZOFFSETTO == 3 * HOUR
    assert standard["TZNAME"] == "MSK"
    assert event.start.replace(tzinfo=None) >= standard.DTSTART


def test_a_session_just_after_the_spring_change_in_berlin() -> None:
    # given a session in the first hour of summer time, 03:00 CEST (01:00 UTC)
    booking = an_event(
        tzid="Europe/Berlin", starts_at=BERLIN_SPRING, ends_at=BERLIN_SPRING + timedelta(minutes=50)
    )

    # when
    data = to_ics(booking, now=NOW)
    calendar, event = parse(data)

    # then the VTIMEZONE holds both observances, the change onset at the real instant
    [timezone] = calendar.timezones
    assert ("DAYLIGHT", BERLIN_SPRING, HOUR, 2 * HOUR) in observances(timezone)
    assert ("STANDARD", BERLIN_AUTUMN, 2 * HOUR, HOUR) in observances(timezone)
    assert b"DTSTART:20260329T020000\r\n" in data  # onset in the wall time before it
    # and the session is at 03:00 local, read right through either route
    assert b"DTSTART;TZID=Europe/Berlin:20260329T030000\r\n" in data
    assert event.start.astimezone(UTC) == booking.starts_at
    assert via_vtimezone(calendar, event.start) == booking.starts_at
    assert via_vtimezone(calendar, event.end) == booking.ends_at


def test_a_session_across_the_autumn_change_in_berlin() -> None:
    # given a session from 02:40 CEST to 02:30 CET: the end is the second 02:30 of the night
    starts_at = BERLIN_AUTUMN - timedelta(minutes=20)
    booking = an_event(
        tzid="Europe/Berlin", starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50)
    )

    # when
    data = to_ics(booking, now=NOW)
    calendar, event = parse(data)

    # then both observances are there with the right offsets
    [timezone] = calendar.timezones
    assert [std.TZOFFSETTO for std in timezone.standard] == [HOUR, HOUR]
    assert [day.TZOFFSETTO for day in timezone.daylight] == [2 * HOUR]
    assert ("STANDARD", BERLIN_AUTUMN, 2 * HOUR, HOUR) in observances(timezone)
    # the start is local; the end, a repeated wall time, is written in UTC
    assert b"DTSTART;TZID=Europe/Berlin:20261025T024000\r\n" in data
    assert b"DTEND:20261025T013000Z\r\n" in data
    assert event.start.astimezone(UTC) == booking.starts_at
    assert event.end.astimezone(UTC) == booking.ends_at
    assert via_vtimezone(calendar, event.start) == booking.starts_at


def test_a_winter_session_in_berlin_still_describes_both_observances() -> None:
    starts_at = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    calendar, event = parse(
        to_ics(
            an_event(tzid="Europe/Berlin", starts_at=starts_at, ends_at=starts_at + HOUR), now=NOW
        )
    )

    [timezone] = calendar.timezones
    assert timezone.standard
    assert timezone.daylight
    assert via_vtimezone(calendar, event.start) == starts_at


def test_long_cyrillic_text_is_folded_at_75_octets_with_crlf() -> None:
    # given a title far longer than a line, with 2- and 4-byte UTF-8 characters
    summary = "Консультация psyline — первая встреча, знакомство 🙂 " * 6

    # when
    data = to_ics(an_event(summary=summary, description=summary), now=NOW)

    # then every line fits, ends in CRLF, and no UTF-8 sequence is cut in two
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert any(line.startswith(b" ") for line in lines(data))
    for line in lines(data):
        assert len(line) <= 75
        line.decode("utf-8")
    _, event = parse(data)
    assert event["SUMMARY"] == summary
    assert event["DESCRIPTION"] == summary


def test_text_is_escaped() -> None:
    # given text with every character TEXT escapes, and a Windows newline
    summary = "Сессия, онлайн; путь C:\\temp\nвторая строка"
    description = "строка 1\r\nстрока 2"

    # when
    data = to_ics(an_event(summary=summary, description=description), now=NOW)

    # then it is escaped on the wire and read back as given (newlines as LF)
    unfolded = data.replace(b"\r\n ", b"")
    assert "SUMMARY:Сессия\\, онлайн\\; путь C:\\\\temp\\nвторая строка\r\n".encode() in unfolded
    assert "DESCRIPTION:строка 1\\nстрока 2\r\n".encode() in unfolded
    _, event = parse(data)
    assert event["SUMMARY"] == summary
    assert event["DESCRIPTION"] == "строка 1\nстрока 2"


def test_a_hostile_uid_cannot_add_a_property() -> None:
    with pytest.raises(ValueError, match="uid"):
        to_ics(an_event(uid="x@psyline\r\nATTENDEE:mailto:a@b"), now=NOW)


def test_the_calendar_holds_only_what_the_event_has() -> None:
    # The dataclass is the whole input: nothing about the client can reach the file.
    assert {field.name for field in dataclasses.fields(CalendarEvent)} == {
        "uid",
        "sequence",
        "cancelled",
        "starts_at",
        "ends_at",
        "tzid",
        "summary",
        "url",
        "description",
        "alarm_before",
    }
    data = to_ics(an_event(description="Ссылка для входа появится за 10 минут"), now=NOW)
    _, event = parse(data)

    assert set(event) == {
        "UID",
        "SEQUENCE",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "DESCRIPTION",
        "URL",
        "STATUS",
        "TRANSP",
        "CLASS",
    }
    for name in (b"ATTENDEE", b"ORGANIZER", b"CONTACT", b"LOCATION", b"TEL", b"X-"):
        assert b"\n" + name not in data
    # no phone number: the only "+digits" are the VTIMEZONE's UTC offsets
    assert set(re.findall(rb"\+\d+", data)) == {b"+0300"}


def test_the_url_is_written_as_given() -> None:
    url = "https://app.psyline.example/bookings/QM9w?from=calendar&x=1;2,3"
    _, event = parse(to_ics(an_event(url=url), now=NOW))

    assert event["URL"] == url


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"starts_at": datetime(2026, 5, 12, 7, 0)}, id="naive-start"),  # noqa: DTZ001
        pytest.param({"ends_at": datetime(2026, 5, 12, 7, 0, tzinfo=UTC)}, id="empty"),
        pytest.param({"sequence": -1}, id="negative-sequence"),
        pytest.param({"tzid": "../../etc/passwd"}, id="path-as-zone"),
        pytest.param({"tzid": 'Europe/Berlin";X'}, id="quote-in-zone"),
        pytest.param({"uid": ""}, id="empty-uid"),
        pytest.param({"summary": "a\x00b"}, id="nul-in-summary"),
        pytest.param({"description": "a\x1bb"}, id="escape-in-description"),
        pytest.param({"summary": "a\ud800b"}, id="lone-surrogate-in-summary"),
        pytest.param({"url": "https://x.example/a b"}, id="space-in-url"),
        pytest.param({"url": "https://x.example/a\r\nATTENDEE:x"}, id="crlf-in-url"),
        pytest.param({"alarm_before": timedelta(0)}, id="zero-alarm"),
    ],
)
def test_bad_input_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own message)
        to_ics(an_event(**changes), now=NOW)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(LookupError):  # ZoneInfoNotFoundError
        to_ics(an_event(tzid="Mars/Olympus_Mons"), now=NOW)


def test_content_type_and_filename_are_safe() -> None:
    assert CONTENT_TYPE == "text/calendar; charset=utf-8"
    name = filename(an_event(summary='Имя Фамилия"; x=../../', uid="../x"))
    assert name == "psyline-20260512-1000.ics"
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name)


ZONES = [
    "Europe/Berlin",
    "Europe/Moscow",
    "Europe/London",
    "Europe/Kaliningrad",
    "Asia/Yekaterinburg",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/New_York",
    "Australia/Sydney",
    "UTC",
]
INSTANTS = st.integers(
    min_value=int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()),
    max_value=int(datetime(2028, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()),
).map(lambda seconds: datetime.fromtimestamp(seconds, UTC))


@settings(max_examples=200, deadline=None)
# the second 02:30 of Berlin's autumn night, a wall time a TZID cannot tell apart
@example(tzid="Europe/Berlin", starts_at=BERLIN_AUTUMN + timedelta(minutes=30), minutes=15)
@given(
    tzid=st.sampled_from(ZONES),
    starts_at=INSTANTS,
    minutes=st.integers(min_value=15, max_value=180),
)
def test_any_instant_in_any_zone_reads_back_as_itself(
    tzid: str, starts_at: datetime, minutes: int
) -> None:
    booking = an_event(
        tzid=tzid, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes)
    )

    calendar, event = parse(to_ics(booking, now=NOW))

    assert event.start.astimezone(UTC) == booking.starts_at
    assert event.end.astimezone(UTC) == booking.ends_at
    assert via_vtimezone(calendar, event.start) == booking.starts_at
    assert via_vtimezone(calendar, event.end) == booking.ends_at
