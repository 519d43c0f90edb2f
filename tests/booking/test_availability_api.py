"""Availability on the catalogue: nextSlots batching, soonest slots and ordering, filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.booking import availability
from app.catalogue import soonest
from app.catalogue.filters import CatalogueFilter, filtered
from app.core.cursors import decode_cursor
from app.core.settings import Settings
from models.booking import Booking, OverrideKind, ScheduleOverride
from models.catalogue import Service
from models.enums import ServiceKind
from tests.booking.conftest import MakePsychologist
from tests.factories import signed_in
from tests.helpers import count_sql, gql, op

FAR = datetime.max.replace(tzinfo=UTC)
CARD_FIELDS = "id nextSlots(first: 3) { id startsAt service { kind } }"
SOONEST_PAGE = f"""
query Soonest($first: Int!, $after: String, $filter: PsychologistFilter) {{
  psychologists(first: $first, after: $after, orderBy: SOONEST_AVAILABLE, filter: $filter) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {CARD_FIELDS} }} }}
  }}
}}
"""


async def _catalogue(
    client: httpx.AsyncClient, first: int, flt: dict | None = None
) -> tuple[int, list[dict]]:
    with count_sql() as sql:
        data = await gql(client, op("Catalogue"), {"first": first, "filter": flt})
    _last_statements[:] = sql.statements
    return sql.count, [e["node"] for e in data["psychologists"]["edges"]]


_last_statements: list[str] = []  # shown when a count assertion fails


async def test_catalogue_next_slots_runs_a_constant_number_of_statements(
    client: httpx.AsyncClient, make_psychologist: MakePsychologist
) -> None:
    token = uuid.uuid4().hex[:10]
    for i in range(50):
        await make_psychologist(full_name=f"Счётчик {token} {i}", notice=i % 3 * 60)
    flt = {"search": token}
    await _catalogue(client, 1, flt)  # warm-up (lazy imports, caches)
    five, cards5 = await _catalogue(client, 5, flt)
    statements5 = list(_last_statements)
    fifty, cards50 = await _catalogue(client, 50, flt)
    print(f"Catalogue with nextSlots(first: 3): {five} statements for 5 cards, {fifty} for 50")
    assert len(cards5) == 5
    assert len(cards50) == 50
    # 6 catalogue + 5 availability (see app/booking/availability.py; the services come from
    # the request's ServicesByPsychologist, which also gives Slot.service)
    assert five == fifty == 11, (statements5, _last_statements)
    assert all(len(c["nextSlots"]) == 3 for c in cards50)


async def test_demo_catalogue_next_slots_are_bounded_and_sane(client: httpx.AsyncClient) -> None:
    """On the demo catalogue some cards need the later search windows: still bounded."""
    five, _ = await _catalogue(client, 5)
    fifty, cards50 = await _catalogue(client, 50)
    print(f"demo Catalogue with nextSlots(first: 3): {five} (5 cards), {fifty} (50 cards)")
    assert five <= fifty <= 16  # 6 catalogue + 1 services + 2 schedules + 3 x 2 windows + 1
    with_slots = [c for c in cards50 if c["nextSlots"]]
    assert len(with_slots) >= 40  # demo psychologists all have working hours
    now = datetime.now(UTC)
    for card in with_slots:
        starts = [datetime.fromisoformat(s["startsAt"]) for s in card["nextSlots"]]
        assert starts == sorted(starts)
        assert len(starts) <= 3
        assert all(s > now for s in starts)
        assert {s["service"]["kind"] for s in card["nextSlots"]} == {"SESSION"}


async def test_soonest_slots_are_sorted_and_one_per_psychologist(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    me = await signed_in(settings)
    with count_sql() as sql:
        data = await gql(client, op("SoonestSlots"), {"first": 10}, me.token)
    slots = data["soonestSlots"]
    print(f"SoonestSlots(first: 10): {sql.count} statements")
    assert len(slots) == 10
    starts = [s["startsAt"] for s in slots]
    assert starts == sorted(starts)
    assert len({s["psychologist"]["id"] for s in slots}) == 10
    # Nobody in the catalogue has an earlier slot than the 10th soonest, but those 10.
    _, cards = await _catalogue(client, 100)
    tenth = datetime.fromisoformat(starts[-1])
    chosen = {s["psychologist"]["id"] for s in slots}
    for card in cards:
        if card["nextSlots"] and card["id"] not in chosen:
            assert datetime.fromisoformat(card["nextSlots"][0]["startsAt"]) >= tenth


async def test_soonest_available_order_pages_without_gaps(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursors: list[list] = []
    after = None
    counts = []
    for _ in range(4):
        with count_sql() as sql:
            data = await gql(client, SOONEST_PAGE, {"first": 15, "after": after})
        counts.append(sql.count)
        conn = data["psychologists"]
        keys = []
        for edge in conn["edges"]:
            seen.append(edge["node"]["id"])
            slots = edge["node"]["nextSlots"]
            keys.append(datetime.fromisoformat(slots[0]["startsAt"]) if slots else FAR)
        assert keys == sorted(keys)
        after = conn["pageInfo"]["endCursor"]
        cursors.append(decode_cursor(after))
    print(f"SOONEST_AVAILABLE pages: {counts} statements")
    assert len(seen) == len(set(seen)) == 60
    assert all(c[0] == "SOONEST_AVAILABLE" for c in cursors)
    assert [c[1:] for c in cursors] == sorted(c[1:] for c in cursors)


async def test_available_before_filter(client: httpx.AsyncClient) -> None:
    before = datetime.now(UTC) + timedelta(hours=8)
    data = await gql(
        client,
        op("Catalogue"),
        {"first": 100, "filter": {"availableBefore": before.isoformat()}},
    )
    cards = [e["node"] for e in data["psychologists"]["edges"]]
    total = data["psychologists"]["totalCount"]
    assert total == len(cards)
    for card in cards:
        assert card["nextSlots"]
        assert datetime.fromisoformat(card["nextSlots"][0]["startsAt"]) < before
    _, everyone = await _catalogue(client, 100)
    ids = {c["id"] for c in cards}
    for card in everyone:
        if card["nextSlots"] and datetime.fromisoformat(card["nextSlots"][0]["startsAt"]) < before:
            assert card["id"] in ids


async def test_best_first_ranking_matches_brute_force(
    settings: Settings, make_psychologist: MakePsychologist, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pruned search ranks exactly like evaluating everyone (small batches force pruning)."""
    monkeypatch.setattr(availability, "FIRST_BATCH", 4)
    now = datetime.now(UTC)
    # A psychologist whose earliest working time is booked, one with extra hours at night,
    # one fully on time off: the lower bounds must not mislead the ranking.
    busy = await make_psychologist(hours=((0, 1440),), notice=0)
    service = await Service.get(psychologist_id=busy.id)
    me = await signed_in(settings)
    found = await availability.search(
        [(busy.id, "UTC")], ServiceKind.SESSION, now, per_psychologist=1
    )
    first_start = found[busy.id][0].starts_at
    await Booking.create(
        client_id=me.user.id,
        psychologist_id=busy.id,
        service_id=service.id,
        starts_at=first_start,
        ends_at=first_start + timedelta(minutes=50),
        blocked_until=first_start + timedelta(hours=3),
        price=service.price,
        video_room=uuid.uuid4().hex,
    )
    night = await make_psychologist(hours=((600, 660),), notice=0)
    await ScheduleOverride.create(
        psychologist=night,
        kind=OverrideKind.EXTRA_HOURS,
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=3),
    )
    away = await make_psychologist(notice=0)
    await ScheduleOverride.create(
        psychologist=away,
        kind=OverrideKind.TIME_OFF,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=3),
    )
    flt = CatalogueFilter()
    rows = await filtered(flt).values_list("id", "timezone")
    brute = await availability.search(
        rows,
        ServiceKind.SESSION,
        now,
        per_psychologist=1,
        windows=availability.CATALOGUE_WINDOWS,
    )
    expected = sorted(availability.soonest_key(v[0], pid) for pid, v in brute.items())
    schedules = availability.ScheduleCache()
    ranked = await availability.rank_by_first_slot(
        filtered(flt), ServiceKind.SESSION, now, schedules=schedules, limit=None
    )
    assert [k for k, slot in ranked if slot is not None] == expected
    for limit in (1, 7, 25):
        top = await availability.rank_by_first_slot(
            filtered(flt), ServiceKind.SESSION, now, schedules=schedules, limit=limit
        )
        assert [k for k, _ in top] == expected[:limit]
    middle = expected[10]
    page = await availability.rank_by_first_slot(
        filtered(flt), ServiceKind.SESSION, now, schedules=schedules, limit=5, after=middle
    )
    assert [k for k, _ in page] == expected[11:16]
    before = now + timedelta(hours=5)
    ids = await soonest.available_before_ids(flt, before, now)
    assert ids == sorted(pid for (start, pid) in expected if start < before.timestamp())
