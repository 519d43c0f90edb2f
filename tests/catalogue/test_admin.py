# ruff: noqa: RUF001  (Russian names)
"""The admins' catalogue edits through GraphQL: prices (new bookings only, the catalogue's
order at once), services (one per kind, also under a race), profiles, methods and topics;
each with its audit row, its bad input and unknown IDs, and refused for every other role."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.core.settings import Settings
from models.audit import AuditAction
from models.catalogue import Method, Psychologist, Service, Topic
from models.enums import ServiceKind, VettingStatus
from schema.catalogue.types import slot_id
from schema.relay import to_global_id
from tests.booking.conftest import MakePsychologist, day_at, make_psychologist  # noqa: F401
from tests.catalogue.admin_support import (
    DOCS,
    Staff,
    audit_count,
    audit_rows,
    codes,
    edit,
    make_staff,
    session_id,
    set_price,
)
from tests.catalogue.support import catalogue, pks
from tests.factories import SignedIn, signed_in
from tests.helpers import error_codes, gql, gql_raw, op

BOOKING_PRICE = "query($id: ID!) { node(id: $id) { ... on Booking { price { amount } } } }"
UNKNOWN = 10**9


@pytest.fixture
async def staff(app: Starlette, settings: Settings) -> Staff:
    return await make_staff(settings)


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def book(client: httpx.AsyncClient, who: SignedIn, slot: str) -> dict[str, Any]:
    data = await gql(
        client, op("BookSlot"), {"slotId": slot, "idempotencyKey": uuid.uuid4().hex}, who.token
    )
    booking: dict[str, Any] = data["bookSlot"]["booking"]
    assert booking is not None, data
    return booking


# --- setServicePrice --------------------------------------------------------------------


async def test_a_new_price_applies_to_new_bookings_only(
    client: httpx.AsyncClient,
    settings: Settings,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    me = await signed_in(settings)
    before = await book(client, me, slot_id(p.id, service.id, day_at(3, 10)))
    assert before["price"]["amount"] == "3500.00"

    payload = await set_price(client, staff.admin, gid("Service", service.id), "4200.50")

    assert payload == {
        "service": {
            "id": gid("Service", service.id),
            "price": {"amount": "4200.50", "currency": "RUB"},
        },
        "errors": [],
    }
    kept = await gql(client, BOOKING_PRICE, {"id": before["id"]}, me.token)
    assert kept["node"]["price"]["amount"] == "3500.00"  # booked at the old price
    after = await book(client, me, slot_id(p.id, service.id, day_at(4, 10)))
    assert after["price"]["amount"] == "4200.50"
    (row,) = await audit_rows("Service", service.id)
    assert (row.action, row.actor_id) == (AuditAction.SERVICE_PRICE_SET, staff.admin.user.id)
    assert row.changes == {"price": ["3500.00", "4200.50"]}


async def test_a_price_change_moves_the_psychologist_in_the_price_order_at_once(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    tag = uuid.uuid4().hex[:8]
    a = await make_psychologist(full_name=f"Альфа Ценовая {tag}")
    b = await make_psychologist(full_name=f"Бета Ценовая {tag}")
    a_service = await Service.get(psychologist_id=a.id)
    b_service = await Service.get(psychologist_id=b.id)
    await set_price(client, staff.admin, gid("Service", a_service.id), "3550")
    await set_price(client, staff.admin, gid("Service", b_service.id), "3600")

    async def order() -> list[int]:
        page = await catalogue(client, filter={"search": tag}, orderBy="PRICE_ASC")
        return pks(page)

    assert await order() == [a.id, b.id]
    await set_price(client, staff.admin, gid("Service", a_service.id), "3700.00")
    assert await order() == [b.id, a.id]
    page = await catalogue(client, filter={"search": tag, "maxPrice": "3650"})
    assert pks(page) == [b.id]  # the filter reads the new price too
    await set_price(client, staff.admin, gid("Service", a_service.id), "0")  # free is a price
    assert await order() == [a.id, b.id]
    row = await Psychologist.get(id=a.id)
    assert (Decimal(row.price_from), row.sort_price) == (Decimal("0.00"), 0)


@pytest.mark.parametrize(
    ("amount", "field_code"),
    [
        ("-0.01", "INVALID_PRICE"),
        ("0.001", "INVALID_PRICE"),
        ("1000000.01", "INVALID_PRICE"),
        ("1e9", "INVALID_PRICE"),
        ("NaN", "INVALID_PRICE"),
        ("-Infinity", "INVALID_PRICE"),
    ],
)
async def test_a_price_out_of_range_or_too_precise_is_refused(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
    amount: str,
    field_code: str,
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    payload = await set_price(client, staff.admin, gid("Service", service.id), amount)
    assert payload["service"] is None
    assert codes(payload) == [(field_code, "amount")]
    assert (await Service.get(id=service.id)).price == Decimal("3500.00")
    assert await audit_rows("Service", service.id) == []


async def test_the_edges_of_the_price_range_are_prices(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    service = await session_id(p)
    for amount, shown in (("1000000", "1000000.00"), ("0.5", "0.50"), (12, "12.00")):
        payload = await set_price(client, staff.admin, service, amount)
        assert payload["errors"] == [], payload
        assert payload["service"]["price"]["amount"] == shown
    unchanged = await audit_count()
    await set_price(client, staff.admin, service, "12.00")  # the same price: nothing to record
    assert await audit_count() == unchanged


@pytest.mark.parametrize(
    "service_id",
    [gid("Service", UNKNOWN), gid("Psychologist", 1), "garbage", ""],
    ids=["unknown", "another-type", "malformed", "empty"],
)
async def test_setting_the_price_of_an_unknown_service_names_the_field(
    client: httpx.AsyncClient, staff: Staff, service_id: str
) -> None:
    payload = await set_price(client, staff.admin, service_id, "100")
    assert payload["service"] is None
    assert codes(payload) == [("NOT_FOUND", "serviceId")]


# --- every edit is refused for everyone but admins ----------------------------------------


def _variables(p: Psychologist, service: Service) -> dict[str, dict[str, Any]]:
    method = gid("Method", 1)
    return {
        "setServicePrice": {"serviceId": gid("Service", service.id), "amount": "1.00"},
        "createService": {
            "psychologistId": gid("Psychologist", p.id),
            "kind": "CHECKUP",
            "title": "Чекап",
            "durationMinutes": 30,
            "price": "0",
        },
        "updateService": {"serviceId": gid("Service", service.id), "isActive": False},
        "updatePsychologist": {"psychologistId": gid("Psychologist", p.id), "fullName": "Чужой"},
        "createMethod": {"slug": f"m-{uuid.uuid4().hex[:8]}", "name": "Чужой метод"},
        "updateMethod": {"methodId": method, "name": "Чужое имя"},
        "createTopic": {"slug": f"t-{uuid.uuid4().hex[:8]}", "name": "Чужая тема"},
        "updateTopic": {"topicId": gid("Topic", 1), "name": "Чужое имя"},
    }


@pytest.mark.parametrize("role", ["CLIENT", "PSYCHOLOGIST", "CARE_AGENT", "anonymous"])
async def test_every_catalogue_edit_is_refused_for_other_roles(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
    role: str,
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    method_name = (await Method.get(id=1)).name
    token = None if role == "anonymous" else staff.refused()[role].token
    expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
    entries = await audit_count()
    documents = {"setServicePrice": op("SetServicePrice"), **DOCS}
    for name, variables in _variables(p, service).items():
        body = await gql_raw(client, documents[name], variables, token=token)
        assert error_codes(body) == [expected], (name, body)
        assert body["data"] is None or body["data"][name] is None, (name, body)
    assert await audit_count() == entries
    row = await Service.get(id=service.id)
    assert (row.price, row.is_active) == (Decimal("3500.00"), True)
    assert not await Service.filter(psychologist_id=p.id, kind=ServiceKind.CHECKUP).exists()
    assert (await Psychologist.get(id=p.id)).full_name == p.full_name
    assert (await Method.get(id=1)).name == method_name


# --- services -----------------------------------------------------------------------------


async def test_a_service_is_created_once_per_kind_and_edited(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    created = await edit(
        client,
        "createService",
        {
            "psychologistId": gid("Psychologist", p.id),
            "kind": "CHECKUP",
            "title": "  Первая встреча  ",
            "durationMinutes": 30,
            "price": "0",
        },
        staff.admin,
    )
    assert created["errors"] == [], created
    service = created["service"]
    assert service["kind"] == "CHECKUP"
    assert service["title"] == "Первая встреча"
    assert service["price"] == {"amount": "0.00", "currency": "RUB"}
    row = await Service.get(psychologist_id=p.id, kind=ServiceKind.CHECKUP)
    (entry,) = await audit_rows("Service", row.id)
    assert entry.action == AuditAction.SERVICE_CREATED
    assert entry.changes == {
        "psychologist": [None, p.id],
        "kind": [None, "CHECKUP"],
        "title": [None, "Первая встреча"],
        "durationMinutes": [None, 30],
        "price": [None, "0.00"],
        "currency": [None, "RUB"],
    }
    # A checkup does not count for price-from: still the session's price.
    assert (await Psychologist.get(id=p.id)).price_from == Decimal("3500.00")

    again = await edit(
        client,
        "createService",
        {
            "psychologistId": gid("Psychologist", p.id),
            "kind": "CHECKUP",
            "title": "Ещё одна",
            "durationMinutes": 30,
            "price": "10",
        },
        staff.admin,
    )
    assert codes(again) == [("SERVICE_KIND_TAKEN", "kind")]

    updated = await edit(
        client,
        "updateService",
        {"serviceId": service["id"], "title": "Чекап", "durationMinutes": 45},
        staff.admin,
    )
    assert updated["errors"] == []
    assert (updated["service"]["title"], updated["service"]["durationMinutes"]) == ("Чекап", 45)
    _, entry = await audit_rows("Service", row.id)
    assert entry.action == AuditAction.SERVICE_UPDATED
    assert entry.changes == {"title": ["Первая встреча", "Чекап"], "durationMinutes": [30, 45]}


async def test_withdrawing_the_cheapest_service_moves_price_from(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist(kinds=(ServiceKind.SESSION, ServiceKind.COUPLE_SESSION))
    couple = await Service.get(psychologist_id=p.id, kind=ServiceKind.COUPLE_SESSION)
    session = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    await set_price(client, staff.admin, gid("Service", couple.id), "5000")
    withdrawn = await edit(
        client, "updateService", {"serviceId": gid("Service", session.id), "isActive": False},
        staff.admin,
    )  # fmt: skip
    assert withdrawn["service"]["isActive"] is False
    assert (await Psychologist.get(id=p.id)).price_from == Decimal("5000.00")
    profile = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Psychologist { services { kind } } } }",
        {"id": gid("Psychologist", p.id)},
    )  # fmt: skip
    assert profile["node"]["services"] == [{"kind": "COUPLE_SESSION"}]
    (entry,) = await audit_rows("Service", session.id)
    assert entry.changes == {"isActive": [True, False]}


async def test_racing_duplicates_of_a_kind_give_one_service(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    variables = {
        "psychologistId": gid("Psychologist", p.id),
        "kind": "CHILD_SESSION",
        "title": "Детская сессия",
        "durationMinutes": 50,
        "price": "3000",
    }
    results = await asyncio.gather(
        *(edit(client, "createService", variables, staff.admin) for _ in range(6))
    )
    made = [r for r in results if r["service"] is not None]
    refused = [codes(r) for r in results if r["service"] is None]
    assert len(made) == 1, results
    assert refused == [[("SERVICE_KIND_TAKEN", "kind")]] * 5
    assert await Service.filter(psychologist_id=p.id, kind=ServiceKind.CHILD_SESSION).count() == 1


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"durationMinutes": 10}, [("INVALID_DURATION", "durationMinutes")]),
        ({"durationMinutes": 245}, [("INVALID_DURATION", "durationMinutes")]),
        ({"durationMinutes": 52}, [("INVALID_DURATION", "durationMinutes")]),
        ({"title": "   "}, [("INVALID_INPUT", "title")]),
        ({"title": "x" * 161}, [("INVALID_INPUT", "title")]),
        ({"title": "bad\x1btitle"}, [("INVALID_INPUT", "title")]),
        ({"price": "-1"}, [("INVALID_PRICE", "price")]),
        ({"price": "1.005"}, [("INVALID_PRICE", "price")]),
        ({"psychologistId": gid("Psychologist", UNKNOWN)}, [("NOT_FOUND", "psychologistId")]),
        ({"psychologistId": gid("Service", 1)}, [("NOT_FOUND", "psychologistId")]),
        ({"psychologistId": "%%%"}, [("NOT_FOUND", "psychologistId")]),
    ],
)
async def test_bad_services_are_refused_with_their_field(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
    variables: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    p = await make_psychologist()
    base = {
        "psychologistId": gid("Psychologist", p.id),
        "kind": "COUPLE_SESSION",
        "title": "Парная",
        "durationMinutes": 80,
        "price": "5000",
    }
    entries = await audit_count()
    payload = await edit(client, "createService", {**base, **variables}, staff.admin)
    assert (payload["service"], codes(payload)) == (None, expected)
    assert not await Service.filter(psychologist_id=p.id, kind=ServiceKind.COUPLE_SESSION).exists()
    assert await audit_count() == entries


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"durationMinutes": 0}, [("INVALID_DURATION", "durationMinutes")]),
        ({"title": ""}, [("INVALID_INPUT", "title")]),
        ({"serviceId": gid("Service", UNKNOWN)}, [("NOT_FOUND", "serviceId")]),
        ({"serviceId": "bm9wZQ"}, [("NOT_FOUND", "serviceId")]),
    ],
)
async def test_bad_service_updates_are_refused_with_their_field(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
    variables: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    payload = await edit(
        client, "updateService", {"serviceId": gid("Service", service.id), **variables},
        staff.admin,
    )  # fmt: skip
    assert (payload["service"], codes(payload)) == (None, expected)
    assert await audit_rows("Service", service.id) == []


# --- psychologists ------------------------------------------------------------------------


async def test_a_profile_is_edited_in_part_and_audited(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    tag = uuid.uuid4().hex[:8]
    p = await make_psychologist(full_name=f"Старое Имя {tag}", bio="Старое описание")
    methods = await Method.all().order_by("id").limit(3)
    topic = await Topic.all().order_by("id").first()
    assert topic is not None
    await p.methods.add(methods[0])
    payload = await edit(
        client,
        "updatePsychologist",
        {
            "psychologistId": gid("Psychologist", p.id),
            "fullName": f"Ёлкина Новая {tag}",
            "languages": ["RU", "en", "ru"],
            "clientTypes": ["COUPLE", "ADULT"],
            "methodIds": [gid("Method", m.id) for m in methods[1:]],
            "topicIds": [gid("Topic", topic.id)],
        },
        staff.admin,
    )
    assert payload["errors"] == [], payload
    profile = payload["psychologist"]
    assert profile["fullName"] == f"Ёлкина Новая {tag}"
    assert profile["bio"] == "Старое описание"  # not given: unchanged
    assert profile["languages"] == ["ru", "en"]
    assert profile["clientTypes"] == ["ADULT", "COUPLE"]
    assert {m["slug"] for m in profile["methods"]} == {m.slug for m in methods[1:]}
    assert profile["topics"] == [{"slug": topic.slug}]
    (entry,) = await audit_rows("Psychologist", p.id)
    assert (entry.action, entry.actor_id) == (
        AuditAction.PSYCHOLOGIST_UPDATED,
        staff.admin.user.id,
    )
    assert entry.changes == {
        "fullName": [f"Старое Имя {tag}", f"Ёлкина Новая {tag}"],
        "languages": [[], ["ru", "en"]],
        "clientTypes": [["ADULT"], ["ADULT", "COUPLE"]],
        "methods": [[methods[0].slug], sorted(m.slug for m in methods[1:])],
        "topics": [[], [topic.slug]],
    }
    row = await Psychologist.get(id=p.id)
    assert row.vetting_status == VettingStatus.APPROVED  # vetting is not edited here
    # The catalogue finds the new name (its search key follows), not the old one.
    assert pks(await catalogue(client, filter={"search": f"елкина новая {tag}"})) == [p.id]
    assert pks(await catalogue(client, filter={"search": f"Старое Имя {tag}"})) == []

    entries = await audit_count()
    same = await edit(
        client,
        "updatePsychologist",
        {"psychologistId": gid("Psychologist", p.id), "languages": ["ru", "en"]},
        staff.admin,
    )
    assert same["errors"] == []
    assert await audit_count() == entries  # nothing changed, nothing recorded


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"fullName": "  "}, [("INVALID_INPUT", "fullName")]),
        ({"fullName": "Я" * 161}, [("INVALID_INPUT", "fullName")]),
        ({"bio": "б" * 4001}, [("INVALID_INPUT", "bio")]),
        ({"bio": "bell\x07"}, [("INVALID_INPUT", "bio")]),
        ({"photoUrl": "javascript:alert(1)"}, [("INVALID_INPUT", "photoUrl")]),
        ({"photoUrl": "//evil.example/x.png"}, [("INVALID_INPUT", "photoUrl")]),
        ({"photoUrl": "https://cdn.example/a b.png"}, [("INVALID_INPUT", "photoUrl")]),
        ({"photoUrl": "/\\evil.example/x.png"}, [("INVALID_INPUT", "photoUrl")]),
        ({"photoUrl": "/admin/x.png"}, [("INVALID_INPUT", "photoUrl")]),
        ({"photoUrl": "https://"}, [("INVALID_INPUT", "photoUrl")]),
        ({"languages": ["russian"]}, [("INVALID_INPUT", "languages")]),
        ({"languages": []}, [("INVALID_INPUT", "languages")]),
        ({"languages": ["ru"] * 11}, [("INVALID_INPUT", "languages")]),
        ({"clientTypes": []}, [("INVALID_INPUT", "clientTypes")]),
        ({"methodIds": [gid("Method", UNKNOWN)]}, [("NOT_FOUND", "methodIds")]),
        ({"methodIds": ["not-an-id"]}, [("NOT_FOUND", "methodIds")]),
        ({"methodIds": [gid("Method", 1)] * 31}, [("INVALID_INPUT", "methodIds")]),
        ({"topicIds": [gid("Method", 1)]}, [("NOT_FOUND", "topicIds")]),
        ({"psychologistId": gid("Psychologist", UNKNOWN)}, [("NOT_FOUND", "psychologistId")]),
        ({"psychologistId": "garbage"}, [("NOT_FOUND", "psychologistId")]),
    ],
)
async def test_bad_profile_edits_are_refused_with_their_field_and_change_nothing(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
    variables: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    p = await make_psychologist(bio="Как было")
    base = {"psychologistId": gid("Psychologist", p.id), "fullName": "Новое Имя"}
    payload = await edit(client, "updatePsychologist", {**base, **variables}, staff.admin)
    assert (payload["psychologist"], codes(payload)) == (None, expected)
    row = await Psychologist.get(id=p.id)
    assert (row.full_name, row.bio) == (p.full_name, "Как было")
    assert await audit_rows("Psychologist", p.id) == []


async def test_a_photo_may_be_removed_or_be_one_of_ours(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist(photo_url="https://cdn.example/old.png")
    target = {"psychologistId": gid("Psychologist", p.id)}
    ours = await edit(
        client, "updatePsychologist", {**target, "photoUrl": "/avatars/x.svg"}, staff.admin
    )
    assert ours["psychologist"]["photoUrl"] == "http://testserver/avatars/x.svg"
    removed = await edit(client, "updatePsychologist", {**target, "photoUrl": ""}, staff.admin)
    assert removed["psychologist"]["photoUrl"] == ""
    first, second = await audit_rows("Psychologist", p.id)
    assert first.changes == {"photoUrl": ["https://cdn.example/old.png", "/avatars/x.svg"]}
    assert second.changes == {"photoUrl": ["/avatars/x.svg", ""]}


# --- methods and topics -------------------------------------------------------------------


async def test_methods_are_created_and_edited_with_unique_slugs(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    slug = f"schema-therapy-{uuid.uuid4().hex[:6]}"
    created = await edit(
        client,
        "createMethod",
        {"slug": slug, "name": "Схема-терапия", "description": "Про схемы.", "position": 40},
        staff.admin,
    )
    assert created["errors"] == [], created
    method = created["method"]
    assert (method["slug"], method["name"], method["description"]) == (
        slug,
        "Схема-терапия",
        "Про схемы.",
    )
    data = await gql(client, "{ methods { id } }")
    assert {"id": method["id"]} in data["methods"]
    row = await Method.get(slug=slug)
    (entry,) = await audit_rows("Method", row.id)
    assert entry.action == AuditAction.METHOD_CREATED
    assert entry.changes == {
        "slug": [None, slug],
        "name": [None, "Схема-терапия"],
        "description": [None, "Про схемы."],
        "position": [None, 40],
    }

    taken = await edit(client, "createMethod", {"slug": slug, "name": "Другое"}, staff.admin)
    assert codes(taken) == [("SLUG_TAKEN", "slug")]
    existing = await Method.get(id=1)
    clash = await edit(
        client, "updateMethod", {"methodId": method["id"], "slug": existing.slug}, staff.admin
    )
    assert codes(clash) == [("SLUG_TAKEN", "slug")]

    renamed = await edit(
        client,
        "updateMethod",
        {"methodId": method["id"], "name": "Схемная терапия", "slug": slug},
        staff.admin,
    )
    assert renamed["method"]["name"] == "Схемная терапия"
    _, entry = await audit_rows("Method", row.id)
    assert (entry.action, entry.changes) == (
        AuditAction.METHOD_UPDATED,
        {"name": ["Схема-терапия", "Схемная терапия"]},
    )


@pytest.mark.parametrize(
    ("name", "variables", "expected"),
    [
        ("createMethod", {"slug": "Bad Slug", "name": "X"}, [("INVALID_INPUT", "slug")]),
        ("createMethod", {"slug": "-x", "name": "X"}, [("INVALID_INPUT", "slug")]),
        ("createMethod", {"slug": "x" * 65, "name": "X"}, [("INVALID_INPUT", "slug")]),
        ("createMethod", {"slug": "ok-slug", "name": ""}, [("INVALID_INPUT", "name")]),
        (
            "createMethod",
            {"slug": "ok-slug", "name": "X", "description": "d" * 2001},
            [("INVALID_INPUT", "description")],
        ),
        (
            "createMethod",
            {"slug": "ok-slug", "name": "X", "position": -1},
            [("INVALID_INPUT", "position")],
        ),
        ("createTopic", {"slug": "ok_slug", "name": "X"}, [("INVALID_INPUT", "slug")]),
        ("createTopic", {"slug": "ok-slug", "name": "Y" * 121}, [("INVALID_INPUT", "name")]),
        (
            "createTopic",
            {"slug": "ok-slug", "name": "X", "position": 10_001},
            [("INVALID_INPUT", "position")],
        ),
        ("updateMethod", {"methodId": gid("Method", UNKNOWN)}, [("NOT_FOUND", "methodId")]),
        ("updateMethod", {"methodId": gid("Topic", 1)}, [("NOT_FOUND", "methodId")]),
        ("updateTopic", {"topicId": gid("Topic", UNKNOWN)}, [("NOT_FOUND", "topicId")]),
        ("updateTopic", {"topicId": "???"}, [("NOT_FOUND", "topicId")]),
        ("updateTopic", {"topicId": gid("Topic", 1), "name": " "}, [("INVALID_INPUT", "name")]),
    ],
)
async def test_bad_methods_and_topics_are_refused_with_their_field(
    client: httpx.AsyncClient,
    staff: Staff,
    name: str,
    variables: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    entries = await audit_count()
    payload = await edit(client, name, variables, staff.admin)
    assert codes(payload) == expected
    assert payload["method" if "Method" in name else "topic"] is None
    assert await audit_count() == entries
    assert not await Method.filter(slug="ok-slug").exists()
    assert not await Topic.filter(slug="ok-slug").exists()


async def test_topics_are_created_and_edited(client: httpx.AsyncClient, staff: Staff) -> None:
    slug = f"loneliness-{uuid.uuid4().hex[:6]}"
    created = await edit(client, "createTopic", {"slug": slug, "name": "Одиночество"}, staff.admin)
    assert created["errors"] == [], created
    topic_id = created["topic"]["id"]
    data = await gql(client, "{ topics { id name } }")
    assert {"id": topic_id, "name": "Одиночество"} in data["topics"]
    taken = await edit(client, "createTopic", {"slug": slug, "name": "Дубль"}, staff.admin)
    assert codes(taken) == [("SLUG_TAKEN", "slug")]
    moved = await edit(
        client, "updateTopic", {"topicId": topic_id, "position": 7, "name": "Одиночество"},
        staff.admin,
    )  # fmt: skip
    assert moved["errors"] == []
    row = await Topic.get(slug=slug)
    first, second = await audit_rows("Topic", row.id)
    assert (first.action, first.changes) == (
        AuditAction.TOPIC_CREATED,
        {"slug": [None, slug], "name": [None, "Одиночество"], "position": [None, 0]},
    )
    assert (second.action, second.changes) == (AuditAction.TOPIC_UPDATED, {"position": [0, 7]})


async def test_service_changes_show_in_the_soonest_slots_at_once(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    tag = uuid.uuid4().hex[:8]
    await make_psychologist(full_name=f"Скорая Сессия {tag}")
    variables = {"first": 3, "filter": {"search": tag}}

    async def soonest() -> list[dict[str, Any]]:
        slots: list[dict[str, Any]] = (await gql(client, op("SoonestSlots"), variables))[
            "soonestSlots"
        ]
        return slots

    (first, *_) = await soonest()
    service_id = first["service"]["id"]
    assert first["service"]["price"]["amount"] == "3500.00"
    await set_price(client, staff.admin, service_id, "4100")
    assert {s["service"]["price"]["amount"] for s in await soonest()} == {"4100.00"}
    longer = await edit(
        client, "updateService", {"serviceId": service_id, "durationMinutes": 60}, staff.admin
    )
    assert longer["errors"] == []
    (slot, *_) = await soonest()
    minutes = (
        datetime.fromisoformat(slot["endsAt"]) - datetime.fromisoformat(slot["startsAt"])
    ).total_seconds() / 60
    assert minutes == 60
    await edit(client, "updateService", {"serviceId": service_id, "isActive": False}, staff.admin)
    assert await soonest() == []
