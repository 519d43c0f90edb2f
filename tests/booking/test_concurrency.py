"""No double booking under concurrency, against a real uvicorn (SQLite and PostgreSQL).

50 clients race for one slot; 50 clients race for 50 different slots that all overlap
(sessions, couple sessions and checkups at staggered starts); 20 retries of one
idempotency key race each other. The database must end with exactly one booking.

One client races itself with different keys: 10 slots at once keep the
``max_active_bookings`` limit; 10 overlapping slots at once give one booking; reschedules
and new bookings into one time at once give one winner.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta
from typing import Any

import httpx

from app.core.settings import Settings
from models.booking import OCCUPYING_STATUSES, Booking, BookingStatus
from models.catalogue import Service
from models.enums import ServiceKind
from schema.catalogue.types import slot_id
from schema.relay import to_global_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import SignedIn, signed_in
from tests.helpers import op


async def _clients(settings: Settings, n: int) -> list[SignedIn]:
    return [await signed_in(settings) for _ in range(n)]


async def _fire(live_server: str, calls: list[tuple[SignedIn, str, str]]) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=live_server, timeout=60, limits=limits) as http:

        async def one(who: SignedIn, slot: str, key: str) -> dict[str, Any]:
            response = await http.post(
                "/graphql",
                json={
                    "query": op("BookSlot"),
                    "variables": {"slotId": slot, "idempotencyKey": key},
                },
                headers=who.headers,
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert not body.get("errors"), body["errors"]
            payload: dict[str, Any] = body["data"]["bookSlot"]
            return payload

        return await asyncio.gather(*(one(*c) for c in calls))


def _outcome(results: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    booked = [r["booking"]["id"] for r in results if r["booking"]]
    codes = [e["code"] for r in results for e in r["errors"]]
    return booked, codes


async def test_fifty_clients_one_slot(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    slot = slot_id(p.id, service.id, day_at(2, 10))
    clients = await _clients(settings, 50)
    results = await _fire(live_server, [(c, slot, uuid.uuid4().hex) for c in clients])
    booked, codes = _outcome(results)
    assert len(booked) == 1
    assert codes == ["SLOT_UNAVAILABLE"] * 49
    assert await Booking.filter(psychologist_id=p.id, status__in=OCCUPYING_STATUSES).count() == 1


async def test_fifty_clients_fifty_overlapping_slots(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    kinds = (ServiceKind.SESSION, ServiceKind.COUPLE_SESSION, ServiceKind.CHECKUP)
    p = await make_psychologist(
        kinds=kinds,
        step=5,
        durations={ServiceKind.SESSION: 120, ServiceKind.COUPLE_SESSION: 120},
    )
    services = {s.kind: s for s in await Service.filter(psychologist_id=p.id)}
    base = day_at(3, 10)
    spans: list[tuple[str, Any, Any]] = []
    starts = [base + timedelta(minutes=5 * i) for i in range(23)]  # 10:00 ... 11:50
    for start, kind in itertools.product(starts, kinds[:2]):
        spans.append((slot_id(p.id, services[kind].id, start), start, start + timedelta(hours=2)))
    for i in range(5):  # checkups 11:15 ... 11:35
        start = base + timedelta(minutes=75 + 5 * i)
        spans.append(
            (
                slot_id(p.id, services[ServiceKind.CHECKUP].id, start),
                start,
                start + timedelta(minutes=30),
            )
        )
    spans = spans[:45] + spans[-5:]
    assert len({s for s, _, _ in spans}) == 50
    buffer = timedelta(minutes=10)
    for (_, a0, a1), (_, b0, b1) in itertools.combinations(spans, 2):
        assert a0 < b1 + buffer
        assert b0 < a1 + buffer

    clients = await _clients(settings, 50)
    results = await _fire(
        live_server, [(c, s, uuid.uuid4().hex) for c, (s, _, _) in zip(clients, spans, strict=True)]
    )
    booked, codes = _outcome(results)
    assert len(booked) == 1
    assert codes == ["SLOT_UNAVAILABLE"] * 49
    assert await Booking.filter(psychologist_id=p.id, status__in=OCCUPYING_STATUSES).count() == 1


async def test_twenty_retries_of_one_key(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    slot = slot_id(p.id, service.id, day_at(4, 10))
    me = await signed_in(settings)
    results = await _fire(live_server, [(me, slot, "retry-me")] * 20)
    booked, codes = _outcome(results)
    assert codes == []
    assert len(booked) == 20
    assert len(set(booked)) == 1
    assert await Booking.filter(client_id=me.user.id).count() == 1


# One client racing itself: the per-client rules (at most ``max_active_bookings`` upcoming
# bookings, none overlapping another) hold under concurrent requests with different keys.


async def _post(
    http: httpx.AsyncClient, who: SignedIn, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": document, "variables": variables}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def _one_slot_each(make_psychologist: MakePsychologist, n: int) -> list[tuple[int, int]]:
    """``n`` fresh psychologists on a 5-minute grid: (psychologist id, session service id)."""
    out = []
    for _ in range(n):
        p = await make_psychologist(step=5)
        out.append((p.id, (await Service.get(psychologist_id=p.id)).id))
    return out


async def test_one_client_ten_slots_at_once_holds_the_booking_limit(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    limit = settings.max_active_bookings
    assert 0 < limit < 10
    me = await signed_in(settings)
    pairs = await _one_slot_each(make_psychologist, 10)
    slots = [  # 08:00, 09:00 ... 17:00: no two overlap
        slot_id(p_id, s_id, day_at(8, 8 + i)) for i, (p_id, s_id) in enumerate(pairs)
    ]
    results = await _fire(live_server, [(me, s, uuid.uuid4().hex) for s in slots])
    booked, codes = _outcome(results)
    assert len(booked) == limit
    assert codes == ["TOO_MANY_BOOKINGS"] * (10 - limit)
    mine = Booking.filter(client_id=me.user.id, status=BookingStatus.CONFIRMED)
    assert await mine.count() == limit

    # At the limit, a booking can still be moved (it replaces itself), and the count stays.
    first = await mine.order_by("starts_at").first()
    assert first is not None
    new_slot = slot_id(first.psychologist_id, first.service_id, day_at(8, 20))
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        moved = await _post(
            http,
            me,
            op("RescheduleBooking"),
            {"id": to_global_id("Booking", first.id), "slotId": new_slot},
        )
    assert moved["rescheduleBooking"]["errors"] == []
    assert await mine.count() == limit


async def test_one_client_ten_overlapping_slots_at_once_gets_one(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    me = await signed_in(settings)
    pairs = await _one_slot_each(make_psychologist, 10)
    slots = [  # 50-minute sessions at 10:00, 10:05 ... 10:45: all overlap
        slot_id(p_id, s_id, day_at(9, 10, 5 * i)) for i, (p_id, s_id) in enumerate(pairs)
    ]
    results = await _fire(live_server, [(me, s, uuid.uuid4().hex) for s in slots])
    booked, codes = _outcome(results)
    assert len(booked) == 1
    assert codes == ["OVERLAPS_OWN_BOOKING"] * 9
    assert await Booking.filter(client_id=me.user.id, status=BookingStatus.CONFIRMED).count() == 1


async def test_one_client_reschedules_and_books_into_one_time_at_once(
    live_server: str, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    """Two reschedules and four new bookings race for overlapping times: one wins,
    the losing reschedules leave their bookings as they were."""
    me = await signed_in(settings)
    pairs = await _one_slot_each(make_psychologist, 6)
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        held = []
        for hour, (p_id, s_id) in zip((8, 9), pairs[:2], strict=True):
            data = await _post(
                http,
                me,
                op("BookSlot"),
                {
                    "slotId": slot_id(p_id, s_id, day_at(10, hour)),
                    "idempotencyKey": uuid.uuid4().hex,
                },
            )
            assert data["bookSlot"]["errors"] == []
            held.append(data["bookSlot"]["booking"]["id"])

        calls = [
            (
                op("RescheduleBooking"),
                {"id": booking, "slotId": slot_id(p_id, s_id, day_at(10, 14, 10 * i))},
            )
            for i, (booking, (p_id, s_id)) in enumerate(zip(held, pairs[:2], strict=True))
        ] + [
            (
                op("BookSlot"),
                {
                    "slotId": slot_id(p_id, s_id, day_at(10, 14, 5 + 10 * i)),
                    "idempotencyKey": uuid.uuid4().hex,
                },
            )
            for i, (p_id, s_id) in enumerate(pairs[2:])
        ]
        results = await asyncio.gather(*(_post(http, me, doc, v) for doc, v in calls))
    payloads = [next(iter(r.values())) for r in results]
    winners = [i for i, r in enumerate(payloads) if r["booking"]]
    assert len(winners) == 1
    codes = [e["code"] for r in payloads for e in r["errors"]]
    assert codes == ["OVERLAPS_OWN_BOOKING"] * 5

    mine = await Booking.filter(client_id=me.user.id, status=BookingStatus.CONFIRMED).order_by(
        "starts_at"
    )
    assert len(mine) == (2 if winners[0] < 2 else 3)  # a reschedule replaces, a booking adds
    for a, b in itertools.combinations(mine, 2):
        assert a.ends_at <= b.starts_at
