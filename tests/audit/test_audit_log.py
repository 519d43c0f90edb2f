# ruff: noqa: RUF001  (Russian names)
"""The audit log: every admin change leaves a row in its own transaction, with exactly what
changed; ``auditLog`` lists them newest first for admins only, in a constant number of SQL
statements whatever the page size."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import httpx
import pytest
import time_machine
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from app import audit
from app.core.settings import Settings
from app.policy import Actor
from models.audit import AuditAction, AuditEntry
from models.catalogue import Service
from models.enums import Role
from models.identity import User
from schema.relay import to_global_id
from tests.booking.conftest import MakePsychologist, day_at, make_psychologist  # noqa: F401
from tests.catalogue.admin_support import (
    AUDIT_LOG,
    Staff,
    edit,
    make_staff,
    session_id,
    set_price,
)
from tests.factories import SignedIn, fresh_token, signed_in
from tests.helpers import count_sql, error_codes, gql, gql_raw


@pytest.fixture
async def staff(app: Starlette, settings: Settings) -> Staff:
    return await make_staff(settings)


async def _set_price(
    client: httpx.AsyncClient, who: SignedIn, service_id: str, amount: str
) -> None:
    """A price set, refused for nothing."""
    payload = await set_price(client, who, service_id, amount)
    assert payload["errors"] == [], payload


async def test_an_admin_change_is_listed_with_who_what_and_when(
    client: httpx.AsyncClient,
    settings: Settings,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    service_id = to_global_id("Service", service.id)
    with time_machine.travel(day_at(1, 12), tick=False):
        token = await fresh_token(settings, staff.admin.user)
        await _set_price(client, SignedIn(staff.admin.user, token), service_id, "4000")
    with time_machine.travel(day_at(1, 13), tick=False):
        token = await fresh_token(settings, staff.admin.user)
        await _set_price(client, SignedIn(staff.admin.user, token), service_id, "4100.50")
        data = await gql(client, AUDIT_LOG, {"subjectId": service_id}, token)

    log = data["auditLog"]
    assert log["totalCount"] == 2
    assert log["pageInfo"]["hasNextPage"] is False
    actor = {"displayName": "Админ Анна", "email": staff.admin.user.email, "role": "ADMIN"}
    assert [e["node"] for e in log["edges"]] == [
        {
            "actor": actor,
            "action": "SERVICE_PRICE_SET",
            "subjectType": "Service",
            "subjectId": service_id,
            "at": day_at(1, 13).isoformat(),
            "changes": [{"field": "price", "before": "4000.00", "after": "4100.50"}],
        },
        {
            "actor": actor,
            "action": "SERVICE_PRICE_SET",
            "subjectType": "Service",
            "subjectId": service_id,
            "at": day_at(1, 12).isoformat(),
            "changes": [{"field": "price", "before": "3500.00", "after": "4000.00"}],
        },
    ]


async def test_the_log_pages_newest_first_and_narrows_to_a_subject(
    client: httpx.AsyncClient,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    service_id = await session_id(p)
    for amount in ("1", "2", "3", "4", "5"):
        await _set_price(client, staff.admin, service_id, amount)
    profile = {"psychologistId": to_global_id("Psychologist", p.id), "bio": "Новое о себе"}
    await edit(client, "updatePsychologist", profile, staff.admin)

    seen: list[str | None] = []
    after = None
    while True:
        page = await gql(
            client, AUDIT_LOG, {"subjectId": service_id, "first": 2, "after": after},
            staff.admin.token,
        )  # fmt: skip
        log = page["auditLog"]
        seen += [e["node"]["changes"][0]["after"] for e in log["edges"]]
        if not log["pageInfo"]["hasNextPage"]:
            break
        after = log["pageInfo"]["endCursor"]
    assert seen == ["5.00", "4.00", "3.00", "2.00", "1.00"]

    person = to_global_id("Psychologist", p.id)
    by_person = await gql(client, AUDIT_LOG, {"subjectId": person}, staff.admin.token)
    (entry,) = [e["node"] for e in by_person["auditLog"]["edges"]]
    assert (entry["action"], entry["subjectId"]) == ("PSYCHOLOGIST_UPDATED", person)
    assert entry["changes"] == [{"field": "bio", "before": "", "after": "Новое о себе"}]
    by_type = await gql(
        client, AUDIT_LOG, {"subjectType": "Psychologist", "first": 100}, staff.admin.token
    )
    assert {e["node"]["subjectType"] for e in by_type["auditLog"]["edges"]} == {"Psychologist"}
    contradiction = await gql(
        client, AUDIT_LOG, {"subjectType": "Method", "subjectId": person}, staff.admin.token
    )
    assert contradiction["auditLog"]["edges"] == []
    assert contradiction["auditLog"]["totalCount"] == 0


@pytest.mark.parametrize(
    "variables",
    [
        {"after": "bm90LWEtY3Vyc29y"},
        {"subjectType": "x" * 41},
        {"subjectType": ""},
        {"subjectId": "x" * 65},
        {"first": -1},
    ],
)
async def test_bad_arguments_are_bad_user_input(
    client: httpx.AsyncClient, staff: Staff, variables: dict[str, object]
) -> None:
    body = await gql_raw(client, AUDIT_LOG, variables, staff.admin.token)
    assert error_codes(body) == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize("role", ["CLIENT", "PSYCHOLOGIST", "CARE_AGENT", "anonymous"])
async def test_only_admins_read_the_audit_log(
    client: httpx.AsyncClient, staff: Staff, role: str
) -> None:
    token = None if role == "anonymous" else staff.refused()[role].token
    body = await gql_raw(client, AUDIT_LOG, {}, token)
    assert error_codes(body) == ["UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"]
    assert body["data"] is None


async def test_the_log_takes_the_same_statements_for_one_entry_or_many(
    client: httpx.AsyncClient,
    settings: Settings,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    service_id = await session_id(p)
    admins: list[SignedIn] = [await signed_in(settings, Role.ADMIN, f"Админ {n}") for n in range(4)]
    for n, admin in enumerate(admins * 2):
        await _set_price(client, admin, service_id, f"{100 + n}")
    reader = admins[0]

    async def read(first: int) -> tuple[int, int]:
        with count_sql() as sql:
            data = await gql(client, AUDIT_LOG, {"first": first}, reader.token)
        edges = data["auditLog"]["edges"]
        assert all(e["node"]["actor"] is not None for e in edges)
        return len(edges), sql.count

    one, many = await read(1), await read(8)
    assert (one[0], many[0]) == (1, 8)
    assert one[1] == many[1], (one, many)


async def test_a_deleted_actor_leaves_the_entry_without_one(
    client: httpx.AsyncClient,
    settings: Settings,
    staff: Staff,
    make_psychologist: MakePsychologist,  # noqa: F811
) -> None:
    p = await make_psychologist()
    service_id = await session_id(p)
    gone = await signed_in(settings, Role.ADMIN, "Уволенный")
    await _set_price(client, gone, service_id, "999")
    await User.filter(id=gone.user.id).delete()
    data = await gql(client, AUDIT_LOG, {"subjectId": service_id}, staff.admin.token)
    (entry,) = [e["node"] for e in data["auditLog"]["edges"]]
    assert entry["actor"] is None
    assert entry["changes"] == [{"field": "price", "before": "3500.00", "after": "999.00"}]


# --- app.audit.record, for the other parts of the back office -------------------------------


class Colour(StrEnum):
    RED = "RED"


async def test_values_are_recorded_in_a_json_safe_form(staff: Staff) -> None:
    who = Actor(staff.admin.user.id, Role.ADMIN)
    changes = {
        "price": [Decimal("1.50"), Decimal("2")],
        "heldOn": [None, date(2026, 3, 1)],
        "colour": [None, Colour.RED],
        "panel": [("b", "a"), {"z", "y"}],
    }
    row = await audit.record(who, AuditAction.SERVICE_UPDATED, "Thing", 7, changes)
    stored = await AuditEntry.get(id=row.id)
    assert stored.changes == {
        "price": ["1.50", "2"],
        "heldOn": [None, "2026-03-01"],
        "colour": [None, "RED"],
        "panel": [["b", "a"], ["y", "z"]],
    }
    assert (stored.subject_type, stored.subject_id, stored.actor_id) == ("Thing", "7", who.user_id)


@pytest.mark.parametrize("field", ["phone", "phoneE164", "accessToken", "password", "text"])
async def test_personal_data_and_secrets_are_never_recorded(staff: Staff, field: str) -> None:
    before = await AuditEntry.all().count()
    with pytest.raises(ValueError, match="never records"):
        await audit.record(None, AuditAction.SERVICE_UPDATED, "Thing", 1, {field: ["a", "b"]})
    with pytest.raises(TypeError):
        await audit.record(None, "SERVICE_UPDATED", "Thing", 1, {})  # type: ignore[arg-type]
    assert await AuditEntry.all().count() == before


@pytest.mark.parametrize("explicit", [True, False], ids=["using_db", "ambient"])
async def test_the_record_is_part_of_the_callers_transaction(staff: Staff, explicit: bool) -> None:
    class Undone(Exception):
        pass

    async def change_then_fail() -> None:
        async with in_transaction() as conn:
            await audit.record(
                None,
                AuditAction.METHOD_UPDATED,
                "Method",
                1,
                {"name": ["a", "b"]},
                using_db=conn if explicit else None,
            )
            raise Undone

    before = await AuditEntry.all().count()
    with pytest.raises(Undone):
        await change_then_fail()
    assert await AuditEntry.all().count() == before
