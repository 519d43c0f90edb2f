"""Bookings, working hours and availability (issue 4).

Times are timezone-aware UTC in the database; working hours are local wall-clock
minutes in the psychologist's IANA zone (``Psychologist.timezone``).

The no-double-booking invariant is held by the database:

- PostgreSQL: an exclusion constraint (``btree_gist``) on
  ``(psychologist_id, tstzrange(starts_at, blocked_until))`` for active statuses,
  added by raw SQL in the migration.
- SQLite: ``BookedCell`` rows, one per 5-minute cell of ``[starts_at, blocked_until)``,
  with a unique ``(psychologist_id, cell)`` key, written in the booking's transaction.

``blocked_until`` is ``ends_at`` plus the psychologist's buffer at booking time, so
the buffer between two sessions is part of the invariant.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.catalogue import Psychologist, Service
    from models.identity import User


class BookingStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    LATE_CANCELLED = "LATE_CANCELLED"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"
    RESCHEDULED = "RESCHEDULED"


# Statuses that occupy the psychologist's time (the constraint's WHERE clause).
OCCUPYING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class OverrideKind(StrEnum):
    TIME_OFF = "TIME_OFF"
    EXTRA_HOURS = "EXTRA_HOURS"


CALENDAR_TOKEN_BYTES = 32  # 256 bits; ``token_urlsafe`` writes them as 43 characters


def new_calendar_token() -> str:
    """The secret of a booking's calendar link: random, URL-safe, no personal data."""
    return secrets.token_urlsafe(CALENDAR_TOKEN_BYTES)


class WorkingHours(Model):
    """One weekly interval in local time (several per weekday are allowed)."""

    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="working_hours", on_delete=fields.CASCADE
    )
    psychologist_id: int
    weekday = fields.SmallIntField(description="0 = Monday ... 6 = Sunday")
    start_minute = fields.SmallIntField(description="Local minutes since midnight, multiple of 5")
    end_minute = fields.SmallIntField(description="Local minutes since midnight (1440 = 24:00)")

    class Meta:
        table = "working_hours"
        indexes = (("psychologist_id", "weekday"),)


class ScheduleOverride(Model):
    """A dated exception: time off, or extra hours outside the weekly pattern."""

    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="schedule_overrides", on_delete=fields.CASCADE
    )
    psychologist_id: int
    kind = fields.CharEnumField(OverrideKind, max_length=16)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "schedule_overrides"
        indexes = (("psychologist_id", "ends_at"),)


class BookingPolicy(Model):
    """Per-psychologist booking settings (a psychologist without a row gets the defaults)."""

    id = fields.IntField(primary_key=True)
    psychologist: fields.OneToOneRelation[Psychologist] = fields.OneToOneField(
        "catalogue.Psychologist", related_name="booking_policy", on_delete=fields.CASCADE
    )
    psychologist_id: int
    buffer_minutes = fields.SmallIntField(default=10)
    min_notice_minutes = fields.IntField(default=120)
    horizon_days = fields.SmallIntField(default=30)
    slot_step_minutes = fields.SmallIntField(default=30)

    class Meta:
        table = "booking_policies"


class Booking(Model):
    id = fields.IntField(primary_key=True)
    client: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="bookings", on_delete=fields.RESTRICT
    )
    client_id: int  # the ``*_id`` of foreign keys: set by Tortoise, declared for type checkers
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="bookings", on_delete=fields.RESTRICT
    )
    psychologist_id: int
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "catalogue.Service", related_name="bookings", on_delete=fields.RESTRICT
    )
    service_id: int
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    blocked_until = fields.DatetimeField(description="ends_at + the buffer at booking time")
    status = fields.CharEnumField(BookingStatus, max_length=16, default=BookingStatus.CONFIRMED)
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    currency = fields.CharField(max_length=3, default="RUB")
    idempotency_key = fields.CharField(max_length=100, null=True)
    rescheduled_from: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "booking.Booking", related_name="rescheduled_to", null=True, on_delete=fields.SET_NULL
    )
    rescheduled_from_id: int | None
    cancel_reason = fields.CharField(max_length=500, null=True)
    cancelled_at = fields.DatetimeField(null=True)
    video_room = fields.CharField(max_length=64, unique=True)
    # The calendar link (``app.booking.calendar_link``): one token per chain of
    # reschedules, the copy with the highest sequence being the current one. Nullable in
    # the database only because SQLite cannot add a NOT NULL column without rebuilding
    # the table; every row gets one (the default here, the backfill of its migration).
    calendar_token = fields.CharField(
        max_length=64,
        null=True,
        default=new_calendar_token,
        description="Secret of the .ics link, shared by a chain of reschedules",
    )
    calendar_sequence = fields.IntField(
        default=0, db_default=0, description="iCalendar SEQUENCE: 0 when booked, +1 per reschedule"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "bookings"
        unique_together = (("client", "idempotency_key"), ("calendar_token", "calendar_sequence"))
        indexes = (
            ("psychologist_id", "starts_at"),
            ("client_id", "starts_at"),
        )


class BookedCell(Model):
    """SQLite only: one row per 5-minute cell a booking (plus buffer) occupies."""

    id = fields.IntField(primary_key=True)
    psychologist_id = fields.IntField()
    cell = fields.BigIntField(description="UTC epoch seconds // 300")
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "booking.Booking", related_name="cells", on_delete=fields.CASCADE
    )

    class Meta:
        table = "booked_cells"
        unique_together = (("psychologist_id", "cell"),)


NO_SLOT = 2**62  # ``NextFreeSlot.rank`` of "no free slot": after every real epoch


class NextFreeSlot(Model):
    """Derived: a psychologist's first free slot of one service kind, so that the soonest
    slots across the catalogue are an indexed ``ORDER BY rank LIMIT n``.

    One row per psychologist and kind, created by a trigger when the psychologist is.
    Every write that can move the slot (bookings, working hours, overrides, policies,
    services, the psychologist's zone) marks the psychologist's rows stale *in its own
    transaction*, by database triggers (``booking/0002_next_free_slots``): ``valid_until``
    0 and ``version + 1``. The passing of time is in ``valid_until``: the moment the
    stored slot stops being bookable (its notice starts), or for "no slot" the earliest
    moment the horizon could reach one. Readers recompute stale rows and write them back
    only if ``version`` did not move meanwhile (``app.booking.next_free``).
    """

    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="next_free_slots", on_delete=fields.CASCADE
    )
    psychologist_id: int
    kind = fields.CharField(max_length=16, description="models.enums.ServiceKind")
    rank = fields.BigIntField(default=NO_SLOT, description="slot start, UTC epoch s, or NO_SLOT")
    ends = fields.BigIntField(null=True, description="slot end, UTC epoch seconds")
    service_id = fields.IntField(null=True)
    computed_at = fields.BigIntField(default=0, description="the now it was computed for")
    valid_until = fields.BigIntField(default=0, description="stale from this epoch second")
    version = fields.IntField(default=0, description="bumped by every invalidation")

    class Meta:
        table = "next_free_slots"
        unique_together = (("psychologist", "kind"),)
        indexes = (
            ("kind", "rank", "psychologist_id"),
            ("kind", "valid_until"),
            ("kind", "computed_at"),
        )
