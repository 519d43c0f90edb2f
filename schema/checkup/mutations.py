"""Checkup and review mutations: ``completeCheckup`` (the psychologist who held it) and
``leaveReview`` (the client, after a completed session)."""

from __future__ import annotations

import strawberry

from app.catalogue import reviews
from app.checkup import service as svc
from schema.booking.types import BookingError
from schema.catalogue.types import Review
from schema.checkup.types import CheckupResult
from schema.common import mutation, payload
from schema.context import Info
from schema.relay import decode_id


@strawberry.input(description="Close a checkup that has started, with what it concluded.")
class CompleteCheckupInput:
    booking_id: strawberry.ID
    recommendations: str = strawberry.field(description="1 to 4,000 characters.")
    suggested_method_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 10."
    )
    suggested_psychologist_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 10 approved psychologists."
    )


@payload(BookingError, description="The result of completeCheckup.")
class CompleteCheckupPayload:
    checkup_result: CheckupResult | None = None


@strawberry.input(description="Rate a completed session.")
class LeaveReviewInput:
    booking_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    text: str | None = strawberry.field(default=None, description="At most 2,000 characters.")


@payload(BookingError, description="The result of leaveReview.")
class LeaveReviewPayload:
    review: Review | None = None


@strawberry.type
class CheckupMutation:
    @mutation(
        description="Completes a checkup once its start time has passed (its psychologist or "
        "an admin): the booking becomes COMPLETED, the result is stored and the client gets "
        "a single-use promo code for sessions."
    )
    async def complete_checkup(
        self, info: Info, input: CompleteCheckupInput
    ) -> CompleteCheckupPayload:
        viewer = info.context.require_viewer()
        done = await svc.complete_checkup(
            info.context.settings,
            viewer,
            decode_id(input.booking_id, "Booking"),
            input.recommendations,
            [decode_id(i, "Method") for i in input.suggested_method_ids or []],
            [decode_id(i, "Psychologist") for i in input.suggested_psychologist_ids or []],
        )
        result = CheckupResult.from_model(done.result)
        return CompleteCheckupPayload(checkup_result=result)

    @mutation(
        description="Reviews a completed session of the signed-in client, once per booking. "
        "Shown on the profile without the author."
    )
    async def leave_review(self, info: Info, input: LeaveReviewInput) -> LeaveReviewPayload:
        viewer = info.context.require_viewer()
        row = await reviews.leave_review(
            viewer, decode_id(input.booking_id, "Booking"), input.rating, input.text
        )
        return LeaveReviewPayload(review=Review.from_model(row))
