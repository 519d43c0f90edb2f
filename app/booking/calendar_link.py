"""The "add to calendar" link of a booking (issue 13): ``/calendar/{token}.ics``.

- The token (``models.booking.new_calendar_token``: 256 random bits, URL-safe) is the
  only thing in the link: no booking ID, no name. Whoever holds the link may read the
  file, so it is shown only to those who see the booking (``Booking.calendarUrl``).
- A reschedule writes a new booking row; it keeps the token and takes the sequence + 1
  (``next_copy``), so one link follows the booking wherever it moves, and the file is
  always the copy with the highest sequence. ``(calendar_token, calendar_sequence)`` is
  unique, which also indexes the lookup.
- The event's UID is derived from the token by a hash: stable for the whole chain, and
  it does not give the link back to someone who only has an exported file.
- Cancelled (free or late) is ``METHOD:CANCEL`` with the sequence + 1: a cancellation is
  a revision of the event (RFC 5545 3.8.7.4), so a calendar that compares sequences
  takes it as newer than the copy it imported.
- The text is neutral and in the caller's language (``Msg.CALENDAR_EVENT``): no
  psychologist, no client, no service; the zone is the psychologist's.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.booking.calendar import CalendarEvent, filename, to_ics
from app.core import clock
from app.core.messages import DEFAULT_LOCALE, Locale, Msg
from models.booking import Booking, BookingStatus
from models.catalogue import Psychologist

log = logging.getLogger("psyline.calendar")

# ``secrets.token_urlsafe(32)``: 43 characters of the URL-safe base64 alphabet.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
PATH_PREFIX = "/calendar/"
SUFFIX = ".ics"
UID_DOMAIN = "psyline"
_UID_SALT = b"psyline calendar uid\x00"
# What no longer takes place: a calendar that imported the event drops it.
CANCELLED = frozenset(
    {BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED, BookingStatus.RESCHEDULED}
)
FALLBACK_ZONE = "UTC"


def calendar_path(token: str) -> str:
    """The link's path; made absolute by the caller (the public base URL)."""
    return f"{PATH_PREFIX}{token}{SUFFIX}"


def calendar_uid(token: str) -> str:
    """The event's UID: the same for every copy of a chain, and not the token."""
    digest = hashlib.sha256(_UID_SALT + token.encode("ascii")).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def next_copy(old: Booking) -> dict[str, Any]:
    """The calendar fields of the booking a reschedule writes in place of ``old``."""
    if old.calendar_token is None:  # a row written around the service: a chain of its own
        return {}
    return {"calendar_token": old.calendar_token, "calendar_sequence": old.calendar_sequence + 1}


@dataclass(frozen=True)
class CalendarFile:
    body: bytes
    filename: str


def _zone_name(name: str | None) -> str:
    """The psychologist's zone, or UTC for one ``zoneinfo`` does not know (the times
    stay right, only the wall clock shown is UTC's)."""
    try:
        ZoneInfo(name or "")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("calendar: unknown time zone in a profile, written in UTC")
        return FALLBACK_ZONE
    return name or FALLBACK_ZONE


def event_of(booking: Booking, zone: str | None, locale: Locale = DEFAULT_LOCALE) -> CalendarEvent:
    """What a calendar may know of ``booking``, the current copy of its chain."""
    assert booking.calendar_token is not None
    cancelled = booking.status in CANCELLED
    return CalendarEvent(
        uid=calendar_uid(booking.calendar_token),
        sequence=booking.calendar_sequence + (1 if cancelled else 0),
        cancelled=cancelled,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        tzid=_zone_name(zone),
        summary=Msg.CALENDAR_EVENT.render(locale),
    )


async def calendar_file(
    token: str, *, locale: Locale = DEFAULT_LOCALE, now: datetime | None = None
) -> CalendarFile | None:
    """The ``.ics`` of the booking chain of ``token``; None for a malformed or unknown one
    (the same answer: nothing tells the two apart). A well-formed token costs one probe of
    the unique index, found or not; with 256 random bits, timing cannot help a guess."""
    if not TOKEN.fullmatch(token):
        return None
    booking = await Booking.filter(calendar_token=token).order_by("-calendar_sequence").first()
    if booking is None:
        return None
    zone = (
        await Psychologist.filter(id=booking.psychologist_id)
        .first()
        .values_list("timezone", flat=True)
    )
    event = event_of(booking, zone if isinstance(zone, str) else None, locale)
    return CalendarFile(to_ics(event, now=now or clock.now()), filename(event))
