"""Booking mutations: one per user action, a single ``input``, a payload with ``errors``.

The rules live in ``app.booking.service``; a refusal becomes the payload's
``errors`` in one place (``schema.common.mutation``).
"""

from __future__ import annotations

import strawberry

from app.booking import service as svc
from app.identity.viewer import Viewer as ViewerPrincipal
from models.booking import BookingStatus
from schema.booking.types import Booking, BookingError
from schema.catalogue.types import parse_slot_id
from schema.common import mutation, payload
from schema.context import Info
from schema.relay import decode_id


@strawberry.input(description="Book a slot: click 2.")
class BookSlotInput:
    slot_id: strawberry.ID = strawberry.field(
        description="From nextSlots, availability or soonestSlots."
    )
    idempotency_key: str = strawberry.field(
        description="Chosen by the app per booking attempt (1-100 characters); retrying with "
        "the same key returns the same booking, never a second one."
    )
    promo_code: str | None = strawberry.field(default=None, description="Optional promo code.")


@payload(BookingError, description="The result of bookSlot.")
class BookSlotPayload:
    booking: Booking | None = None


@strawberry.input(description="Cancel an upcoming booking.")
class CancelBookingInput:
    booking_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="At most 500 characters.")


@payload(BookingError, description="The result of cancelBooking.")
class CancelBookingPayload:
    booking: Booking | None = None


@strawberry.input(description="Move an upcoming booking to another slot of the same service.")
class RescheduleBookingInput:
    booking_id: strawberry.ID
    slot_id: strawberry.ID


@payload(BookingError, description="The result of rescheduleBooking: the new booking.")
class RescheduleBookingPayload:
    booking: Booking | None = None


@strawberry.input(description="Close a session that has ended (its psychologist or an admin).")
class FinishBookingInput:
    booking_id: strawberry.ID


@payload(BookingError, description="The result of completeBooking / markNoShow.")
class FinishBookingPayload:
    booking: Booking | None = None


def _booking_pk(value: str) -> int | None:
    return decode_id(value, "Booking")


async def _finish(
    info: Info, input: FinishBookingInput, status: BookingStatus
) -> FinishBookingPayload:
    """completeBooking and markNoShow differ only in the status they set."""
    viewer = info.context.require_viewer()
    row = await svc.finish_booking(viewer, _booking_pk(input.booking_id), status)
    return FinishBookingPayload(booking=Booking.from_model(row))


async def _throttled_viewer(info: Info) -> ViewerPrincipal:
    """The signed-in viewer, counted against the booking rate limits (per client, per IP)."""
    viewer = info.context.require_viewer()
    await info.context.throttle(
        ("booking_client", viewer.user_id), ("booking_ip", info.context.client_ip)
    )
    return viewer


@strawberry.type
class BookingMutation:
    @mutation(
        description="Books a slot for the signed-in client: a CONFIRMED booking with its price."
    )
    async def book_slot(self, info: Info, input: BookSlotInput) -> BookSlotPayload:
        viewer = await _throttled_viewer(info)
        if input.promo_code and input.promo_code.strip():
            await info.context.throttle(("promo_client", viewer.user_id))
        row = await svc.book_slot(
            info.context.settings,
            viewer,
            parse_slot_id(input.slot_id),
            input.idempotency_key,
            input.promo_code,
        )
        return BookSlotPayload(booking=Booking.from_model(row))

    @mutation(
        description="Cancels an upcoming booking: free (CANCELLED) until 24 h before the "
        "start, LATE_CANCELLED after. The time is bookable again at once."
    )
    async def cancel_booking(
        self,
        info: Info,
        input: CancelBookingInput,
    ) -> CancelBookingPayload:
        viewer = await _throttled_viewer(info)
        row = await svc.cancel_booking(
            info.context.settings, viewer, _booking_pk(input.booking_id), input.reason
        )
        return CancelBookingPayload(booking=Booking.from_model(row))

    @mutation(
        description="Moves an upcoming booking atomically: the new time is held before the old "
        "one is released; on any error the old booking is untouched. Returns the new booking "
        "(its `rescheduledFrom` is the old one, now RESCHEDULED)."
    )
    async def reschedule_booking(
        self,
        info: Info,
        input: RescheduleBookingInput,
    ) -> RescheduleBookingPayload:
        viewer = await _throttled_viewer(info)
        row = await svc.reschedule_booking(
            info.context.settings,
            viewer,
            _booking_pk(input.booking_id),
            parse_slot_id(input.slot_id),
        )
        return RescheduleBookingPayload(booking=Booking.from_model(row))

    @mutation(description="Marks an ended session COMPLETED (psychologist or admin).")
    async def complete_booking(
        self,
        info: Info,
        input: FinishBookingInput,
    ) -> FinishBookingPayload:
        return await _finish(info, input, BookingStatus.COMPLETED)

    @mutation(description="Marks an ended session NO_SHOW (psychologist or admin).")
    async def mark_no_show(
        self,
        info: Info,
        input: FinishBookingInput,
    ) -> FinishBookingPayload:
        return await _finish(info, input, BookingStatus.NO_SHOW)
