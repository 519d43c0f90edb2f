"""No double booking under concurrency, against a real uvicorn (SQLite and PostgreSQL).

50 clients race for one slot; 50 clients race for 50 different slots that all overlap
(sessions, couple sessions and checkups at staggered starts); 20 retries of one
idempotency key race each other. The database must end with exactly one booking.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta
from typing import Any

import httpx

from app.settings import Settings
from models.booking import OCCUPYING_STATUSES, Booking
from models.catalogue import Service
from models.enums import ServiceKind
from schema.booking.types import slot_id
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
