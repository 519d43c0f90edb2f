"""A psychologist's own schedule: the weekly working hours, time off, and their sessions.

The rules, reusable without GraphQL (a catalogue import validates working hours with
``parse_working_hours`` and writes them with ``replace_working_hours``):

- **Working hours** are local wall-clock times in the psychologist's IANA zone
  (``models.booking.WorkingHours``: minutes since local midnight). A weekly 18:00 stays
  18:00 local across DST changes: the slot arithmetic (``app.booking.slots``) turns each
  local date's times into UTC on its own. A time is ``HH:MM`` from 00:00 to 24:00 in
  steps of ``STEP_MINUTES``; start < end; intervals of one weekday may touch but not
  overlap; at most ``MAX_HOURS`` intervals a week. The pattern is replaced as a whole, in
  one transaction, with the zone (``Psychologist.timezone``).
- **Time off** (``ScheduleOverride`` of kind ``TIME_OFF``): ``[startsAt, endsAt)``, ending
  in the future, at most ``MAX_TIME_OFF_DAYS`` long, a reason of at most
  ``MAX_REASON_LENGTH`` characters, at most ``MAX_ACTIVE_TIME_OFF`` current and upcoming
  ones. It conflicts with every CONFIRMED booking whose session ``[starts_at, ends_at)``
  overlaps it and has not started yet. The buffer after a session is not part of it: like
  the end of working hours, time off may begin during a buffer (the availability rules,
  ``app.booking.slots``, let a buffer run past open time the same way). A session already
  under way is left to be closed (completeBooking / markNoShow).
  Conflicts refuse the time off (``TIME_OFF_CONFLICTS``, listing them) unless
  ``cancel_conflicting``: then they are cancelled in the transaction that writes the time
  off, as the psychologist's cancellation: CANCELLED (free, whatever the 24 h rule), the
  promo code given back, reminders purged, the client told (``app.booking.service.
  cancel_confirmed``, the one cancellation of the booking service).
- **Races**: time off and bookings of one psychologist serialize on the psychologist's row
  lock (``app.booking.service.lock_psychologist``); each re-reads the other under it, so a
  booking racing a time off either is a conflict of it or is refused.

Whatever availability derives (``NextFreeSlot``) is marked stale by database triggers
on ``working_hours``, ``schedule_overrides``, ``bookings`` and ``psychologists.timezone``
in the writing transaction (``booking/0002_next_free_slots``): soonest slots, nextSlots,
availability and ``availableBefore`` show a change at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from tortoise.transactions import in_transaction

from app.booking import service as bookings
from app.booking.availability import DEFAULT_BUFFER_MINUTES, DEFAULT_NOTICE_MINUTES
from app.booking.errors import ScheduleErrorCode
from app.booking.slots import WeeklyHours
from app.core import clock
from app.core.errors import Forbidden, Refused
from app.core.messages import DEFAULT_LOCALE, Msg, text_of
from app.core.zones import is_time_zone
from app.policy import (
    Principal,
    own_sessions_scope,
    require_own_schedule,
    require_own_time_off,
    time_off_not_found,
)
from models.booking import (
    Booking,
    BookingPolicy,
    BookingStatus,
    OverrideKind,
    ScheduleOverride,
    WorkingHours,
)
from models.catalogue import Psychologist

STEP_MINUTES = 5  # every time of the booking domain is on the 5-minute grid
DAY_MINUTES = 24 * 60
MAX_HOURS = 70  # intervals a week: ten a day
MAX_TIME_OFF_DAYS = 366  # a year, leap day included
MAX_REASON_LENGTH = 200  # ScheduleOverride.note
MAX_ACTIVE_TIME_OFF = 100  # current and upcoming: bounds mySchedule.timeOff
MAX_ID = 2**31 - 1  # ScheduleOverride.id is a 32-bit column
_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


# --- working hours ------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursEntry:
    """One weekly interval as given: weekday 0 (Monday) to 6, times ``"HH:MM"``."""

    weekday: int
    start_time: str
    end_time: str


@dataclass(frozen=True)
class WorkingHoursSpec:
    """A validated weekly pattern: the zone and its intervals, sorted."""

    time_zone: str
    hours: tuple[WeeklyHours, ...]


def format_minute(minute: int) -> str:
    """Local minutes since midnight as ``"HH:MM"`` (1440 is ``"24:00"``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minute(text: str) -> int | None:
    """``"HH:MM"`` (00:00-24:00) as minutes since midnight, or None."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    minute = int(match.group(1)) * 60 + int(match.group(2))
    return minute if minute <= DAY_MINUTES else None


def parse_time_zone(name: str, field: str = "timeZone") -> str:
    """An IANA zone name that ``zoneinfo`` knows (not a bare offset, not a file path)."""
    if not is_time_zone(name):
        raise Refused(ScheduleErrorCode.INVALID_TIME_ZONE, Msg.INVALID_TIME_ZONE, field)
    return name


def parse_working_hours(
    time_zone: str, hours: Sequence[HoursEntry], *, field: str = "hours"
) -> WorkingHoursSpec:
    """Validate a weekly pattern; ``Refused`` (a ``ScheduleErrorCode``) at the first fault,
    its ``field`` naming the entry (``"hours[2].endTime"``; ``field`` is the list's name)."""
    zone = parse_time_zone(time_zone)
    if len(hours) > MAX_HOURS:
        raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.TOO_MANY_HOURS(limit=MAX_HOURS), field)
    parsed: list[tuple[WeeklyHours, int]] = []
    for i, entry in enumerate(hours):
        at = f"{field}[{i}]"
        if not isinstance(entry.weekday, int) or not 0 <= entry.weekday <= 6:
            raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.INVALID_INPUT, f"{at}.weekday")
        start = _minute_of(entry.start_time, f"{at}.startTime", last=DAY_MINUTES - STEP_MINUTES)
        end = _minute_of(entry.end_time, f"{at}.endTime", last=DAY_MINUTES)
        if end <= start:
            raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.HOURS_ORDER, f"{at}.endTime")
        parsed.append((WeeklyHours(entry.weekday, start, end), i))
    parsed.sort(key=lambda p: (p[0].weekday, p[0].start_minute, p[1]))
    for (prev, _), (cur, i) in pairwise(parsed):
        if cur.weekday == prev.weekday and cur.start_minute < prev.end_minute:
            raise Refused(
                ScheduleErrorCode.HOURS_OVERLAP, Msg.HOURS_OVERLAP, f"{field}[{i}].startTime"
            )
    return WorkingHoursSpec(zone, tuple(h for h, _ in parsed))


def _minute_of(text: str, field: str, *, last: int) -> int:
    minute = parse_minute(text)
    if minute is None or minute % STEP_MINUTES or minute > last:
        raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.TIME_FORMAT(step=STEP_MINUTES), field)
    return minute


async def replace_working_hours(psychologist_id: int, spec: WorkingHoursSpec) -> None:
    """Replace the psychologist's weekly pattern and zone, in one transaction (a
    reader sees the old pattern or the new one, never a mix)."""
    async with in_transaction():
        await bookings.lock_psychologist(psychologist_id)
        await WorkingHours.filter(psychologist_id=psychologist_id).delete()
        if spec.hours:
            await WorkingHours.bulk_create(
                [
                    WorkingHours(
                        psychologist_id=psychologist_id,
                        weekday=h.weekday,
                        start_minute=h.start_minute,
                        end_minute=h.end_minute,
                    )
                    for h in spec.hours
                ]
            )
        await (
            Psychologist.filter(id=psychologist_id)
            .exclude(timezone=spec.time_zone)
            .update(timezone=spec.time_zone)
        )


# --- who is asking ------------------------------------------------------------------------


async def own_psychologist(who: Principal) -> Psychologist:
    """The psychologist profile linked to the caller's account; FORBIDDEN for any other
    role and for a psychologist account without a profile."""
    require_own_schedule(who)
    row = await Psychologist.filter(user_id=who.user_id).order_by("id").first()
    if row is None:
        raise Forbidden(Msg.NO_PSYCHOLOGIST_PROFILE)
    return row


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleView:
    time_zone: str
    buffer_minutes: int
    min_notice_minutes: int
    hours: tuple[WeeklyHours, ...]
    time_off: tuple[ScheduleOverride, ...]


async def schedule_of(p: Psychologist, now: datetime) -> ScheduleView:
    """The weekly pattern, the booking policy (or its defaults) and the current and
    upcoming time off (by start), in 3 statements."""
    policy = await BookingPolicy.get_or_none(psychologist_id=p.id)
    hours = await WorkingHours.filter(psychologist_id=p.id).order_by(
        "weekday", "start_minute", "id"
    )
    off = (
        await ScheduleOverride.filter(psychologist_id=p.id, kind=OverrideKind.TIME_OFF)
        .filter(ends_at__gt=now)
        .order_by("starts_at", "id")
        .limit(MAX_ACTIVE_TIME_OFF)
    )
    return ScheduleView(
        time_zone=p.timezone,
        buffer_minutes=policy.buffer_minutes if policy else DEFAULT_BUFFER_MINUTES,
        min_notice_minutes=policy.min_notice_minutes if policy else DEFAULT_NOTICE_MINUTES,
        hours=tuple(WeeklyHours(h.weekday, h.start_minute, h.end_minute) for h in hours),
        time_off=tuple(off),
    )


async def my_schedule(who: Principal, *, now: datetime | None = None) -> ScheduleView:
    return await schedule_of(await own_psychologist(who), now or clock.now())


# --- writing ------------------------------------------------------------------------------


async def set_working_hours(
    who: Principal, time_zone: str, hours: Sequence[HoursEntry], *, now: datetime | None = None
) -> ScheduleView:
    p = await own_psychologist(who)
    spec = parse_working_hours(time_zone, hours)
    await replace_working_hours(p.id, spec)
    p.timezone = spec.time_zone
    return await schedule_of(p, now or clock.now())


class TimeOffConflicts(Refused):
    """``TIME_OFF_CONFLICTS``, with the bookings in the way (the payload's ``conflicts``)."""

    def __init__(self, conflicts: list[Booking]) -> None:
        super().__init__(ScheduleErrorCode.TIME_OFF_CONFLICTS, Msg.TIME_OFF_CONFLICTS)
        self.conflicts = conflicts


@dataclass(frozen=True)
class TimeOffResult:
    time_off: ScheduleOverride
    cancelled: list[Booking]


def _require_aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.NEEDS_UTC_OFFSET(field=field), field)
    return value


def check_time_off(
    starts_at: datetime, ends_at: datetime, reason: str | None, now: datetime
) -> tuple[datetime, datetime, str]:
    """The validated ``[starts_at, ends_at)`` and reason (stripped)."""
    start = _require_aware(starts_at, "startsAt")
    end = _require_aware(ends_at, "endsAt")
    if end <= start:
        raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.TIME_OFF_ORDER, "endsAt")
    if end <= now:
        raise Refused(ScheduleErrorCode.INVALID_INPUT, Msg.TIME_OFF_OVER, "endsAt")
    if end - start > timedelta(days=MAX_TIME_OFF_DAYS):
        raise Refused(
            ScheduleErrorCode.INVALID_INPUT,
            Msg.TIME_OFF_TOO_LONG(days=MAX_TIME_OFF_DAYS),
            "endsAt",
        )
    note = (reason or "").strip()
    if len(note) > MAX_REASON_LENGTH:
        raise Refused(
            ScheduleErrorCode.INVALID_INPUT, Msg.REASON_TOO_LONG(limit=MAX_REASON_LENGTH), "reason"
        )
    return start, end, note


async def _conflicts(
    psychologist_id: int, start: datetime, end: datetime, now: datetime
) -> list[Booking]:
    return await Booking.filter(
        psychologist_id=psychologist_id,
        status=BookingStatus.CONFIRMED,
        starts_at__lt=end,
        ends_at__gt=start,
        starts_at__gt=now,
    ).order_by("starts_at", "id")


async def add_time_off(
    who: Principal,
    starts_at: datetime,
    ends_at: datetime,
    reason: str | None = None,
    *,
    cancel_conflicting: bool = False,
    now: datetime | None = None,
) -> TimeOffResult:
    """A time off, after its conflicts are refused (``TimeOffConflicts``) or cancelled."""
    p = await own_psychologist(who)
    now = now or clock.now()
    start, end, note = check_time_off(starts_at, ends_at, reason, now)
    cancel_reason = text_of(Msg.CANCELLED_BY_PSYCHOLOGIST).render(DEFAULT_LOCALE)
    async with in_transaction():
        # Under the lock no booking of this psychologist can be written: the conflicts read
        # here are all there are until the time off commits (``service._hold_time``).
        await bookings.lock_psychologist(p.id)
        active = await ScheduleOverride.filter(
            psychologist_id=p.id, kind=OverrideKind.TIME_OFF, ends_at__gt=now
        ).count()
        if active >= MAX_ACTIVE_TIME_OFF:
            raise Refused(
                ScheduleErrorCode.INVALID_INPUT, Msg.TOO_MANY_TIME_OFF(limit=MAX_ACTIVE_TIME_OFF)
            )
        conflicts = await _conflicts(p.id, start, end, now)
        if conflicts and not cancel_conflicting:
            raise TimeOffConflicts(conflicts)
        cancelled: list[Booking] = []
        for booking in conflicts:
            if await bookings.cancel_confirmed(
                booking,
                BookingStatus.CANCELLED,
                reason=cancel_reason,
                now=now,
                by_psychologist=True,
            ):
                cancelled.append(booking)
        row = await ScheduleOverride.create(
            psychologist_id=p.id,
            kind=OverrideKind.TIME_OFF,
            starts_at=start,
            ends_at=end,
            note=note,
        )
    return TimeOffResult(row, cancelled)


async def remove_time_off(
    who: Principal, time_off_id: int | None, *, now: datetime | None = None
) -> ScheduleView:
    """Delete one of the caller's own time offs (another's: NOT_FOUND); the schedule after."""
    p = await own_psychologist(who)
    if time_off_id is None or not 0 < time_off_id <= MAX_ID:  # beyond the column: none such
        raise time_off_not_found()
    async with in_transaction():
        await bookings.lock_psychologist(p.id)
        row = await ScheduleOverride.get_or_none(id=time_off_id, kind=OverrideKind.TIME_OFF)
        require_own_time_off(p.id, row)
        await ScheduleOverride.filter(id=time_off_id).delete()
    return await schedule_of(p, now or clock.now())


# --- sessions -----------------------------------------------------------------------------


async def page_sessions(
    p: Psychologist, size: int, after: tuple[int, int, int] | None, now: datetime
) -> list[tuple[tuple[int, int, int], Booking]]:
    """The bookings on ``p``'s schedule (``own_psychologist``), ordered as
    ``viewer.bookings``: upcoming (confirmed, not ended) by start ascending, then the rest
    by start descending; RESCHEDULED ones left out. Cursor: ``(bucket, start, id)``."""
    return await bookings.page_client_bookings(own_sessions_scope(p.id), size, after, now)


async def count_sessions(p: Psychologist) -> int:
    """How many bookings ``page_sessions`` lists in all."""
    return (
        await Booking.filter(**own_sessions_scope(p.id))
        .exclude(status=BookingStatus.RESCHEDULED)
        .count()
    )
