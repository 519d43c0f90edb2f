"""The outbox: notifications written in the transaction of the event that causes them.

A booking that commits has its confirmation and reminders committed with it; a booking
that rolls back leaves none, and a worker that is down loses nothing (the rows wait).
Every function here writes through the connection of the caller's transaction: call it
inside the ``in_transaction()`` block of the event (Tortoise routes the ORM's statements
to the block's connection; ``using_db`` names it explicitly where the caller has one).

Each row has an idempotency key (``"<KIND>:<subject>:<id>"``); writing a key again is a
no-op (``INSERT ... ON CONFLICT DO NOTHING``), so a retried event never notifies twice,
and the key goes to the providers with every try of the push (``app.notify.worker``).

Reminders are rows with a due time (24 h and 15 min before the session, skipped when
that time has passed at booking). Cancelling a booking cancels its pending rows;
rescheduling moves its reminders to the new booking, all in the event's transaction.
The worker checks once more, at send time, that a reminder's booking is still CONFIRMED.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core import clock
from models.booking import Booking
from models.notify import Notification, NotificationKind, NotificationStatus, PushDelivery

REMINDERS: dict[NotificationKind, timedelta] = {
    NotificationKind.REMINDER_24H: timedelta(hours=24),
    NotificationKind.REMINDER_15M: timedelta(minutes=15),
}


def key_for(kind: NotificationKind, subject: str, subject_id: int) -> str:
    """The idempotency key of the one ``kind`` notification about a subject."""
    return f"{kind.value}:{subject}:{subject_id}"


async def enqueue(
    kind: NotificationKind,
    user_id: int,
    *,
    key: str,
    booking_id: int | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """Write one PENDING row (due ``due_at``, default now) unless ``key`` exists already."""
    now = now or clock.now()
    due = due_at or now
    row = Notification(
        user_id=user_id,
        kind=kind,
        booking_id=booking_id,
        due_at=due,
        next_attempt_at=due,
        key=key,
        created_at=now,
    )
    await Notification.bulk_create([row], ignore_conflicts=True, using_db=using_db)


async def cancel_pending(booking_id: int, *, using_db: BaseDBAsyncClient | None = None) -> int:
    """Cancel every pending notification of a booking (its reminders above all)."""
    return await (
        Notification.filter(booking_id=booking_id, status=NotificationStatus.PENDING)
        .using_db(using_db)
        .update(status=NotificationStatus.CANCELLED, last_error=None)
    )


async def schedule_reminders(
    booking: Booking,
    *,
    now: datetime | None = None,
    skip: Collection[NotificationKind] = (),
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """The 24 h and 15 min reminders of a booking whose times are still ahead (but
    those in ``skip``)."""
    now = now or clock.now()
    for kind, before in REMINDERS.items():
        due = booking.starts_at - before
        if due > now and kind not in skip:
            await _about_booking(kind, booking, due_at=due, now=now, using_db=using_db)


async def _about_booking(
    kind: NotificationKind,
    booking: Booking,
    *,
    due_at: datetime | None = None,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """The one ``kind`` notification of a booking, to its client."""
    await enqueue(
        kind,
        booking.client_id,
        key=key_for(kind, "booking", booking.id),
        booking_id=booking.id,
        due_at=due_at,
        now=now,
        using_db=using_db,
    )


async def move_reminders(
    old_booking_id: int,
    new_booking: Booking,
    *,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """The pending reminders of ``old_booking_id`` follow the booking to its new time.

    A pending reminder row is moved (new booking, due time and key; tries and what
    devices answered start again); one whose new time has passed is cancelled; one the
    old time had skipped but the new time allows is written. Any other pending row of the
    old booking is cancelled.
    """
    now = now or clock.now()
    pending = (
        await Notification.filter(booking_id=old_booking_id, status=NotificationStatus.PENDING)
        .using_db(using_db)
        .order_by("id")
    )
    moved: set[NotificationKind] = set()
    for row in pending:
        before = REMINDERS.get(row.kind)
        due = new_booking.starts_at - before if before is not None else None
        if due is None or due <= now or row.kind in moved:
            await (
                Notification.filter(id=row.id)
                .using_db(using_db)
                .update(status=NotificationStatus.CANCELLED)
            )
            continue
        moved.add(row.kind)
        await PushDelivery.filter(notification_id=row.id).using_db(using_db).delete()
        await (
            Notification.filter(id=row.id)
            .using_db(using_db)
            .update(
                booking_id=new_booking.id,
                due_at=due,
                next_attempt_at=due,
                attempts=0,
                last_error=None,
                key=key_for(row.kind, "booking", new_booking.id),
            )
        )
    await schedule_reminders(new_booking, now=now, skip=moved, using_db=using_db)


# --- the events (each called inside its own transaction) ---------------------------------


async def welcome(
    user_id: int,
    *,
    delay_seconds: float,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """After the first partner sign-in: "you now have a personal assistant". Due a little
    later (``notify_welcome_delay_seconds``): the app registers its token after sign-in."""
    now = now or clock.now()
    await enqueue(
        NotificationKind.WELCOME,
        user_id,
        key=key_for(NotificationKind.WELCOME, "user", user_id),
        due_at=now + timedelta(seconds=max(0.0, delay_seconds)),
        now=now,
        using_db=using_db,
    )


async def booking_confirmed(
    booking: Booking, *, now: datetime | None = None, using_db: BaseDBAsyncClient | None = None
) -> None:
    await _about_booking(NotificationKind.BOOKING_CONFIRMED, booking, now=now, using_db=using_db)
    await schedule_reminders(booking, now=now, using_db=using_db)


async def booking_cancelled(
    booking: Booking,
    *,
    now: datetime | None = None,
    by_psychologist: bool = False,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """Its pending reminders (and an unsent confirmation) go; the cancellation is told
    (``by_psychologist``: the psychologist cancelled, e.g. for a time off, free of charge)."""
    await cancel_pending(booking.id, using_db=using_db)
    kind = (
        NotificationKind.PSYCHOLOGIST_CANCELLED
        if by_psychologist
        else NotificationKind.BOOKING_CANCELLED
    )
    await _about_booking(kind, booking, now=now, using_db=using_db)


async def booking_rescheduled(
    old: Booking,
    new: Booking,
    *,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    await move_reminders(old.id, new, now=now, using_db=using_db)
    await _about_booking(NotificationKind.BOOKING_RESCHEDULED, new, now=now, using_db=using_db)


async def care_reply(
    client_id: int,
    message_id: int,
    *,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """A care-team reply the client is not watching live (the chat decides that). One
    pending reply push per client at a time: five quick replies are one buzz."""
    kind = NotificationKind.CARE_REPLY
    waiting = (
        await Notification.filter(user_id=client_id, kind=kind, status=NotificationStatus.PENDING)
        .using_db(using_db)
        .exists()
    )
    if not waiting:
        await enqueue(
            kind,
            client_id,
            key=key_for(kind, "message", message_id),
            now=now,
            using_db=using_db,
        )


async def checkup_results_ready(
    user_id: int,
    checkup_id: int,
    *,
    now: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """The checkup's recommendations are stored: tell the client (call it in the
    transaction that stores them; ``checkup_id`` makes the key, once per checkup)."""
    kind = NotificationKind.CHECKUP_RESULTS
    await enqueue(
        kind,
        user_id,
        key=key_for(kind, "checkup", checkup_id),
        now=now,
        using_db=using_db,
    )
