"""One booking as an iCalendar (RFC 5545) object, for an "add to calendar" link.

Pure: ``to_ics(event, now=...)`` turns a ``CalendarEvent`` into the bytes of a
VCALENDAR with one VEVENT and the VTIMEZONE of the psychologist's zone. The event
carries only what the dataclass has: an opaque UID, the sequence, the times, a
neutral title and an optional join link, never a name, a phone number or a reason.

- ``METHOD:PUBLISH`` and ``STATUS:CONFIRMED``; once cancelled, ``METHOD:CANCEL`` and
  ``STATUS:CANCELLED`` with the same UID, so a calendar that imported the event drops
  it. ``SEQUENCE`` grows with each reschedule, so the newer copy wins.
- ``DTSTART;TZID=...`` / ``DTEND;TZID=...`` in the zone's wall time. A wall time that
  occurs twice (the hour the clocks go back) cannot say which of the two it means
  (RFC 5545 reads it as the first): such an instant is written in UTC instead.
- The VTIMEZONE is derived from ``zoneinfo``'s own transitions over the event's
  calendar years, one STANDARD/DAYLIGHT observance per change, each onset written as
  the wall time just before the change (``TZOFFSETFROM``), as RFC 5545 asks. We do not
  use ``icalendar.Timezone.from_tzinfo`` (7.3.2) for this: it writes a spring-forward onset
  in the new wall time (``DTSTART:20260329T030000`` with ``TZOFFSETFROM:+0100``),
  an hour after the real change.
- CRLF line ends, lines folded at 75 octets without splitting a UTF-8 sequence,
  TEXT values escaped (``\\``, ``;``, ``,``, newlines).

Times have second resolution: microseconds are dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//psyline//booking calendar 1.0//RU"
ALARM_BEFORE = timedelta(minutes=15)
MAX_LINE_OCTETS = 75

_TZID = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_+-]*")
# Control characters a TEXT value may not hold (RFC 5545 3.3.11); HTAB is allowed
# and a newline is escaped.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A URI (RFC 3986) has no space, no control character and none of these.
_URI_BAD = re.compile(r"[\x00-\x20\x7f<>\"{}|\\^`]")
_SCAN_STEP = timedelta(hours=6)


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar may know of one booking."""

    uid: str  # stable per booking and opaque, e.g. "<random id>@psyline"
    sequence: int  # 0 when booked, +1 on each reschedule
    cancelled: bool
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    tzid: str  # the psychologist's IANA zone, e.g. "Europe/Berlin"
    summary: str  # neutral: "Консультация psyline", nothing medical or personal
    url: str | None = None  # the join link or the app link
    description: str | None = None
    alarm_before: timedelta | None = ALARM_BEFORE  # a display alarm; None for none


def to_ics(event: CalendarEvent, *, now: datetime) -> bytes:
    """The VCALENDAR of ``event``; ``now`` (``app.core.clock.now()``) is its DTSTAMP.

    Raises ``ValueError`` for an event it cannot write faithfully, and
    ``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``) for an unknown zone.
    """
    _check(event, now)
    zone = ZoneInfo(event.tzid)
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{_text(PRODID)}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if event.cancelled else "METHOD:PUBLISH",
        *_vtimezone(
            event.tzid, event.starts_at.astimezone(UTC).year, event.ends_at.astimezone(UTC).year
        ),
        *_vevent(event, zone, now),
        "END:VCALENDAR",
    ]
    return b"".join(_fold(line) for line in lines)


def filename(event: CalendarEvent) -> str:
    """A download name safe in any header and file system: ``psyline-YYYYMMDD-HHMM.ics``.

    Built from the local start time only, so it cannot carry anything a caller put in
    the text fields.
    """
    local = event.starts_at.astimezone(ZoneInfo(event.tzid))
    return f"psyline-{local:%Y%m%d-%H%M}.ics"


def _check(event: CalendarEvent, now: datetime) -> None:
    for name, value in (("starts_at", event.starts_at), ("ends_at", event.ends_at), ("now", now)):
        if value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if event.ends_at <= event.starts_at:
        raise ValueError("ends_at must be after starts_at")
    if event.sequence < 0:
        raise ValueError("sequence must not be negative")
    if not _TZID.fullmatch(event.tzid):
        raise ValueError("tzid must be an IANA zone name")
    if not event.uid or _TEXT_CONTROL.search(event.uid) or "\n" in event.uid:
        raise ValueError("uid must be a non-empty single line")
    for name, text in (("summary", event.summary), ("description", event.description)):
        if text is not None and _TEXT_CONTROL.search(_newlines(text)):
            raise ValueError(f"{name} must not contain control characters")
    if event.url is not None and (not event.url or _URI_BAD.search(event.url)):
        raise ValueError("url must be a URI without spaces or control characters")
    if event.alarm_before is not None and event.alarm_before <= timedelta(0):
        raise ValueError("alarm_before must be positive")


def _vevent(event: CalendarEvent, zone: ZoneInfo, now: datetime) -> Iterator[str]:
    yield "BEGIN:VEVENT"
    yield f"UID:{_text(event.uid)}"
    yield f"SEQUENCE:{event.sequence}"
    yield f"DTSTAMP:{_utc(now)}"
    yield _zoned("DTSTART", event.starts_at, event.tzid, zone)
    yield _zoned("DTEND", event.ends_at, event.tzid, zone)
    yield f"SUMMARY:{_text(event.summary)}"
    if event.description is not None:
        yield f"DESCRIPTION:{_text(event.description)}"
    if event.url is not None:
        yield f"URL:{event.url}"
    yield "STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED"
    yield "TRANSP:OPAQUE"
    yield "CLASS:PRIVATE"
    if event.alarm_before is not None and not event.cancelled:
        yield "BEGIN:VALARM"
        yield "ACTION:DISPLAY"
        yield f"DESCRIPTION:{_text(event.summary)}"
        yield f"TRIGGER;RELATED=START:-{_duration(event.alarm_before)}"
        yield "END:VALARM"
    yield "END:VEVENT"


def _zoned(name: str, value: datetime, tzid: str, zone: ZoneInfo) -> str:
    local = value.astimezone(zone).replace(microsecond=0)
    wall = local.replace(tzinfo=None)
    # RFC 5545 reads a repeated wall time as its first occurrence: if that is not our
    # instant (the second pass through the hour the clocks go back), write UTC.
    # (Compared in UTC: between datetimes of one tzinfo, == ignores ``fold``.)
    if wall.replace(tzinfo=zone, fold=0).astimezone(UTC) != local.astimezone(UTC):
        return f"{name}:{_utc(value)}"
    return f"{name};TZID={tzid}:{wall:%Y%m%dT%H%M%S}"


@dataclass(frozen=True)
class _Observance:
    utcoffset: timedelta
    dst: timedelta
    name: str


def _observance(zone: tzinfo, instant: datetime) -> _Observance:
    local = instant.astimezone(zone)
    return _Observance(
        utcoffset=local.utcoffset() or timedelta(0),
        dst=local.dst() or timedelta(0),
        name=local.tzname() or "",
    )


def _transitions(
    zone: tzinfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, _Observance, _Observance]]:
    """Each change of observance in ``[start, end)``: (UTC instant, before, after).

    The zone is sampled every six hours (no zone changes twice that fast), and each
    change is then bisected to the second.
    """
    here = start
    current = _observance(zone, here)
    while here < end:
        step = min(here + _SCAN_STEP, end)
        after = _observance(zone, step)
        if after != current:
            low, high = int(here.timestamp()), int(step.timestamp())
            while high - low > 1:  # observance(low) == current, observance(high) != current
                middle = (low + high) // 2
                if _observance(zone, datetime.fromtimestamp(middle, UTC)) == current:
                    low = middle
                else:
                    high = middle
            changed_at = datetime.fromtimestamp(high, UTC)
            after = _observance(zone, changed_at)
            yield changed_at, current, after
            here, current = changed_at, after
        else:
            here = step


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """VTIMEZONE over the event's calendar years (UTC), both sides of each year's changes.

    Cached: a zone's description for given years does not change within a process.
    """
    zone = ZoneInfo(tzid)
    first = datetime(first_year - 1, 12, 31, tzinfo=UTC)
    last = datetime(last_year + 1, 1, 2, tzinfo=UTC)
    opening = _observance(zone, first)
    return (
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        # The observance in effect when the window opens: its onset is the window's start.
        *_component(first, opening, opening),
        *(
            line
            for changed_at, before, after in _transitions(zone, first, last)
            for line in _component(changed_at, before, after)
        ),
        "END:VTIMEZONE",
    )


def _component(onset: datetime, before: _Observance, after: _Observance) -> Iterator[str]:
    kind = "STANDARD" if after.dst == timedelta(0) else "DAYLIGHT"
    # The onset as the wall clock read it just before the change (RFC 5545 3.6.5).
    wall = (onset.astimezone(UTC) + before.utcoffset).replace(tzinfo=None)
    yield f"BEGIN:{kind}"
    yield f"DTSTART:{wall:%Y%m%dT%H%M%S}"
    yield f"TZOFFSETFROM:{_offset(before.utcoffset)}"
    yield f"TZOFFSETTO:{_offset(after.utcoffset)}"
    if after.name:
        yield f"TZNAME:{_text(after.name)}"
    yield f"END:{kind}"


def _utc(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _offset(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def _newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11)."""
    return (
        _newlines(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> bytes:
    """``line`` + CRLF, folded into lines of at most 75 octets, whole characters only."""
    out = bytearray()
    width = 0
    for char in line:
        encoded = char.encode("utf-8")
        if width + len(encoded) > MAX_LINE_OCTETS:
            out += b"\r\n "
            width = 1
        out += encoded
        width += len(encoded)
    out += b"\r\n"
    return bytes(out)
