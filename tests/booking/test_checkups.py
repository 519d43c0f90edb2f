"""Checkups end to end through the API: book one, complete it as its psychologist, see the
recommendations and the promo code as the client, book a session with the code at the
discounted price; the code's rules (whose, once, expiry, kind, give-back, races)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import time_machine

from app.checkup import promo as promos
from app.core.settings import Settings
from models.booking import Booking, BookingStatus
from models.catalogue import Method, Psychologist, Service
from models.checkup import DiscountKind, PromoCode
from models.enums import Role, ServiceKind
from models.notify import Notification, NotificationKind
from schema.catalogue.types import slot_id
from schema.relay import decode_id, to_global_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import SignedIn, fresh_token, signed_in
from tests.helpers import count_sql, error_codes, gql, gql_raw, op

ADVICE = "Начать когнитивно-поведенческую терапию, десять встреч."
NODE = "query Node($id: ID!) { node(id: $id) { id ... on CheckupResult { recommendations } } }"


async def _service(p: Psychologist, kind: ServiceKind) -> Service:
    return await Service.get(psychologist_id=p.id, kind=kind)


async def _book(
    client: httpx.AsyncClient, token: str, slot: str, promo: str | None = None
) -> dict[str, Any]:
    data = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot, "idempotencyKey": uuid.uuid4().hex, "promoCode": promo},
        token,
    )
    result: dict[str, Any] = data["bookSlot"]
    return result


def _codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def _complete(
    client: httpx.AsyncClient, token: str, booking_id: str, **extra: Any
) -> dict[str, Any]:
    variables = {"bookingId": booking_id, "recommendations": ADVICE, **extra}
    data = await gql(client, op("CompleteCheckup"), variables, token)
    result: dict[str, Any] = data["completeCheckup"]
    return result


class Story:
    """A psychologist (with a user) offering sessions and checkups, and a client."""

    def __init__(self, shrink: SignedIn, p: Psychologist, me: SignedIn) -> None:
        self.shrink, self.p, self.me = shrink, p, me


@pytest.fixture
async def story(settings: Settings, make_psychologist: MakePsychologist) -> Story:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(
        user_id=shrink.user.id, kinds=(ServiceKind.SESSION, ServiceKind.CHECKUP)
    )
    return Story(shrink, p, await signed_in(settings))


async def _checkup_done(client: httpx.AsyncClient, settings: Settings, s: Story) -> str:
    """Book a checkup in two days, jump to its start, complete it: the promo code."""
    checkup = await _service(s.p, ServiceKind.CHECKUP)
    booked = await _book(client, s.me.token, slot_id(s.p.id, checkup.id, day_at(2, 10)))
    with time_machine.travel(day_at(2, 10, 5), tick=True):
        done = await _complete(
            client, await fresh_token(settings, s.shrink.user), booked["booking"]["id"]
        )
    code: str = done["checkupResult"]["promoCode"]["code"]
    return code


async def test_a_checkup_ends_with_recommendations_and_a_code_that_discounts_a_session(
    client: httpx.AsyncClient, settings: Settings, story: Story
) -> None:
    s = story
    checkup = await _service(s.p, ServiceKind.CHECKUP)
    session = await _service(s.p, ServiceKind.SESSION)
    booked = await _book(client, s.me.token, slot_id(s.p.id, checkup.id, day_at(2, 10)))
    booking_id = booked["booking"]["id"]
    method = await Method.all().order_by("id").first()
    assert method is not None
    other = await signed_in(settings, Role.PSYCHOLOGIST)
    suggest = {
        "methodIds": [to_global_id("Method", method.id)],
        "psychologistIds": [to_global_id("Psychologist", s.p.id)],
    }

    early = await _complete(client, s.shrink.token, booking_id, **suggest)
    assert _codes(early) == [("CHECKUP_NOT_STARTED", None)]
    with time_machine.travel(day_at(2, 10, 5), tick=True):
        shrink = await fresh_token(settings, s.shrink.user)
        me = await fresh_token(settings, s.me.user)
        body = await gql_raw(
            client, op("CompleteCheckup"), {"bookingId": booking_id, "recommendations": "x"}, me
        )
        assert error_codes(body) == ["FORBIDDEN"]  # the client may not close their checkup
        stranger = await _complete(client, await fresh_token(settings, other.user), booking_id)
        assert _codes(stranger) == [("NOT_FOUND", "bookingId")]
        unknown = await _complete(
            client, shrink, booking_id, methodIds=[to_global_id("Method", 10**9)]
        )
        assert _codes(unknown) == [("INVALID_INPUT", "suggestedMethodIds")]
        empty = await gql(
            client,
            op("CompleteCheckup"),
            {"bookingId": booking_id, "recommendations": "   "},
            shrink,
        )
        assert _codes(empty["completeCheckup"]) == [("INVALID_INPUT", "recommendations")]
        assert await PromoCode.filter(client_id=s.me.user.id).count() == 0  # nothing written
        results_ready = Notification.filter(
            user_id=s.me.user.id, kind=NotificationKind.CHECKUP_RESULTS
        )
        assert await results_ready.count() == 0

        done = await _complete(client, shrink, booking_id, **suggest)
        assert done["errors"] == []
        promo = done["checkupResult"]["promoCode"]
        assert await results_ready.count() == 1  # the push is in the outbox, with the result
        assert promo["discountPercent"] == settings.promo_discount_percent == 20
        again = await _complete(client, shrink, booking_id, **suggest)
        assert _codes(again) == [("INVALID_STATUS", None)]

        mine = (await gql(client, op("CheckupResults"), token=me))["viewer"]["checkupResults"]
        assert len(mine) == 1
        assert mine[0]["recommendations"] == ADVICE
        assert mine[0]["psychologist"]["id"] == to_global_id("Psychologist", s.p.id)
        assert mine[0]["promoCode"] == promo
        code = promo["code"]
        assert len(code) == 11
        assert code[5] == "-"

        # The code discounts a session: 3,500 - 20 % = 2,800, computed by the server.
        typed = code.lower().replace("-", " ")  # any case, spaces or dash
        paid = await _book(client, me, slot_id(s.p.id, session.id, day_at(5, 10)), typed)
        assert paid["errors"] == []
        assert paid["booking"]["price"] == {"amount": "2800.00", "currency": "RUB"}
        states = await gql(
            client,
            "{ viewer { checkupResults { promoCode { state } suggestedMethods { id } "
            "suggestedPsychologists { id } } } }",
            token=me,
        )
        result = states["viewer"]["checkupResults"][0]
        assert result["promoCode"]["state"] == "USED"
        assert result["suggestedMethods"] == [{"id": suggest["methodIds"][0]}]
        assert result["suggestedPsychologists"] == [{"id": suggest["psychologistIds"][0]}]
        reused = await _book(client, me, slot_id(s.p.id, session.id, day_at(6, 10)), code)
        assert _codes(reused) == [("PROMO_ALREADY_USED", "promoCode")]

        # Nobody else's code: a stranger learns nothing, and cannot read the result.
        thief = await signed_in(settings)
        stolen = await _book(client, thief.token, slot_id(s.p.id, session.id, day_at(7, 10)), code)
        assert _codes(stolen) == [("PROMO_INVALID", "promoCode")]
        node = await gql(client, NODE, {"id": mine[0]["id"]}, thief.token)
        assert node["node"] is None
        assert (await gql(client, NODE, {"id": mine[0]["id"]}, me))["node"] is not None
        assert await Booking.filter(client_id=thief.user.id).count() == 0


async def test_a_free_cancellation_gives_the_code_back_a_late_one_does_not(
    client: httpx.AsyncClient, settings: Settings, story: Story
) -> None:
    s = story
    code = await _checkup_done(client, settings, s)
    session = await _service(s.p, ServiceKind.SESSION)
    # Times are taken before travelling: day_at counts from the (travelled) today.
    later, soon, late = day_at(6, 10), day_at(3, 10), day_at(3, 9)
    with time_machine.travel(day_at(2, 11), tick=True):
        me = await fresh_token(settings, s.me.user)
        first = await _book(client, me, slot_id(s.p.id, session.id, later), code)
        await gql(client, op("CancelBooking"), {"id": first["booking"]["id"]}, me)
        promo = await PromoCode.get(code=promos.normalized(code))
        assert promo.used_by_booking_id is None  # free cancellation: the code is back
        moved = await _book(client, me, slot_id(s.p.id, session.id, soon), code)
        assert moved["booking"]["price"]["amount"] == "2800.00"
    with time_machine.travel(late, tick=True):  # an hour before: a late cancellation
        me = await fresh_token(settings, s.me.user)
        await gql(client, op("CancelBooking"), {"id": moved["booking"]["id"]}, me)
        assert (await Booking.get(id=_pk(moved))).status == BookingStatus.LATE_CANCELLED
        promo = await PromoCode.get(code=promos.normalized(code))
        assert promo.used_by_booking_id is not None


def _pk(booked: dict[str, Any]) -> int:
    pk = decode_id(booked["booking"]["id"], "Booking")
    assert pk is not None
    return pk


async def test_a_code_expires_after_thirty_days_and_discounts_sessions_only(
    client: httpx.AsyncClient, settings: Settings, story: Story
) -> None:
    s = story
    code = await _checkup_done(client, settings, s)
    checkup = await _service(s.p, ServiceKind.CHECKUP)
    session = await _service(s.p, ServiceKind.SESSION)
    day4, day33 = day_at(4, 10), day_at(33, 10)  # before travelling (day_at counts from today)
    with time_machine.travel(day_at(3, 0), tick=True):
        me = await fresh_token(settings, s.me.user)
        wrong = await _book(client, me, slot_id(s.p.id, checkup.id, day4), code)
        assert _codes(wrong) == [("PROMO_NOT_APPLICABLE", "promoCode")]
        junk = await _book(client, me, slot_id(s.p.id, session.id, day4), "0" * 10)
        assert _codes(junk) == [("PROMO_INVALID", "promoCode")]
    with time_machine.travel(day_at(2, 10, 5) + timedelta(days=30, minutes=1), tick=True):
        me = await fresh_token(settings, s.me.user)
        late = await _book(client, me, slot_id(s.p.id, session.id, day33), code)
        assert _codes(late) == [("PROMO_EXPIRED", "promoCode")]
    assert await Booking.filter(client_id=s.me.user.id).count() == 1  # only the checkup


async def test_two_bookings_racing_with_one_code_exactly_one_gets_it(
    client: httpx.AsyncClient, settings: Settings, story: Story
) -> None:
    s = story
    code = await _checkup_done(client, settings, s)
    session = await _service(s.p, ServiceKind.SESSION)
    with time_machine.travel(day_at(2, 11), tick=True):
        me = await fresh_token(settings, s.me.user)
        results = await asyncio.gather(
            *(
                _book(client, me, slot_id(s.p.id, session.id, day_at(3 + i, 10)), code)
                for i in range(4)
            )
        )
    won = [r for r in results if not r["errors"]]
    lost = [r for r in results if r["errors"]]
    assert len(won) == 1
    assert won[0]["booking"]["price"]["amount"] == "2800.00"
    assert {c for r in lost for c in _codes(r)} == {("PROMO_ALREADY_USED", "promoCode")}
    # Nothing half-written: the checkup and the one discounted session.
    assert await Booking.filter(client_id=s.me.user.id).count() == 2


async def test_guessing_codes_is_rate_limited_per_client(
    client: httpx.AsyncClient, settings: Settings, story: Story
) -> None:
    s = story
    session = await _service(s.p, ServiceKind.SESSION)
    slot = slot_id(s.p.id, session.id, day_at(4, 10))
    limit = 20
    for _ in range(limit):
        guess = await _book(client, s.me.token, slot, promos.new_code())
        assert _codes(guess) == [("PROMO_INVALID", "promoCode")]
    body = await gql_raw(
        client,
        op("BookSlot"),
        {"slotId": slot, "idempotencyKey": uuid.uuid4().hex, "promoCode": promos.new_code()},
        s.me.token,
    )
    assert error_codes(body) == ["RATE_LIMITED"]


async def test_checkup_results_take_the_same_statements_for_one_or_many(
    client: httpx.AsyncClient, settings: Settings, story: Story
) -> None:
    s = story

    async def read() -> tuple[int, int]:
        with count_sql() as sql:
            data = await gql(client, op("CheckupResults"), token=s.me.token)
        return len(data["viewer"]["checkupResults"]), sql.count

    await _checkup_done(client, settings, s)
    one = await read()
    checkup = await _service(s.p, ServiceKind.CHECKUP)
    for day in (3, 4, 5):
        booked = await _book(client, s.me.token, slot_id(s.p.id, checkup.id, day_at(day, 10)))
        with time_machine.travel(day_at(day, 10, 5), tick=True):
            shrink = await fresh_token(settings, s.shrink.user)
            await _complete(client, shrink, booked["booking"]["id"])
    four = await read()
    assert (one[0], four[0]) == (1, 4)
    assert one[1] == four[1]


@pytest.mark.parametrize(
    ("price", "kind", "value", "expected"),
    [
        ("3500.00", DiscountKind.PERCENT, 20, "2800.00"),
        ("3333.00", DiscountKind.PERCENT, 15, "2833.00"),  # 2833.05 -> whole roubles
        ("2999.00", DiscountKind.PERCENT, 50, "1500.00"),  # 1499.50 -> half up
        ("3500.00", DiscountKind.PERCENT, 100, "0.00"),
        ("3500.00", DiscountKind.FIXED, 500, "3000.00"),
        ("300.00", DiscountKind.FIXED, 500, "0.00"),  # never below zero
        ("0.00", DiscountKind.PERCENT, 20, "0.00"),  # a free service stays free
    ],
)
def test_the_discounted_price_is_whole_roubles_half_up_never_below_zero(
    price: str, kind: DiscountKind, value: int, expected: str
) -> None:
    promo = PromoCode(
        discount_kind=kind,
        percent=value if kind == DiscountKind.PERCENT else None,
        amount=Decimal(value) if kind == DiscountKind.FIXED else None,
    )
    assert promos.discounted(Decimal(price), promo) == Decimal(expected)


def test_codes_are_unguessable_and_typed_forgivingly() -> None:
    codes = {promos.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == promos.LENGTH and set(c) <= set(promos.ALPHABET) for c in codes)
    assert len(promos.ALPHABET) ** promos.LENGTH >= 2**40
    code = next(iter(codes))
    for typed in (code, code.lower(), promos.formatted(code), " ".join(code)):
        assert promos.normalized(typed) == code
    for bad in ("", "O" * 10, "1" * 10, code + "2", "x" * 100):
        assert promos.normalized(bad) is None
