"""Reviews: only the booking's client, only after it is COMPLETED, once per booking (held by
the database, also when two requests race); the psychologist's rating and count follow in
the same transaction, without drift under concurrent reviews; admins see the share of
positive reviews."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import time_machine

from app.catalogue.reviews import review_stats
from app.core.settings import Settings
from models.catalogue import Psychologist, Review, Service
from models.enums import Role, ServiceKind
from schema.catalogue.types import slot_id
from schema.relay import to_global_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import SignedIn, fresh_token, signed_in
from tests.helpers import error_codes, gql, gql_raw, op

STATS = """
query Stats($id: ID) {
  reviewStats(psychologistId: $id) { count positiveShare averageRating byRating }
}
"""
PROFILE = "query P($id: ID!) { node(id: $id) { ... on Psychologist { rating reviewCount } } }"


async def _completed_sessions(
    client: httpx.AsyncClient,
    settings: Settings,
    shrink: SignedIn,
    p: Psychologist,
    clients: list[SignedIn],
    day: int = 2,
) -> list[str]:
    """One session per client (in ``day`` days), held and closed by the psychologist."""
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    ids = []
    for i, who in enumerate(clients):
        data = await gql(
            client,
            op("BookSlot"),
            {
                "slotId": slot_id(p.id, service.id, day_at(day, 8 + i)),
                "idempotencyKey": uuid.uuid4().hex,
            },
            who.token,
        )
        ids.append(data["bookSlot"]["booking"]["id"])
    with time_machine.travel(day_at(day, 8 + len(clients)), tick=True):
        token = await fresh_token(settings, shrink.user)
        for booking_id in ids:
            done = await gql(client, op("CompleteSession"), {"bookingId": booking_id}, token)
            assert done["completeBooking"]["errors"] == []
    return ids


async def _review(
    client: httpx.AsyncClient, token: str, booking_id: str, rating: int, text: str | None = None
) -> dict[str, Any]:
    data = await gql(
        client, op("LeaveReview"), {"bookingId": booking_id, "rating": rating, "text": text}, token
    )
    result: dict[str, Any] = data["leaveReview"]
    return result


def _codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_only_the_client_after_completion_once_and_the_rating_follows(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(user_id=shrink.user.id)
    me, other = await signed_in(settings), await signed_in(settings)
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    upcoming = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, day_at(9, 10)), "idempotencyKey": uuid.uuid4().hex},
        me.token,
    )
    early = await _review(client, me.token, upcoming["bookSlot"]["booking"]["id"], 5)
    assert _codes(early) == [("NOT_COMPLETED", "bookingId")]

    (booking_id,) = await _completed_sessions(client, settings, shrink, p, [me])
    with time_machine.travel(day_at(3, 0), tick=True):
        mine, theirs = await fresh_token(settings, me.user), await fresh_token(settings, other.user)
        assert _codes(await _review(client, theirs, booking_id, 5)) == [("NOT_FOUND", "bookingId")]
        assert _codes(await _review(client, mine, booking_id, 0)) == [("INVALID_INPUT", "rating")]
        assert _codes(await _review(client, mine, booking_id, 6)) == [("INVALID_INPUT", "rating")]
        long = await _review(client, mine, booking_id, 5, "я" * 2001)
        assert _codes(long) == [("INVALID_INPUT", "text")]
        assert await Review.filter(booking_id__isnull=False, psychologist_id=p.id).count() == 0

        done = await _review(client, mine, booking_id, 4, "  Спасибо, стало легче.  ")
        assert done["errors"] == []
        assert done["review"]["rating"] == 4
        again = await _review(client, mine, booking_id, 5)
        assert _codes(again) == [("ALREADY_REVIEWED", "bookingId")]

        profile = await gql(client, PROFILE, {"id": to_global_id("Psychologist", p.id)}, mine)
        assert profile["node"] == {"rating": 4.0, "reviewCount": 1}
        shown = await gql(
            client,
            "query R($id: ID!) { node(id: $id) { ... on Psychologist { reviews(first: 5) "
            "{ edges { node { rating text } } } } } }",
            {"id": to_global_id("Psychologist", p.id)},
        )
        edges = shown["node"]["reviews"]["edges"]
        assert edges == [{"node": {"rating": 4, "text": "Спасибо, стало легче."}}]
        review = await Review.get(booking_id__isnull=False, psychologist_id=p.id)
        assert review.text == "Спасибо, стало легче."


async def test_racing_reviews_one_per_booking_and_no_drift_in_the_rating(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(user_id=shrink.user.id)
    people = [await signed_in(settings) for _ in range(4)]
    ids = await _completed_sessions(client, settings, shrink, p, people)
    with time_machine.travel(day_at(3, 0), tick=True):
        tokens = [await fresh_token(settings, who.user) for who in people]
        # The first client twice at once, everyone with a different rating at once.
        results = await asyncio.gather(
            _review(client, tokens[0], ids[0], 5),
            _review(client, tokens[0], ids[0], 5),
            *(
                _review(client, t, b, r)
                for t, b, r in zip(tokens[1:], ids[1:], (4, 2, 1), strict=True)
            ),
        )
    twins = results[:2]
    assert sorted(len(r["errors"]) for r in twins) == [0, 1]
    assert all(not r["errors"] for r in results[2:])
    await p.refresh_from_db()
    assert p.review_count == 4
    assert float(p.rating_avg) == 3.0  # (5 + 4 + 2 + 1) / 4
    assert await Review.filter(psychologist_id=p.id).count() == 4
    times = (
        await Review.filter(psychologist_id=p.id)
        .order_by("id")
        .values_list("created_at", flat=True)
    )
    assert list(times) == sorted(times)  # a later id is a later review (pages go by id)
    stats = await review_stats(p.id)
    assert stats.by_rating == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert stats.positive_share == 0.5


async def test_admins_see_the_share_of_positive_reviews_nobody_else(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(user_id=shrink.user.id)
    people = [await signed_in(settings) for _ in range(3)]
    ids = await _completed_sessions(client, settings, shrink, p, people)
    with time_machine.travel(day_at(3, 0), tick=True):
        for who, booking_id, rating in zip(people, ids, (5, 4, 1), strict=True):
            await _review(client, await fresh_token(settings, who.user), booking_id, rating)
        admin = await signed_in(settings, Role.ADMIN)
        pid = to_global_id("Psychologist", p.id)
        stats = (await gql(client, STATS, {"id": pid}, admin.token))["reviewStats"]
        assert stats["count"] == 3
        assert abs(stats["positiveShare"] - 2 / 3) < 1e-9
        assert stats["byRating"] == [1, 0, 0, 1, 1]
        everyone = (await gql(client, STATS, {}, admin.token))["reviewStats"]
        assert everyone["count"] >= 3
        for who in (people[0], shrink):
            body = await gql_raw(client, STATS, {"id": pid}, await fresh_token(settings, who.user))
            assert error_codes(body) == ["FORBIDDEN"]
        assert error_codes(await gql_raw(client, STATS, {"id": pid})) == ["UNAUTHENTICATED"]
