"""Booking rules: book a slot, cancel, reschedule, complete, mark a no-show.

Every rule is checked here for a good error message, and the invariants that
matter are held by the database as well:

- no two occupying bookings of one psychologist overlap (buffer included):
  the PostgreSQL exclusion constraint, or the unique ``booked_cells`` key on SQLite;
- one booking per ``(client, idempotency_key)``: a unique key. A request that
  loses either race re-reads the key: a retry gets the original booking.

The per-client rules (at most ``max_active_bookings`` upcoming bookings, none overlapping
another of the same client) are checked twice: early, for a cheap error, and again inside
the writing transaction after ``_lock_client`` has serialized that client's booking
writes (``SELECT ... FOR NO KEY UPDATE`` on the ``users`` row on PostgreSQL; on SQLite the
transaction holds the single connection's lock, so nothing else runs in between).

Errors are ``Refused`` with a ``BookingErrorCode`` (``app.booking.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.booking import calendar_link
from app.booking.availability import schedule_for
from app.booking.errors import BookingErrorCode
from app.booking.slots import cells, is_free
from app.booking.video import new_room_name
from app.checkup import promo as promos
from app.core import clock
from app.core.errors import Refused
from app.core.messages import Msg
from app.core.settings import Settings
from app.core.sql import bind, fetch_rows, is_sqlite, lock_rows
from app.identity.viewer import Viewer
from app.notify import outbox
from app.policy import (
    Principal,
    booking_not_found,
    require_book_for_self,
    require_complete_booking,
    require_manage_booking,
)
from models.booking import BookedCell, Booking, BookingStatus, OverrideKind, ScheduleOverride
from models.catalogue import Psychologist, Service
from models.enums import VettingStatus
from models.identity import User

MAX_KEY_LENGTH = 100
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class SlotRef:
    """What a slot ID says: psychologist, service and start (UTC)."""

    psychologist_id: int
    service_id: int
    starts_at: datetime


def _now(now: datetime | None) -> datetime:
    return now or clock.now()


def _uses_cells() -> bool:
    return is_sqlite()


async def _occupy(booking: Booking) -> None:
    """SQLite: claim the booking's 5-minute cells (the unique key refuses overlaps)."""
    if not _uses_cells():
        return
    await BookedCell.bulk_create(
        [
            BookedCell(psychologist_id=booking.psychologist_id, cell=c, booking_id=booking.id)
            for c in cells(booking.starts_at, booking.blocked_until)
        ]
    )


@dataclass(frozen=True)
class Placement:
    """A re-checked slot: who, what, when, and until when the time stays blocked."""

    psychologist: Psychologist
    service: Service
    starts_at: datetime
    ends_at: datetime
    blocked_until: datetime


async def _insert_confirmed(
    client_id: int,
    placement: Placement,
    *,
    price: Decimal,
    currency: str,
    idempotency_key: str | None = None,
    rescheduled_from_id: int | None = None,
    calendar: dict[str, Any] | None = None,
) -> Booking:
    """Insert a CONFIRMED booking and occupy its time (inside the caller's transaction).
    ``calendar``: the calendar identity it continues (``calendar_link.next_copy``)."""
    booking = await Booking.create(
        client_id=client_id,
        psychologist_id=placement.psychologist.id,
        service_id=placement.service.id,
        starts_at=placement.starts_at,
        ends_at=placement.ends_at,
        blocked_until=placement.blocked_until,
        status=BookingStatus.CONFIRMED,
        price=price,
        currency=currency,
        idempotency_key=idempotency_key,
        rescheduled_from_id=rescheduled_from_id,
        video_room=new_room_name(),
        **(calendar or {}),
    )
    await _occupy(booking)
    return booking


def _just_taken() -> Refused:
    """The database refused the insert: another booking took the time first."""
    return Refused(BookingErrorCode.SLOT_UNAVAILABLE, Msg.SLOT_TAKEN, "slotId")


async def _lock_client(client_id: int) -> None:
    """Serialize one client's booking writes until the end of the current transaction
    (a lock on the client's ``users`` row)."""
    await lock_rows(User.filter(id=client_id))


async def lock_psychologist(psychologist_id: int) -> None:
    """Serialize the writes of one psychologist's schedule until the end of the current
    transaction: bookings (``book_slot``, ``reschedule_booking``) and time off
    (``app.booking.schedule``) take this lock, then re-read what they depend on."""
    await lock_rows(Psychologist.filter(id=psychologist_id))


async def _hold_time(placement: Placement) -> None:
    """Inside the writing transaction: take the psychologist's lock and re-check that no
    time off (added since the slot was checked) covers the session. A time off written
    after this commit sees the booking among its conflicts."""
    await lock_psychologist(placement.psychologist.id)
    off = await ScheduleOverride.filter(
        psychologist_id=placement.psychologist.id,
        kind=OverrideKind.TIME_OFF,
        starts_at__lt=placement.ends_at,
        ends_at__gt=placement.starts_at,
    ).exists()
    if off:
        raise Refused(BookingErrorCode.SLOT_UNAVAILABLE, Msg.SLOT_UNAVAILABLE, "slotId")


async def _release(booking_id: int) -> None:
    if _uses_cells():
        await BookedCell.filter(booking_id=booking_id).delete()


def _same_slot(booking: Booking, slot: SlotRef | None) -> bool:
    return (
        slot is not None
        and booking.psychologist_id == slot.psychologist_id
        and booking.service_id == slot.service_id
        and booking.starts_at == slot.starts_at
    )


def _replay(existing: Booking, slot: SlotRef | None) -> Booking:
    if not _same_slot(existing, slot):
        raise Refused(
            BookingErrorCode.IDEMPOTENCY_KEY_REUSED,
            Msg.IDEMPOTENCY_KEY_REUSED,
            "idempotencyKey",
        )
    return existing


async def _load_slot(slot: SlotRef | None, now: datetime) -> tuple[Psychologist, Service]:
    if slot is None:
        raise Refused(BookingErrorCode.INVALID_SLOT, Msg.INVALID_SLOT, "slotId")
    if slot.starts_at <= now:
        raise Refused(BookingErrorCode.SLOT_IN_PAST, Msg.SLOT_IN_PAST, "slotId")
    p = await Psychologist.get_or_none(id=slot.psychologist_id)
    if p is None:
        raise Refused(BookingErrorCode.INVALID_SLOT, Msg.INVALID_SLOT, "slotId")
    if p.vetting_status != VettingStatus.APPROVED:
        raise Refused(
            BookingErrorCode.PSYCHOLOGIST_UNAVAILABLE,
            Msg.PSYCHOLOGIST_UNAVAILABLE,
            "slotId",
        )
    service = await Service.get_or_none(id=slot.service_id, psychologist_id=p.id)
    if service is None:
        raise Refused(BookingErrorCode.INVALID_SLOT, Msg.INVALID_SLOT, "slotId")
    if not service.is_active:
        raise Refused(BookingErrorCode.SLOT_UNAVAILABLE, Msg.SERVICE_WITHDRAWN, "slotId")
    return p, service


async def _check_client(
    settings: Settings,
    client_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    replacing: int | None = None,
) -> None:
    # One statement: the client's active bookings, and how many of them overlap the slot.
    values: list[Any] = []
    overlapping = f"starts_at < {bind(values, end)} AND ends_at > {bind(values, start)}"
    where = (
        f"client_id = {bind(values, client_id)} "
        f"AND status = {bind(values, BookingStatus.CONFIRMED.value)} "
        f"AND ends_at > {bind(values, now)}"
    )
    if replacing is not None:
        where += f" AND id <> {bind(values, replacing)}"
    ((active, overlaps),) = await fetch_rows(
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {overlapping} THEN 1 ELSE 0 END), 0) "  # noqa: S608
        f"FROM bookings WHERE {where}",
        values,
    )
    if replacing is None and active >= settings.max_active_bookings:
        raise Refused(
            BookingErrorCode.TOO_MANY_BOOKINGS,
            Msg.TOO_MANY_BOOKINGS(limit=settings.max_active_bookings),
        )
    if overlaps:
        raise Refused(
            BookingErrorCode.OVERLAPS_OWN_BOOKING,
            Msg.OVERLAPS_OWN_BOOKING,
            "slotId",
        )


async def _checked_slot(
    settings: Settings,
    client_id: int,
    slot: SlotRef | None,
    now: datetime,
    *,
    replacing: int | None = None,
) -> Placement:
    """Re-check everything a slot ID claims."""
    p, service = await _load_slot(slot, now)
    assert slot is not None
    start = slot.starts_at
    end = start + timedelta(minutes=service.duration_minutes)
    await _check_client(settings, client_id, start, end, now, replacing=replacing)
    schedule, policy = await schedule_for(p.id, p.timezone, start, end, replacing)
    try:
        free = is_free(schedule, start, service.duration_minutes, now)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # a broken time zone in the profile
        raise Refused(
            BookingErrorCode.PSYCHOLOGIST_UNAVAILABLE,
            Msg.PSYCHOLOGIST_UNAVAILABLE,
            "slotId",
        ) from exc
    if not free:
        raise Refused(BookingErrorCode.SLOT_UNAVAILABLE, Msg.SLOT_UNAVAILABLE, "slotId")
    blocked_until = end + timedelta(minutes=max(0, policy.buffer_minutes))
    return Placement(p, service, start, end, blocked_until)


async def book_slot(
    settings: Settings,
    who: Principal,
    slot: SlotRef | None,
    idempotency_key: str,
    promo_code: str | None = None,
    *,
    now: datetime | None = None,
) -> Booking:
    """A CONFIRMED booking of ``slot`` for ``who``, a client booking for themselves."""
    require_book_for_self(who)
    client_id = who.user_id
    now = _now(now)
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Refused(
            BookingErrorCode.INVALID_INPUT,
            Msg.IDEMPOTENCY_KEY_LENGTH(limit=MAX_KEY_LENGTH),
            "idempotencyKey",
        )
    existing = await Booking.get_or_none(client_id=client_id, idempotency_key=key)
    if existing is not None:
        return _replay(existing, slot)
    try:
        placement = await _checked_slot(settings, client_id, slot, now)
        service = placement.service
        applied = None
        if promo_code is not None and promo_code.strip():
            applied = await promos.check(promo_code, client_id, service, now)
        try:
            async with in_transaction():
                # Re-check the client's rules where no other booking of theirs can sneak in.
                await _lock_client(client_id)
                await _check_client(
                    settings, client_id, placement.starts_at, placement.ends_at, now
                )
                await _hold_time(placement)
                booking = await _insert_confirmed(
                    client_id,
                    placement,
                    price=applied.price if applied else service.price,
                    currency=service.currency,
                    idempotency_key=key,
                )
                if applied is not None:  # taken here or not at all: the booking rolls back
                    await promos.consume(applied, booking.id, now)
                await outbox.booking_confirmed(booking, now=now)  # its pushes commit with it
        except IntegrityError as exc:
            raise _just_taken() from exc
    except Refused:
        # A retry racing its own first attempt: once the first one is committed,
        # the key finds it and the retry answers with the same booking.
        existing = await Booking.get_or_none(client_id=client_id, idempotency_key=key)
        if existing is not None:
            return _replay(existing, slot)
        raise
    return booking


async def get_booking(booking_id: int | None) -> Booking | None:
    """``booking_id`` is None when the global ID was not a Booking's."""
    return await Booking.get_or_none(id=booking_id) if booking_id is not None else None


async def leave_confirmed(booking: Booking, **changes: Any) -> bool:
    """Apply ``changes`` only if the booking is still CONFIRMED (a guarded UPDATE, so two
    racing requests cannot both move it); the row object follows, no re-read needed."""
    changed = await Booking.filter(id=booking.id, status=BookingStatus.CONFIRMED).update(**changes)
    # Zero or not: on SQLite Tortoise counts the rows that triggers change too (the derived
    # next free slots, ``app.booking.next_free``), so one booking may report more than 1.
    if not changed:
        return False
    for name, value in changes.items():
        setattr(booking, name, value)
    return True


async def _client_booking(viewer: Viewer, booking_id: int | None) -> Booking:
    """A booking the viewer may cancel/reschedule (``app.policy``); else NOT_FOUND."""
    return require_manage_booking(viewer, await get_booking(booking_id))


async def cancel_booking(
    settings: Settings,
    viewer: Viewer,
    booking_id: int | None,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> Booking:
    now = _now(now)
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise Refused(
            BookingErrorCode.INVALID_INPUT,
            Msg.REASON_TOO_LONG(limit=MAX_REASON_LENGTH),
            "reason",
        )
    booking = await _client_booking(viewer, booking_id)
    if booking.status != BookingStatus.CONFIRMED or booking.starts_at <= now:
        raise Refused(BookingErrorCode.NOT_CANCELLABLE, Msg.NOT_CANCELLABLE)
    free_until = booking.starts_at - timedelta(hours=settings.free_cancellation_hours)
    status = BookingStatus.CANCELLED if now <= free_until else BookingStatus.LATE_CANCELLED
    async with in_transaction():
        if not await cancel_confirmed(booking, status, reason=reason, now=now):
            raise Refused(BookingErrorCode.NOT_CANCELLABLE, Msg.BOOKING_CHANGED)
    return booking


async def cancel_confirmed(
    booking: Booking,
    status: BookingStatus,
    *,
    reason: str | None,
    now: datetime,
    by_psychologist: bool = False,
) -> bool:
    """Cancel a still CONFIRMED booking inside the caller's transaction: CANCELLED (free:
    its promo code is given back) or LATE_CANCELLED; its time is free again at once, its
    reminders go and its client is told (``by_psychologist``: that the psychologist
    cancelled). False if it was no longer CONFIRMED (nothing changed)."""
    assert status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED)
    changed = await leave_confirmed(
        booking, status=status, cancel_reason=reason or None, cancelled_at=now, updated_at=now
    )
    if not changed:
        return False
    await _release(booking.id)
    if status == BookingStatus.CANCELLED:  # a free cancellation gives the code back
        await promos.release(booking.id)
    # Its reminders go with it.
    await outbox.booking_cancelled(booking, now=now, by_psychologist=by_psychologist)
    return True


async def reschedule_booking(
    settings: Settings,
    viewer: Viewer,
    booking_id: int | None,
    slot: SlotRef | None,
    *,
    now: datetime | None = None,
) -> Booking:
    """Move a booking atomically: in one transaction the old one is marked RESCHEDULED and
    the new one inserted; if the new time is taken, the transaction rolls back and the old
    booking is untouched. Other writers never see the old time free before the new one
    is held (the constraint / cells are checked inside the same transaction).
    """
    now = _now(now)
    old = await _client_booking(viewer, booking_id)
    if old.status != BookingStatus.CONFIRMED or old.starts_at <= now:
        raise Refused(BookingErrorCode.NOT_RESCHEDULABLE, Msg.NOT_RESCHEDULABLE)
    if slot is not None and (
        slot.psychologist_id != old.psychologist_id or slot.service_id != old.service_id
    ):
        raise Refused(
            BookingErrorCode.INVALID_SLOT,
            Msg.RESCHEDULE_SAME_SERVICE,
            "slotId",
        )
    client_id: int = old.client_id
    placement = await _checked_slot(settings, client_id, slot, now, replacing=old.id)
    try:
        async with in_transaction():
            await _lock_client(client_id)
            await _check_client(
                settings, client_id, placement.starts_at, placement.ends_at, now, replacing=old.id
            )
            await _hold_time(placement)
            changed = await leave_confirmed(old, status=BookingStatus.RESCHEDULED, updated_at=now)
            if not changed:
                raise Refused(BookingErrorCode.NOT_RESCHEDULABLE, Msg.BOOKING_CHANGED)
            await _release(old.id)
            new = await _insert_confirmed(
                client_id,
                placement,
                price=old.price,
                currency=old.currency,
                rescheduled_from_id=old.id,
                calendar=calendar_link.next_copy(old),  # same UID, SEQUENCE + 1
            )
            await promos.move(old.id, new.id)
            await outbox.booking_rescheduled(old, new, now=now)  # reminders move along
    except IntegrityError as exc:
        raise _just_taken() from exc
    return new


async def finish_booking(
    viewer: Viewer,
    booking_id: int | None,
    status: BookingStatus,
    *,
    now: datetime | None = None,
) -> Booking:
    """COMPLETED or NO_SHOW, by the booking's psychologist or an admin, after the end."""
    assert status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
    now = _now(now)
    booking = await get_booking(booking_id)
    if booking is None:
        raise booking_not_found()
    p = await Psychologist.get(id=booking.psychologist_id)
    require_complete_booking(viewer, booking, p.user_id)  # type: ignore[attr-defined]
    if booking.status != BookingStatus.CONFIRMED:
        raise Refused(BookingErrorCode.INVALID_STATUS, Msg.INVALID_STATUS)
    if now < booking.ends_at:
        raise Refused(BookingErrorCode.BOOKING_NOT_ENDED, Msg.BOOKING_NOT_ENDED)
    if not await leave_confirmed(booking, status=status, updated_at=now):
        raise Refused(BookingErrorCode.INVALID_STATUS, Msg.BOOKING_CHANGED)
    return booking


UPCOMING, PAST = 0, 1


async def page_client_bookings(
    scope: dict[str, int], size: int, after: tuple[int, int, int] | None, now: datetime
) -> list[tuple[tuple[int, int, int], Booking]]:
    """``size + 1`` bookings of ``scope`` (filter kwargs from ``app.policy``) after the
    cursor: upcoming (confirmed, not yet ended) ascending, then the rest (past,
    cancelled...) by start descending. Superseded (RESCHEDULED) bookings are left out:
    the booking they became carries ``rescheduledFrom``.

    The cursor is ``(bucket, start epoch, id)``.
    """
    mine = Booking.filter(**scope).exclude(status=BookingStatus.RESCHEDULED)
    upcoming_q = mine.filter(status=BookingStatus.CONFIRMED, ends_at__gt=now)
    out: list[tuple[tuple[int, int, int], Booking]] = []

    def key(bucket: int, b: Booking) -> tuple[int, int, int]:
        return (bucket, int(b.starts_at.timestamp()), b.id)

    if after is None or after[0] == UPCOMING:
        qs = upcoming_q
        if after is not None:
            at = datetime.fromtimestamp(after[1], UTC)
            qs = qs.filter(starts_at__gte=at).exclude(starts_at=at, id__lte=after[2])
        rows = await qs.order_by("starts_at", "id").limit(size + 1)
        out.extend((key(UPCOMING, b), b) for b in rows)
        after = None
    if len(out) <= size:
        qs = mine.filter(Q(status__not=BookingStatus.CONFIRMED) | Q(ends_at__lte=now))
        if after is not None:
            at = datetime.fromtimestamp(after[1], UTC)
            qs = qs.filter(starts_at__lte=at).exclude(starts_at=at, id__gte=after[2])
        rows = await qs.order_by("-starts_at", "-id").limit(size + 1 - len(out))
        out.extend((key(PAST, b), b) for b in rows)
    return out
