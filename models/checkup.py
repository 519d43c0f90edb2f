"""Checkups and the promo codes they issue (Tortoise app ``checkup``).

A checkup is a booking of a ``CHECKUP`` service. Completing it stores one
``CheckupResult`` (the recommendations) and issues one ``PromoCode`` to the client for
their next sessions. A code is single use: ``used_by_booking`` is unique and set in the
booking's own transaction by a conditional update, so two bookings racing with one code
cannot both take it; a free cancellation gives it back (the column is cleared).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.booking import Booking
from models.catalogue import Psychologist
from models.enums import ServiceKind
from models.identity import User


class DiscountKind(StrEnum):
    PERCENT = "PERCENT"
    FIXED = "FIXED"


class CheckupResult(Model):
    """What the psychologist who held a checkup recommends (one per checkup booking)."""

    id = fields.IntField(primary_key=True)
    booking: fields.OneToOneRelation[Booking] = fields.OneToOneField(
        "booking.Booking", related_name="checkup_result", on_delete=fields.RESTRICT
    )
    booking_id: int
    client: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="checkup_results", on_delete=fields.CASCADE
    )
    client_id: int
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="checkup_results", on_delete=fields.RESTRICT
    )
    psychologist_id: int
    recommendations = fields.TextField()
    # Suggestions as ID lists (validated when stored), loaded in batches when read.
    suggested_method_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    suggested_psychologist_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField()

    class Meta:
        table = "checkup_results"
        indexes = (("client_id", "created_at"),)


class PromoCode(Model):
    """A single-use discount issued to one client (never usable by anyone else)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    client: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="promo_codes", on_delete=fields.CASCADE
    )
    client_id: int
    checkup: fields.OneToOneNullableRelation[CheckupResult] = fields.OneToOneField(
        "checkup.CheckupResult", related_name="promo_code", null=True, on_delete=fields.SET_NULL
    )
    checkup_id: int | None
    discount_kind = fields.CharEnumField(DiscountKind, max_length=8)
    percent = fields.SmallIntField(null=True, description="1-100 for PERCENT")
    amount = fields.DecimalField(max_digits=10, decimal_places=2, null=True)  # FIXED
    currency = fields.CharField(max_length=3, default="RUB")
    applies_to = fields.CharEnumField(ServiceKind, max_length=16, default=ServiceKind.SESSION)
    valid_until = fields.DatetimeField()
    used_by_booking: fields.OneToOneNullableRelation[Booking] = fields.OneToOneField(
        "booking.Booking", related_name="promo_code", null=True, on_delete=fields.SET_NULL
    )
    used_by_booking_id: int | None
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "promo_codes"
        indexes = (("client_id", "created_at"),)
