"""Completing a checkup: recommendations, suggestions and a promo code, all or nothing.

The psychologist who held the checkup (or an admin) completes it once its start time has
passed (a checkup may end early; a session is closed only after its end). In one
transaction the booking becomes COMPLETED (a guarded update: of two racing calls one
wins), the ``CheckupResult`` is stored and a promo code is issued to the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from app.booking import service as bookings
from app.booking.errors import BookingErrorCode
from app.catalogue.filters import visible_psychologists
from app.checkup import promo as promos
from app.core import clock
from app.core.errors import Refused
from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.viewer import Viewer
from app.notify import outbox
from app.policy import booking_not_found, require_complete_booking
from models.booking import BookingStatus
from models.catalogue import Method, Psychologist, Service
from models.checkup import CheckupResult, PromoCode
from models.enums import ServiceKind

MAX_RECOMMENDATIONS = 4000
MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class Completed:
    result: CheckupResult
    promo: PromoCode


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


async def _suggestions(
    method_ids: list[int | None], psychologist_ids: list[int | None]
) -> tuple[list[int], list[int]]:
    """The suggested IDs, checked: at most ten of each, all existing (and approved)."""
    checked: list[list[int]] = []
    for ids, field, exists in (
        (method_ids, "suggestedMethodIds", Method.filter),
        (psychologist_ids, "suggestedPsychologistIds", visible_psychologists().filter),
    ):
        if len(ids) > MAX_SUGGESTIONS:
            raise Refused(
                BookingErrorCode.INVALID_INPUT,
                Msg.TOO_MANY_SUGGESTIONS(limit=MAX_SUGGESTIONS),
                field,
            )
        known = [i for i in ids if i is not None]
        unique = _unique(known)
        if len(known) != len(ids) or (
            unique and await exists(id__in=unique).count() != len(unique)
        ):
            raise Refused(BookingErrorCode.INVALID_INPUT, Msg.UNKNOWN_SUGGESTION, field)
        checked.append(unique)
    return checked[0], checked[1]


async def complete_checkup(
    settings: Settings,
    viewer: Viewer,
    booking_id: int | None,
    recommendations: str,
    method_ids: list[int | None],
    psychologist_ids: list[int | None],
    *,
    now: datetime | None = None,
) -> Completed:
    now = now or clock.now()
    booking = await bookings.get_booking(booking_id)
    if booking is None:
        raise booking_not_found()
    psychologist = await Psychologist.get(id=booking.psychologist_id)
    require_complete_booking(viewer, booking, psychologist.user_id)  # type: ignore[attr-defined]
    service = await Service.get(id=booking.service_id)
    if service.kind != ServiceKind.CHECKUP:
        raise Refused(BookingErrorCode.NOT_A_CHECKUP, Msg.NOT_A_CHECKUP, "bookingId")
    if booking.status != BookingStatus.CONFIRMED:
        raise Refused(BookingErrorCode.INVALID_STATUS, Msg.CHECKUP_STATUS)
    if now < booking.starts_at:
        raise Refused(BookingErrorCode.CHECKUP_NOT_STARTED, Msg.CHECKUP_NOT_STARTED)
    text = recommendations.strip()
    if not text or len(text) > MAX_RECOMMENDATIONS:
        raise Refused(
            BookingErrorCode.INVALID_INPUT,
            Msg.RECOMMENDATIONS_LENGTH(limit=MAX_RECOMMENDATIONS),
            "recommendations",
        )
    methods, people = await _suggestions(method_ids, psychologist_ids)
    async with in_transaction():
        if not await bookings.leave_confirmed(
            booking, status=BookingStatus.COMPLETED, updated_at=now
        ):
            raise Refused(BookingErrorCode.INVALID_STATUS, Msg.BOOKING_CHANGED)
        result = await CheckupResult.create(
            booking_id=booking.id,
            client_id=booking.client_id,
            psychologist_id=booking.psychologist_id,
            recommendations=text,
            suggested_method_ids=methods,
            suggested_psychologist_ids=people,
            created_at=now,
        )
        promo = await promos.issue(settings, booking.client_id, result.id, now)
        await outbox.checkup_results_ready(booking.client_id, result.id, now=now)  # commits with it
    return Completed(result, promo)


async def client_results(client_id: int, limit: int) -> list[CheckupResult]:
    """The client's checkup results, newest first."""
    return (
        await CheckupResult.filter(client_id=client_id).order_by("-created_at", "-id").limit(limit)
    )
