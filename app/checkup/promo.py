"""Promo codes: issued by a completed checkup, applied by ``bookSlot``.

- **Unguessable**: 10 characters drawn by ``secrets`` from a 30-letter alphabet without
  look-alikes (no 0/O, 1/I/L, U): 49 bits. Shown as ``XXXXX-XXXXX``; typed in any case,
  with or without the dash or spaces. Guessing is also slowed: every ``bookSlot`` that
  carries a code counts against the per-client ``promo_client`` rate limit.
- **Whose**: a code is its client's only; anyone else's attempt reads as PROMO_INVALID
  (nothing tells a stranger that the code exists).
- **Price** (``discounted``): computed with ``Decimal`` from the service's price at
  booking time. PERCENT: price x (100 - percent) / 100; FIXED: price - amount. The result
  is rounded half-up to whole roubles and is never below zero.
- **Single use**: ``consume`` sets ``used_by_booking`` with a conditional update in the
  booking's transaction (``used_by_booking IS NULL`` and still valid): of two bookings
  racing with one code exactly one updates the row, the other is refused (and rolled
  back). A free cancellation gives the code back (``release``); a reschedule moves it to
  the new booking (``move``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.booking.errors import BookingErrorCode
from app.core.errors import Refused
from app.core.messages import Msg
from app.core.settings import Settings
from models.catalogue import Service
from models.checkup import DiscountKind, PromoCode
from models.enums import ServiceKind

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
MAX_INPUT = 32  # characters of a typed code looked at; longer is invalid without a query
FIELD = "promoCode"


class PromoState(StrEnum):
    ACTIVE = "ACTIVE"
    USED = "USED"
    EXPIRED = "EXPIRED"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalized(typed: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be one of ours."""
    if len(typed) > MAX_INPUT:
        return None
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def formatted(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def state(promo: PromoCode, now: datetime) -> PromoState:
    if promo.used_by_booking_id is not None:
        return PromoState.USED
    if promo.valid_until <= now:
        return PromoState.EXPIRED
    return PromoState.ACTIVE


def discounted(price: Decimal, promo: PromoCode) -> Decimal:
    """The price to pay with ``promo``: whole roubles (half up), never below zero."""
    if promo.discount_kind == DiscountKind.PERCENT:
        assert promo.percent is not None
        raw = price * (100 - promo.percent) / 100
    else:
        assert promo.amount is not None
        raw = price - promo.amount
    whole: Decimal = raw.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if whole < 0:
        whole = Decimal(0)
    return whole.quantize(Decimal("0.01"))


def _refused(code: BookingErrorCode, message: Msg) -> Refused:
    return Refused(code, message, FIELD)


@dataclass(frozen=True)
class Applied:
    promo: PromoCode
    price: Decimal


async def check(typed: str, client_id: int, service: Service, now: datetime) -> Applied:
    """The code as it applies to a booking of ``service`` at its price; refused otherwise."""
    code = normalized(typed)
    promo = await PromoCode.get_or_none(code=code) if code is not None else None
    if promo is None or promo.client_id != client_id:
        raise _refused(BookingErrorCode.PROMO_INVALID, Msg.PROMO_INVALID)
    if promo.used_by_booking_id is not None:
        raise _refused(BookingErrorCode.PROMO_ALREADY_USED, Msg.PROMO_ALREADY_USED)
    if promo.valid_until <= now:
        raise _refused(BookingErrorCode.PROMO_EXPIRED, Msg.PROMO_EXPIRED)
    if service.kind != promo.applies_to or (
        promo.discount_kind == DiscountKind.FIXED and service.currency != promo.currency
    ):
        raise _refused(BookingErrorCode.PROMO_NOT_APPLICABLE, Msg.PROMO_NOT_APPLICABLE)
    return Applied(promo, discounted(service.price, promo))


async def consume(applied: Applied, booking_id: int, now: datetime) -> None:
    """Take the code for ``booking_id`` (inside the booking's transaction)."""
    taken = await PromoCode.filter(
        id=applied.promo.id, used_by_booking_id__isnull=True, valid_until__gt=now
    ).update(used_by_booking_id=booking_id, used_at=now)
    if not taken:
        raise _refused(BookingErrorCode.PROMO_ALREADY_USED, Msg.PROMO_ALREADY_USED)


async def release(booking_id: int) -> None:
    """A free cancellation gives the booking's code back (inside its transaction)."""
    await PromoCode.filter(used_by_booking_id=booking_id).update(
        used_by_booking_id=None, used_at=None
    )


async def move(old_booking_id: int, new_booking_id: int) -> None:
    """A reschedule keeps the discount: the code follows the new booking."""
    await PromoCode.filter(used_by_booking_id=old_booking_id).update(
        used_by_booking_id=new_booking_id
    )


async def issue(settings: Settings, client_id: int, checkup_id: int, now: datetime) -> PromoCode:
    """A new code for the client (inside the checkup's transaction)."""
    fixed = settings.promo_discount_amount
    # No retry on a duplicate code: a new code meets one of n issued ones with probability
    # n / 2^49 (2e-8 at ten million codes); the unique key refuses it and the checkup's
    # transaction rolls back (an internal error; completing again works).
    return await PromoCode.create(
        code=new_code(),
        client_id=client_id,
        checkup_id=checkup_id,
        applies_to=ServiceKind.SESSION,
        valid_until=now + timedelta(days=settings.promo_valid_days),
        created_at=now,
        discount_kind=DiscountKind.PERCENT if fixed is None else DiscountKind.FIXED,
        percent=settings.promo_discount_percent if fixed is None else None,
        amount=None if fixed is None else Decimal(fixed),
    )
