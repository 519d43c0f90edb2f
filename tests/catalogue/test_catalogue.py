# ruff: noqa: RUF001
"""The catalogue through the real GraphQL surface, checked against the tables themselves.

Given the demo catalogue (112 approved psychologists and a few unapproved ones),
when the mobile app's ``Catalogue`` and ``PsychologistProfile`` contract queries run,
then filters, orderings and paging agree with a direct computation from the database,
unapproved psychologists never show, and the SQL statement count does not grow with
the page size.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from models.catalogue import Credential, Method, Psychologist, Review, Service, Topic
from models.enums import ServiceKind, VettingStatus
from schema.relay import to_global_id
from tests.catalogue.support import (
    CATALOGUE,
    PROFILE,
    PROFILE_VARS,
    approved_ids,
    approved_rows,
    average_ratings,
    catalogue,
    pks,
    session_prices,
    walk,
    without,
)
from tests.helpers import count_sql, gql

SEEDED = 112


async def test_catalogue_contract_query_returns_a_full_home_screen(
    client: httpx.AsyncClient,
) -> None:
    data = await gql(client, CATALOGUE, {"first": 20})

    assert len(data["methods"]) >= 12
    assert len(data["topics"]) >= 20
    assert {m["name"] for m in data["methods"]} >= {"КПТ", "Психоанализ", "Гештальт-терапия"}
    page = data["psychologists"]
    assert len(page["edges"]) == 20
    assert page["totalCount"] == len(await approved_ids()) >= SEEDED
    assert page["pageInfo"]["hasNextPage"] is True
    for edge in page["edges"]:
        node = edge["node"]
        assert edge["cursor"]
        assert node["fullName"]
        assert node["photoUrl"].startswith("http://testserver/avatars/")
        assert node["photoUrl"].endswith(".svg")
        assert node["methods"]
        assert node["topics"]
        assert node["experienceYears"] >= 3  # vetting: at least three years of practice
        assert "ADULT" in node["clientTypes"]
        price = Decimal(node["priceFrom"]["amount"])
        assert Decimal(1500) <= price <= Decimal(9000)
        assert node["priceFrom"]["currency"] == "RUB"
        assert node["priceFrom"]["amount"].count(".") == 1  # a decimal string, "3500.00"
        if node["reviewCount"]:
            assert 1 <= node["rating"] <= 5
        else:
            assert node["rating"] is None


async def test_avatar_urls_are_served_by_the_service(client: httpx.AsyncClient) -> None:
    page = await catalogue(client, first=1)
    url = page["edges"][0]["node"]["photoUrl"]
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text
    assert "script" not in response.text
    hidden = await Psychologist.filter(vetting_status=VettingStatus.REJECTED).first()
    assert hidden is not None
    assert (await client.get(f"/avatars/{hidden.slug}.svg")).status_code == 404
    assert (await client.get("/avatars/..%2Fetc.svg")).status_code == 404


# --- filters ---------------------------------------------------------------


async def _method_ids(*slugs: str) -> list[int]:
    return list(await Method.filter(slug__in=slugs).values_list("id", flat=True))


async def _topic_ids(*slugs: str) -> list[int]:
    return list(await Topic.filter(slug__in=slugs).values_list("id", flat=True))


async def _ids_with_service(kind: ServiceKind | None, max_price: Decimal | None) -> set[int]:
    out = set()
    for pid, k, price in await Service.filter(is_active=True).values_list(
        "psychologist_id", "kind", "price"
    ):
        k = ServiceKind(k)
        if kind is not None and k is not kind:
            continue
        if kind is None and k is ServiceKind.CHECKUP:
            continue
        if max_price is not None and Decimal(price) > max_price:
            continue
        out.add(pid)
    return out


async def _filtered(client: httpx.AsyncClient, flt: dict[str, Any]) -> tuple[list[int], int]:
    page = await catalogue(client, first=100, filter=flt)
    assert not page["pageInfo"]["hasNextPage"], "the filters used here select under 100"
    return pks(page), page["totalCount"]


async def test_filter_by_methods(client: httpx.AsyncClient) -> None:
    method_ids = await _method_ids("gestalt", "emdr")
    expected = (
        set(await Psychologist.filter(methods__id__in=method_ids).values_list("id", flat=True))
        & await approved_ids()
    )

    ids, total = await _filtered(
        client, {"methodIds": [to_global_id("Method", m) for m in method_ids]}
    )

    assert set(ids) == expected
    assert len(ids) == len(expected) == total
    assert 0 < total < SEEDED


async def test_filter_by_topics(client: httpx.AsyncClient) -> None:
    topic_ids = await _topic_ids("burnout")
    expected = (
        set(await Psychologist.filter(topics__id__in=topic_ids).values_list("id", flat=True))
        & await approved_ids()
    )

    ids, total = await _filtered(
        client, {"topicIds": [to_global_id("Topic", t) for t in topic_ids]}
    )

    assert set(ids) == expected
    assert len(ids) == total
    assert 0 < total < SEEDED


@pytest.mark.parametrize("client_type", ["COUPLE", "CHILD", "BUSINESS"])
async def test_filter_by_client_type(client: httpx.AsyncClient, client_type: str) -> None:
    rows = await approved_rows()
    expected = {pid for pid, r in rows.items() if client_type in r["client_types_csv"].split(",")}

    ids, total = await _filtered(client, {"clientType": client_type})

    assert set(ids) == expected
    assert len(ids) == total
    assert 0 < total < SEEDED


@pytest.mark.parametrize(
    ("kind", "max_price"),
    [
        (None, Decimal("3000")),
        ("CHILD_SESSION", None),
        ("COUPLE_SESSION", Decimal("6000")),
        ("CHECKUP", Decimal("1200")),
    ],
)
async def test_filter_by_service_kind_and_max_price(
    client: httpx.AsyncClient, kind: str | None, max_price: Decimal | None
) -> None:
    expected = (
        await _ids_with_service(ServiceKind(kind) if kind else None, max_price)
        & await approved_ids()
    )
    flt: dict[str, Any] = {}
    if kind:
        flt["serviceKind"] = kind
    if max_price is not None:
        flt["maxPrice"] = str(max_price)

    ids, total = await _filtered(client, flt)

    assert set(ids) == expected
    assert len(ids) == total
    assert 0 < total < SEEDED


@pytest.mark.parametrize("term", ["анна", "ОВА", "ковалев", "Ё", "  Мар  "])
async def test_search_by_name_is_case_and_yo_insensitive(
    client: httpx.AsyncClient, term: str
) -> None:
    def fold(s: str) -> str:
        return s.casefold().replace("ё", "е")

    rows = await approved_rows()
    wanted = fold(term.strip())
    expected = {pid for pid, r in rows.items() if wanted in fold(r["full_name"])}
    page = await catalogue(client, first=100, filter={"search": term})

    assert set(pks(page)) == expected
    assert page["totalCount"] == len(expected)


async def test_search_matches_a_known_name_in_any_case(client: httpx.AsyncClient) -> None:
    somebody = await Psychologist.filter(vetting_status=VettingStatus.APPROVED).first()
    assert somebody is not None
    for variant in (somebody.full_name.upper(), somebody.full_name.lower()):
        page = await catalogue(client, filter={"search": variant})
        assert somebody.id in pks(page)


async def test_filters_combine_with_and(client: httpx.AsyncClient) -> None:
    method_ids = await _method_ids("cbt")
    with_method = set(
        await Psychologist.filter(methods__id__in=method_ids).values_list("id", flat=True)
    )
    cheap = await _ids_with_service(None, Decimal("4000"))
    expected = with_method & cheap & await approved_ids()

    ids, total = await _filtered(
        client,
        {"methodIds": [to_global_id("Method", method_ids[0])], "maxPrice": "4000"},
    )

    assert set(ids) == expected
    assert len(ids) == total


# --- ordering and paging ---------------------------------------------------


async def _expected_order(order: str) -> list[int]:
    rows = await approved_rows()
    if order == "RATING_DESC":
        ratings = await average_ratings()
        return sorted(rows, key=lambda pid: (-ratings.get(pid, Decimal(0)), pid))
    if order == "PRICE_ASC":
        prices = await session_prices()
        return sorted(rows, key=lambda pid: (prices.get(pid, Decimal(10**9)), pid))
    assert order == "EXPERIENCE_DESC"
    return sorted(rows, key=lambda pid: (rows[pid]["practice_since"], pid))


@pytest.mark.parametrize("order", ["RATING_DESC", "PRICE_ASC", "EXPERIENCE_DESC"])
async def test_each_order_pages_through_everybody_exactly_once(
    client: httpx.AsyncClient, order: str
) -> None:
    expected = await _expected_order(order)

    ids = await walk(client, 7, orderBy=order)

    assert len(ids) == len(set(ids)) == len(expected) >= SEEDED
    assert ids == expected
    first = await catalogue(client, first=7, orderBy=order)
    assert first["totalCount"] == len(expected)


async def test_orders_really_differ(client: httpx.AsyncClient) -> None:
    firsts = [
        pks(await catalogue(client, first=10, orderBy=o))
        for o in ("RATING_DESC", "PRICE_ASC", "EXPERIENCE_DESC")
    ]
    assert len({tuple(f) for f in firsts}) == 3


async def test_default_order_is_rating(client: httpx.AsyncClient) -> None:
    assert pks(await catalogue(client, first=30)) == (await _expected_order("RATING_DESC"))[:30]


async def test_filtered_listing_pages_too(client: httpx.AsyncClient) -> None:
    flt = {"clientType": "COUPLE"}
    everything = pks(await catalogue(client, first=100, filter=flt, orderBy="PRICE_ASC"))
    assert await walk(client, 4, filter=flt, orderBy="PRICE_ASC") == everything


# --- visibility ------------------------------------------------------------


async def test_unapproved_psychologists_never_show(client: httpx.AsyncClient) -> None:
    hidden = await Psychologist.exclude(vetting_status=VettingStatus.APPROVED).values(
        "id", "full_name"
    )
    statuses = set(
        await Psychologist.exclude(vetting_status=VettingStatus.APPROVED).values_list(
            "vetting_status", flat=True
        )
    )
    assert {VettingStatus(s) for s in statuses} >= {
        VettingStatus.APPLIED,
        VettingStatus.REJECTED,
        VettingStatus.SUSPENDED,
    }
    hidden_ids = {h["id"] for h in hidden}

    for order in ("RATING_DESC", "PRICE_ASC", "EXPERIENCE_DESC"):
        assert not hidden_ids & set(await walk(client, 100, orderBy=order))
    for h in hidden:
        data = await gql(
            client, PROFILE, {"id": to_global_id("Psychologist", h["id"]), **PROFILE_VARS}
        )
        assert data["node"] is None
        page = await catalogue(client, filter={"search": h["full_name"]})
        assert h["id"] not in pks(page)


# --- the profile -------------------------------------------------------------


async def _profile_subject() -> Psychologist:
    candidates = (
        await Psychologist.filter(vetting_status=VettingStatus.APPROVED, review_count__gte=7)
        .order_by("id")
        .limit(1)
    )
    assert candidates
    return candidates[0]


async def test_profile_contract_query_via_node(client: httpx.AsyncClient) -> None:
    p = await _profile_subject()

    data = await gql(client, PROFILE, {"id": to_global_id("Psychologist", p.id), **PROFILE_VARS})

    node = data["node"]
    assert node["id"] == to_global_id("Psychologist", p.id)
    assert node["fullName"] == p.full_name
    assert node["bio"]
    assert "ru" in node["languages"]
    assert node["reviewCount"] == await Review.filter(psychologist_id=p.id).count()
    kinds = [c["kind"] for c in node["credentials"]]
    assert kinds.count("DIPLOMA") == 1
    assert "METHOD_CERTIFICATE" in kinds
    assert len(node["credentials"]) == await Credential.filter(psychologist_id=p.id).count()
    diploma = next(c for c in node["credentials"] if c["kind"] == "DIPLOMA")
    assert diploma["hours"] >= 1100
    assert diploma["institution"]
    assert diploma["year"]
    certificates = [c for c in node["credentials"] if c["kind"] == "METHOD_CERTIFICATE"]
    assert max(c["hours"] for c in certificates) >= 700
    therapy = next(c for c in node["credentials"] if c["kind"] == "PERSONAL_THERAPY")
    assert therapy["hours"] >= 150
    assert "SUPERVISION" in kinds
    assert all(m["description"] for m in node["methods"])
    services = {s["kind"]: s for s in node["services"]}
    assert services["SESSION"]["durationMinutes"] == 50
    if "CHECKUP" in services:
        assert services["CHECKUP"]["durationMinutes"] == 30
    if "COUPLE_SESSION" in services:
        assert services["COUPLE_SESSION"]["durationMinutes"] == 80
    assert len(node["services"]) == await Service.filter(psychologist_id=p.id).count()
    reviews = [e["node"] for e in node["reviews"]["edges"]]
    newest = await Review.filter(psychologist_id=p.id).order_by("-created_at").limit(5)
    assert [r["id"] for r in reviews] == [to_global_id("Review", r.id) for r in newest]
    assert all(1 <= r["rating"] <= 5 for r in reviews)


async def test_reviews_page_newest_first_without_gaps(client: httpx.AsyncClient) -> None:
    p = await _profile_subject()
    query = """
      query($id: ID!, $after: String) { node(id: $id) { ... on Psychologist {
        reviews(first: 3, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { id createdAt } } } } } }
    """
    seen: list[str] = []
    after = None
    while True:
        data = await gql(client, query, {"id": to_global_id("Psychologist", p.id), "after": after})
        conn = data["node"]["reviews"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    everything = await Review.filter(psychologist_id=p.id).order_by("-created_at", "-id")
    assert seen == [to_global_id("Review", r.id) for r in everything]
    assert conn["totalCount"] == len(everything)


# --- constant SQL ----------------------------------------------------------

# methods, topics, the page, its count, methods and topics of all cards (one each).
CATALOGUE_CORE_STATEMENTS = 6
# psychologist, credentials, methods, topics, services, reviews.
PROFILE_CORE_STATEMENTS = 6
# ... plus availability: booking policy, working hours (its services are the profile's).
PROFILE_STATEMENTS = 8


def catalogue_statement_bound() -> int:
    """The contract Catalogue query: the core plus nextSlots of all cards together.

    nextSlots costs services + booking policies + working hours (3), then overrides
    + bookings (2) per search window; windows grow only for cards whose earlier
    window had too few free slots, so the count depends on the clock (13 or 14 on
    the demo data) but never on the page size.
    """
    from app.booking.availability import CARD_WINDOWS

    return CATALOGUE_CORE_STATEMENTS + 3 + 2 * (len(CARD_WINDOWS) + 1)


CATALOGUE_CORE = without("Catalogue", "nextSlots")
PROFILE_CORE = without("PsychologistProfile", "availability")


async def _statements(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> int:
    await gql(client, query, variables)  # warm-up: caches, lazy imports
    with count_sql() as sql:
        await gql(client, query, variables)
    return sql.count


async def test_catalogue_sql_statements_do_not_grow_with_page_size(
    client: httpx.AsyncClient,
) -> None:
    small = await _statements(client, CATALOGUE_CORE, {"first": 5})
    large = await _statements(client, CATALOGUE_CORE, {"first": 50})
    assert small == large == CATALOGUE_CORE_STATEMENTS


async def test_catalogue_contract_sql_statements_are_bounded(
    client: httpx.AsyncClient,
) -> None:
    for first in (5, 50, 100):
        count = await _statements(client, CATALOGUE, {"first": first})
        assert CATALOGUE_CORE_STATEMENTS + 5 <= count <= catalogue_statement_bound()


@pytest.mark.parametrize(
    ("query", "expected"),
    [(PROFILE_CORE, PROFILE_CORE_STATEMENTS), (PROFILE, PROFILE_STATEMENTS)],
    ids=["profile-core", "profile-contract"],
)
async def test_profile_sql_statements_are_constant(
    client: httpx.AsyncClient, query: str, expected: int
) -> None:
    p = await _profile_subject()
    variables = {"id": to_global_id("Psychologist", p.id), **PROFILE_VARS}
    assert await _statements(client, query, variables) == expected
