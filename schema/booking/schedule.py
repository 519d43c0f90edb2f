"""A psychologist's own schedule and sessions: ``mySchedule``, ``mySessions``,
``setWorkingHours``, ``addTimeOff``, ``removeTimeOff``.

The rules live in ``app.booking.schedule``; everyone but a psychologist with a linked
profile gets a top-level FORBIDDEN.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver

from app.booking import schedule as svc
from app.booking.errors import ScheduleErrorCode
from app.booking.slots import WeeklyHours
from app.core import clock
from app.core.cursors import CursorCodec
from app.core.errors import Refusal
from models.booking import ScheduleOverride
from schema.booking.types import Booking, BookingConnection
from schema.common import PayloadError, RefusalsAsPayload, mutation, payload
from schema.context import Info
from schema.cost import page
from schema.relay import MAX_PAGE_SIZE, PageArgs, build_connection, decode_id, to_global_id

strawberry.enum(
    ScheduleErrorCode, description="Why a change of the psychologist's schedule was refused."
)


@strawberry.enum(description="A day of the week (ISO order: MONDAY first).")
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


TIME_DOC = (
    'Local wall-clock time in the schedule\'s `timeZone`, "HH:MM" from "00:00" to "24:00" '
    f"in steps of {svc.STEP_MINUTES} minutes; it stays the same local time across DST changes."
)


@strawberry.type(description="One weekly interval of working hours, in local time.")
class WorkingHours:
    weekday: Weekday = strawberry.field(description="The day of the week.")
    start_time: str = strawberry.field(description=f"Start (inclusive). {TIME_DOC}")
    end_time: str = strawberry.field(
        description=f'End (exclusive), later than `startTime`; "24:00" is midnight. {TIME_DOC}'
    )

    @classmethod
    def of(cls, h: WeeklyHours) -> WorkingHours:
        return cls(
            weekday=Weekday(h.weekday),
            start_time=svc.format_minute(h.start_minute),
            end_time=svc.format_minute(h.end_minute),
        )


@strawberry.type(
    description="A time off of the psychologist: no slots are offered in `[startsAt, endsAt)`."
)
class TimeOff:
    id: strawberry.ID = strawberry.field(description="Opaque ID (for removeTimeOff).")
    starts_at: datetime = strawberry.field(description="Start (inclusive).")
    ends_at: datetime = strawberry.field(description="End (exclusive).")
    reason: str | None = strawberry.field(
        description="The psychologist's own note; never shown to clients."
    )

    @classmethod
    def of(cls, row: ScheduleOverride) -> TimeOff:
        return cls(
            id=to_global_id("TimeOff", row.id),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            reason=row.note or None,
        )


@strawberry.type(description="The signed-in psychologist's own schedule.")
class Schedule:
    time_zone: str = strawberry.field(
        description="IANA time zone of the working hours (e.g. Europe/Moscow)."
    )
    buffer_minutes: int = strawberry.field(
        description="Minutes kept free after every session before the next one can start."
    )
    min_notice_minutes: int = strawberry.field(
        description="How long before its start a slot can still be booked."
    )
    working_hours: list[WorkingHours] = strawberry.field(
        description=f"The weekly pattern, by weekday and start (at most {svc.MAX_HOURS})."
    )
    time_off: list[TimeOff] = strawberry.field(
        description=f"Current and upcoming time off, by start (at most {svc.MAX_ACTIVE_TIME_OFF})."
    )

    @classmethod
    def of(cls, view: svc.ScheduleView) -> Schedule:
        return cls(
            time_zone=view.time_zone,
            buffer_minutes=view.buffer_minutes,
            min_notice_minutes=view.min_notice_minutes,
            working_hours=[WorkingHours.of(h) for h in view.hours],
            time_off=[TimeOff.of(t) for t in view.time_off],
        )


@strawberry.type(description="A refused schedule change: code, message, input field at fault.")
class ScheduleError(PayloadError):
    code_enum: ClassVar[type[Enum]] = ScheduleErrorCode
    code: ScheduleErrorCode
    message: str = strawberry.field(description="For developers; not for end users.")
    field: str | None = strawberry.field(
        default=None,
        description='The input field at fault (camelCase; list entries as "hours[2].endTime").',
    )


@strawberry.input(description="One weekly interval of working hours, in local time.")
class WorkingHoursInput:
    weekday: Weekday = strawberry.field(description="The day of the week.")
    start_time: str = strawberry.field(description=f"Start (inclusive). {TIME_DOC}")
    end_time: str = strawberry.field(description=f"End (exclusive), after `startTime`. {TIME_DOC}")


@strawberry.input(description="The whole weekly pattern, replacing the current one.")
class SetWorkingHoursInput:
    time_zone: str = strawberry.field(
        description="IANA time zone (e.g. Europe/Berlin); becomes the psychologist's zone."
    )
    hours: list[WorkingHoursInput] = strawberry.field(
        description=f"At most {svc.MAX_HOURS} intervals; intervals of one weekday may touch "
        "(10:00-12:00 and 12:00-14:00) but not overlap. Empty: no working hours."
    )


@payload(ScheduleError, description="The result of setWorkingHours.")
class SetWorkingHoursPayload:
    schedule: Schedule | None = None


@strawberry.input(description="Take time off: no slots in `[startsAt, endsAt)`.")
class AddTimeOffInput:
    starts_at: datetime = strawberry.field(description="Start, with a UTC offset.")
    ends_at: datetime = strawberry.field(
        description="End, with a UTC offset: later than `startsAt`, in the future, at most "
        f"{svc.MAX_TIME_OFF_DAYS} days after `startsAt`."
    )
    reason: str | None = strawberry.field(
        default=None,
        description=f"A note for yourself (at most {svc.MAX_REASON_LENGTH} characters).",
    )
    cancel_conflicting: bool | None = strawberry.field(
        default=False,
        description="Cancel the confirmed sessions in the way (free for their clients, who "
        "are notified) instead of refusing with TIME_OFF_CONFLICTS.",
    )


@payload(ScheduleError, description="The result of addTimeOff.")
class AddTimeOffPayload:
    time_off: TimeOff | None = None
    conflicts: list[Booking] = strawberry.field(
        default_factory=list,
        description="Confirmed sessions not yet started whose time (buffer excluded) overlaps "
        "the time off: with TIME_OFF_CONFLICTS they are as they were (CONFIRMED); with "
        "`cancelConflicting` the ones cancelled (CANCELLED).",
    )


@strawberry.input(description="Remove one of your time offs.")
class RemoveTimeOffInput:
    id: strawberry.ID = strawberry.field(description="A `TimeOff.id` from mySchedule.")


@payload(ScheduleError, description="The result of removeTimeOff.")
class RemoveTimeOffPayload:
    schedule: Schedule | None = None


class ConflictsAsPayload(RefusalsAsPayload):
    """``RefusalsAsPayload`` whose TIME_OFF_CONFLICTS also fills the payload's ``conflicts``."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except Refusal as exc:
            conflicts = exc.conflicts if isinstance(exc, svc.TimeOffConflicts) else []
            return self.payload_type(
                errors=[self.payload_type.error_type.of(exc, info.context.locale)],
                conflicts=[Booking.from_model(b) for b in conflicts],
            )


SESSION_CURSOR = CursorCodec("S", (int, int, int))


@strawberry.type
class ScheduleQuery:
    @strawberry.field(
        description="The signed-in psychologist's working hours, booking settings and time "
        "off. Psychologists only (a profile linked to the account); others: FORBIDDEN."
    )
    async def my_schedule(self, info: Info) -> Schedule:
        viewer = info.context.require_viewer()
        return Schedule.of(await svc.my_schedule(viewer))

    @strawberry.field(
        description="The bookings on the signed-in psychologist's schedule: upcoming ones "
        "(confirmed, not yet ended) soonest first, then the rest (past, cancelled) latest "
        "first; moved (RESCHEDULED) ones are left out. `first` at most "
        f"{MAX_PAGE_SIZE}. Psychologists only; others: FORBIDDEN.",
        directives=page(MAX_PAGE_SIZE, weight=2),
    )
    async def my_sessions(
        self, info: Info, first: int = 10, after: str | None = None
    ) -> BookingConnection:
        viewer = info.context.require_viewer()
        args = PageArgs.parse(first, after, default=10)
        cursor = SESSION_CURSOR.read(args.cursor)
        p = await svc.own_psychologist(viewer)
        keyed = await svc.page_sessions(p, min(args.size, MAX_PAGE_SIZE), cursor, clock.now())
        conn = build_connection(
            keyed,
            args,
            cursor_of=lambda kb: SESSION_CURSOR.encode(*kb[0]),
            convert=lambda kb: Booking.from_model(kb[1]),
            count=lambda: svc.count_sessions(p),
        )
        return BookingConnection(edges=conn.edges, page_info=conn.page_info, _count=conn._count)


@strawberry.type
class ScheduleMutation:
    @mutation(
        description="Replaces the signed-in psychologist's weekly working hours and time zone "
        "in one step. Free slots follow at once; existing bookings stay."
    )
    async def set_working_hours(
        self, info: Info, input: SetWorkingHoursInput
    ) -> SetWorkingHoursPayload:
        viewer = info.context.require_viewer()
        hours = [svc.HoursEntry(h.weekday.value, h.start_time, h.end_time) for h in input.hours]
        view = await svc.set_working_hours(viewer, input.time_zone, hours)
        return SetWorkingHoursPayload(schedule=Schedule.of(view))

    @strawberry.mutation(
        description="Adds a time off. Confirmed sessions in the way refuse it "
        "(TIME_OFF_CONFLICTS, listed in `conflicts`) unless `cancelConflicting`, which "
        "cancels them in the same step as the psychologist's cancellation: free for the "
        "client, who is notified; their reminders are dropped.",
        extensions=[ConflictsAsPayload()],
    )
    async def add_time_off(self, info: Info, input: AddTimeOffInput) -> AddTimeOffPayload:
        viewer = info.context.require_viewer()
        result = await svc.add_time_off(
            viewer,
            input.starts_at,
            input.ends_at,
            input.reason,
            cancel_conflicting=bool(input.cancel_conflicting),
        )
        return AddTimeOffPayload(
            time_off=TimeOff.of(result.time_off),
            conflicts=[Booking.from_model(b) for b in result.cancelled],
        )

    @mutation(
        description="Removes one of the signed-in psychologist's time offs: its time is "
        "bookable again (within the working hours)."
    )
    async def remove_time_off(self, info: Info, input: RemoveTimeOffInput) -> RemoveTimeOffPayload:
        viewer = info.context.require_viewer()
        view = await svc.remove_time_off(viewer, decode_id(input.id, "TimeOff"))
        return RemoveTimeOffPayload(schedule=Schedule.of(view))
