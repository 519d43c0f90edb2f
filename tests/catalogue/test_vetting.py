# ruff: noqa: RUF001  (Russian names and messages)
"""Vetting through the API (issue 14): the admission rules, the states, suspension.

Admins create psychologists, record their documents and test sessions, approve, suspend,
reinstate and reject them; every other role is refused at the top level. Psychologists
made here that end up APPROVED are suspended after each test, so that the catalogue tests
(which count the visible ones) never see them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from app import policy
from app.catalogue import vetting
from app.core.settings import Settings
from models.booking import Booking, BookingStatus
from models.catalogue import IntervisionAttendance, Method, Psychologist, Service, Topic
from models.enums import CredentialKind, Role, VettingStatus
from schema.catalogue.types import slot_id
from schema.relay import decode_id, to_global_id
from tests.booking.conftest import MakePsychologist, day_at, make_psychologist  # noqa: F401
from tests.factories import SignedIn, fresh_token, signed_in
from tests.helpers import count_sql, error_codes, gql, gql_raw, op

ENGLISH = {"Accept-Language": "en"}
ALL_RULES = ["DIPLOMA", "METHOD_CERTIFICATE", "PRACTICE_YEARS", "TEST_SESSION", "PERSONAL_THERAPY"]
STATUS = "query($id: ID!) { node(id: $id) { ... on Psychologist { vettingStatus } } }"
ADMIN_VIEW = """
query($id: ID!) {
  node(id: $id) {
    ... on Psychologist { id vettingStatus vettingNote practiceSince missedIntervisionMonths }
  }
}
"""
REINSTATE = """
mutation($id: ID!) {
  reinstatePsychologist(input: { psychologistId: $id }) {
    psychologist { id vettingStatus }
    checklist { rule met detail }
    errors { code message field }
  }
}
"""
REJECT = """
mutation($id: ID!, $reason: String!) {
  rejectPsychologist(input: { psychologistId: $id, reason: $reason }) {
    psychologist { id vettingStatus }
    errors { code message field }
  }
}
"""
INTERVISION = """
mutation($id: ID!, $month: String!) {
  recordIntervision(input: { psychologistId: $id, month: $month }) {
    psychologist { id missedIntervisionMonths }
    errors { code message field }
  }
}
"""
BOOKINGS = """
query($id: ID!, $first: Int, $after: String, $upcomingOnly: Boolean! = false) {
  psychologistBookings(psychologistId: $id, first: $first, after: $after,
                       upcomingOnly: $upcomingOnly) {
    edges { node { id status startsAt service { kind } psychologist { id vettingStatus } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
QUEUE = """
query($status: VettingStatus!, $first: Int) {
  vettingQueue(status: $status, first: $first) {
    totalCount
    edges { node { id fullName vettingStatus missedIntervisionMonths methods { name } } }
  }
}
"""


@pytest.fixture(autouse=True)
async def _hide_approved_afterwards(app: object) -> AsyncIterator[None]:
    last = await Psychologist.all().order_by("-id").first()
    start = last.id if last else 0
    yield
    await Psychologist.filter(id__gt=start, vetting_status=VettingStatus.APPROVED).update(
        vetting_status=VettingStatus.SUSPENDED
    )


@pytest.fixture
async def admin(settings: Settings) -> SignedIn:
    return await signed_in(settings, Role.ADMIN, "Администратор")


async def _refs() -> tuple[str, str, str]:
    method = await Method.all().order_by("id").first()
    topic = await Topic.all().order_by("id").first()
    assert method is not None
    assert topic is not None
    return to_global_id("Method", method.id), to_global_id("Topic", topic.id), method.name


def _years_ago(years: int, days: int = 0) -> str:
    today = datetime.now(UTC).date()
    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


async def _create(
    client: httpx.AsyncClient, token: str, headers: dict[str, str] | None = None, **over: Any
) -> dict[str, Any]:
    method, topic, _name = await _refs()
    variables = {
        "fullName": f"Анна Тестова {uuid.uuid4().hex[:6]}",
        "bio": "Работаю с тревогой.",
        "timeZone": "Europe/Moscow",
        "practiceSince": _years_ago(5),
        "methodIds": [method],
        "topicIds": [topic],
        **over,
    }
    data = await gql(client, op("CreatePsychologist"), variables, token, headers)
    result: dict[str, Any] = data["createPsychologist"]
    return result


async def _created(client: httpx.AsyncClient, token: str, **over: Any) -> str:
    payload = await _create(client, token, **over)
    assert payload["errors"] == [], payload
    assert payload["psychologist"]["vettingStatus"] == "APPLIED"
    pid: str = payload["psychologist"]["id"]
    return pid


async def _credential(
    client: httpx.AsyncClient,
    token: str,
    pid: str,
    kind: str,
    hours: int,
    method_id: str | None = None,
    title: str = "Документ",
) -> dict[str, Any]:
    variables = {
        "psychologistId": pid,
        "kind": kind,
        "title": title,
        "hours": hours,
        "methodId": method_id,
    }
    data = await gql(client, op("RecordCredential"), variables, token)
    result: dict[str, Any] = data["recordCredential"]
    return result


async def _test_session(
    client: httpx.AsyncClient,
    token: str,
    pid: str,
    passed: bool,
    held_on: str | None = None,
    panel: list[str] | None = None,
) -> dict[str, Any]:
    variables = {
        "psychologistId": pid,
        "passed": passed,
        "panel": panel if panel is not None else ["Ирина Васнецова", "Олег Миронов"],
        "heldOn": held_on or datetime.now(UTC).date().isoformat(),
    }
    data = await gql(client, op("RecordTestSession"), variables, token)
    result: dict[str, Any] = data["recordTestSession"]
    return result


async def _approve(
    client: httpx.AsyncClient, token: str, pid: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    data = await gql(client, op("ApprovePsychologist"), {"psychologistId": pid}, token, headers)
    result: dict[str, Any] = data["approvePsychologist"]
    return result


async def _status(client: httpx.AsyncClient, token: str, pid: str) -> str | None:
    data = await gql(client, STATUS, {"id": pid}, token)
    node = data["node"]
    return None if node is None else node["vettingStatus"]


async def _record_all(
    client: httpx.AsyncClient,
    token: str,
    pid: str,
    *,
    diploma: int = 1100,
    certificate: int = 700,
    with_method: bool = True,
    therapy: tuple[int, ...] = (150,),
    passed: bool = True,
) -> None:
    method, _topic, _name = await _refs()
    for kind, hours, method_id in (
        ("DIPLOMA", diploma, None),
        ("METHOD_CERTIFICATE", certificate, method if with_method else None),
        *(("PERSONAL_THERAPY", h, None) for h in therapy),
    ):
        if kind == "METHOD_CERTIFICATE" and not with_method:
            kind = "SUPERVISION"  # a document, but no certificate of a method
        payload = await _credential(client, token, pid, kind, hours, method_id)
        assert payload["errors"] == [], payload
    assert (await _test_session(client, token, pid, passed))["errors"] == []


def _checklist(payload: dict[str, Any]) -> dict[str, bool]:
    return {item["rule"]: item["met"] for item in payload["checklist"]}


def _codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


# --- the whole path ------------------------------------------------------------------------


async def test_the_record_moves_an_applicant_to_approval(
    client: httpx.AsyncClient, admin: SignedIn, settings: Settings
) -> None:
    method, _topic, method_name = await _refs()
    pid = await _created(client, admin.token)
    client_user = await signed_in(settings, Role.CLIENT)

    # Documents one by one: the state moves only when all the document rules hold.
    diploma = await _credential(client, admin.token, pid, "DIPLOMA", 1100, title="Диплом")
    assert diploma["errors"] == []
    assert diploma["credential"] == {"kind": "DIPLOMA", "title": "Диплом", "hours": 1100}
    await _credential(client, admin.token, pid, "METHOD_CERTIFICATE", 700, method)
    await _credential(client, admin.token, pid, "PERSONAL_THERAPY", 100)
    assert await _status(client, admin.token, pid) == "APPLIED"
    await _credential(client, admin.token, pid, "PERSONAL_THERAPY", 50)  # summed: 150
    assert await _status(client, admin.token, pid) == "DOCUMENTS_VERIFIED"

    refused = await _approve(client, admin.token, pid)
    assert _codes(refused) == [("VETTING_INCOMPLETE", "psychologistId")]
    assert refused["psychologist"] is None
    assert _checklist(refused) == {
        "DIPLOMA": True,
        "METHOD_CERTIFICATE": True,
        "PRACTICE_YEARS": True,
        "TEST_SESSION": False,
        "PERSONAL_THERAPY": True,
    }

    failed = await _test_session(client, admin.token, pid, passed=False)
    assert failed["psychologist"]["vettingStatus"] == "DOCUMENTS_VERIFIED"
    passed = await _test_session(client, admin.token, pid, passed=True)
    assert passed["errors"] == []
    assert passed["psychologist"]["vettingStatus"] == "TEST_SESSION_PASSED"
    # Not visible to clients before approval.
    assert (await gql(client, STATUS, {"id": pid}, client_user.token))["node"] is None

    approved = await _approve(client, admin.token, pid, ENGLISH)
    assert approved["errors"] == []
    assert approved["psychologist"] == {"id": pid, "vettingStatus": "APPROVED"}
    assert [i["rule"] for i in approved["checklist"]] == ALL_RULES
    assert all(i["met"] for i in approved["checklist"])
    details = {i["rule"]: i["detail"] for i in approved["checklist"]}
    assert (
        details["METHOD_CERTIFICATE"] == f"Certificate in {method_name} of 700 h (at least 700 h)."
    )
    assert details["PERSONAL_THERAPY"] == "150 h of personal therapy (at least 150 h)."

    # Clients see the approved psychologist now, without the vetting state.
    seen = await gql(client, STATUS, {"id": pid}, client_user.token)
    assert seen["node"] == {"vettingStatus": None}
    # Approving twice is no move of the state machine.
    again = await _approve(client, admin.token, pid)
    assert _codes(again) == [("VETTING_TRANSITION", "psychologistId")]
    assert all(_checklist(again).values())


async def test_a_test_session_recorded_first_counts_when_the_documents_arrive(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    pid = await _created(client, admin.token)
    early = await _test_session(client, admin.token, pid, passed=True)
    assert early["psychologist"]["vettingStatus"] == "APPLIED"
    method, _topic, _name = await _refs()
    await _credential(client, admin.token, pid, "DIPLOMA", 4320)
    await _credential(client, admin.token, pid, "METHOD_CERTIFICATE", 960, method)
    await _credential(client, admin.token, pid, "PERSONAL_THERAPY", 200)
    assert await _status(client, admin.token, pid) == "TEST_SESSION_PASSED"


@pytest.mark.parametrize(
    ("unmet", "record"),
    [
        ("DIPLOMA", {"diploma": 1099}),
        ("METHOD_CERTIFICATE", {"certificate": 699}),
        ("METHOD_CERTIFICATE", {"with_method": False}),
        ("PERSONAL_THERAPY", {"therapy": (100, 49)}),
        ("TEST_SESSION", {"passed": False}),
        ("PRACTICE_YEARS", {"practice": _years_ago(3, days=-1)}),
    ],
)
async def test_each_rule_unmet_refuses_approval(
    client: httpx.AsyncClient, admin: SignedIn, unmet: str, record: dict[str, Any]
) -> None:
    practice = record.pop("practice", _years_ago(5))
    pid = await _created(client, admin.token, practiceSince=practice)
    await _record_all(client, admin.token, pid, **record)
    refused = await _approve(client, admin.token, pid)
    assert _codes(refused) == [("VETTING_INCOMPLETE", "psychologistId")]
    assert _checklist(refused) == {rule: rule != unmet for rule in ALL_RULES}
    assert await _status(client, admin.token, pid) != "APPROVED"


async def test_checklist_details_speak_the_callers_language(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    pid = await _created(client, admin.token, practiceSince="2020-03-15")
    await _credential(client, admin.token, pid, "PERSONAL_THERAPY", 149)
    english = await _approve(client, admin.token, pid, ENGLISH)
    details = {i["rule"]: i["detail"] for i in english["checklist"]}
    assert details["PERSONAL_THERAPY"] == "149 h of personal therapy, 150 h needed."
    assert details["DIPLOMA"] == "No diploma in psychology of at least 1100 h (longest: 0 h)."
    assert details["TEST_SESSION"] == "No passed test session (0 failed)."
    assert english["errors"][0]["message"] == "Not every admission rule is met: see the checklist."
    russian = await _approve(client, admin.token, pid)
    details = {i["rule"]: i["detail"] for i in russian["checklist"]}
    assert details["PERSONAL_THERAPY"] == "Личная терапия: 149 ч, нужно 150 ч."


async def test_three_years_of_practice_are_judged_against_the_clock(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    with time_machine.travel(datetime(2023, 3, 14, 12, tzinfo=UTC), tick=False):
        boss = await signed_in(settings, Role.ADMIN, "Администратор")
        pid = await _created(client, boss.token, practiceSince="2020-03-15")
        await _record_all(client, boss.token, pid)
        assert await _status(client, boss.token, pid) == "APPLIED"  # a day short
        refused = await _approve(client, boss.token, pid, ENGLISH)
        assert _checklist(refused) == {r: r != "PRACTICE_YEARS" for r in ALL_RULES}
        detail = {i["rule"]: i["detail"] for i in refused["checklist"]}["PRACTICE_YEARS"]
        assert detail == "Practice since 2020-03-15: 2 full years, 3 needed (from 2023-03-15)."
    with time_machine.travel(datetime(2023, 3, 15, 0, 0, 1, tzinfo=UTC), tick=False):
        token = await fresh_token(settings, boss.user)
        approved = await _approve(client, token, pid)
        assert approved["errors"] == []
        assert approved["psychologist"]["vettingStatus"] == "APPROVED"


def test_full_years_on_leap_days() -> None:
    start = date(2020, 2, 29)
    assert vetting.full_years(start, date(2023, 2, 28)) == 2
    assert vetting.full_years(start, date(2023, 3, 1)) == 3
    assert vetting.full_years(date(2020, 3, 15), date(2023, 3, 15)) == 3


# --- suspension, reinstatement, rejection ---------------------------------------------------


async def test_suspension_hides_at_once_and_keeps_the_bookings(
    client: httpx.AsyncClient,
    admin: SignedIn,
    settings: Settings,
    make_psychologist: MakePsychologist,  # noqa: F811 - the booking suite's fixture
) -> None:
    name = f"Скрываемая Психологиня {uuid.uuid4().hex[:6]}"
    p = await make_psychologist(full_name=name, practice_started_on=date(2015, 1, 1))
    service = await Service.get(psychologist_id=p.id)
    pid = to_global_id("Psychologist", p.id)
    owner = await signed_in(settings, Role.CLIENT)
    booked = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, day_at(3, 10)), "idempotencyKey": uuid.uuid4().hex},
        owner.token,
    )
    booking_id = booked["bookSlot"]["booking"]["id"]
    search = {"search": name}
    window = {"id": pid, "from": day_at(1, 0).isoformat(), "to": day_at(8, 0).isoformat()}

    async def visible() -> tuple[int, int, bool]:
        catalogue = await gql(client, op("Catalogue"), {"filter": search, "first": 5}, owner.token)
        soonest = await gql(client, op("SoonestSlots"), {"first": 5, "filter": search}, owner.token)
        profile = await gql(client, op("PsychologistProfile"), window, owner.token)
        return (
            len(catalogue["psychologists"]["edges"]),
            len(soonest["soonestSlots"]),
            profile["node"] is not None,
        )

    assert await visible() == (1, 1, True)
    suspended = await gql(
        client,
        op("SuspendPsychologist"),
        {"psychologistId": pid, "reason": "Жалоба клиента"},
        admin.token,
    )
    assert suspended["suspendPsychologist"] == {
        "psychologist": {"id": pid, "vettingStatus": "SUSPENDED"},
        "errors": [],
    }
    assert await visible() == (0, 0, False)
    # No new booking; the existing one is untouched and the client still has it.
    again = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, day_at(4, 10)), "idempotencyKey": uuid.uuid4().hex},
        owner.token,
    )
    assert [e["code"] for e in again["bookSlot"]["errors"]] == ["PSYCHOLOGIST_UNAVAILABLE"]
    row = await Booking.get(id=decode_id(booking_id, "Booking"))
    assert row.status == BookingStatus.CONFIRMED
    mine = await gql(client, op("MyBookings"), {"first": 10}, owner.token)
    assert booking_id in [e["node"]["id"] for e in mine["viewer"]["bookings"]["edges"]]
    # Admins see the booking with the suspended psychologist, and the reason.
    listed = await gql(client, BOOKINGS, {"id": pid, "upcomingOnly": True}, admin.token)
    edges = listed["psychologistBookings"]["edges"]
    assert [e["node"]["id"] for e in edges] == [booking_id]
    assert edges[0]["node"]["psychologist"] == {"id": pid, "vettingStatus": "SUSPENDED"}
    viewed = await gql(client, ADMIN_VIEW, {"id": pid}, admin.token)
    assert viewed["node"]["vettingNote"] == "Жалоба клиента"

    # Reinstating needs the checklist to hold: this psychologist has no documents yet.
    refused = await gql(client, REINSTATE, {"id": pid}, admin.token)
    assert _codes(refused["reinstatePsychologist"]) == [("VETTING_INCOMPLETE", "psychologistId")]
    assert _checklist(refused["reinstatePsychologist"]) == {
        "DIPLOMA": False,
        "METHOD_CERTIFICATE": False,
        "PRACTICE_YEARS": True,
        "TEST_SESSION": False,
        "PERSONAL_THERAPY": False,
    }
    await _record_all(client, admin.token, pid)
    assert await _status(client, admin.token, pid) == "SUSPENDED"  # records move no approval
    back = await gql(client, REINSTATE, {"id": pid}, admin.token)
    assert back["reinstatePsychologist"]["errors"] == []
    assert back["reinstatePsychologist"]["psychologist"]["vettingStatus"] == "APPROVED"
    assert await visible() == (1, 1, True)


async def test_rejection_before_approval_and_illegal_moves(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    pid = await _created(client, admin.token)
    # Suspending or reinstating an applicant is no move of the table.
    suspend = await gql(
        client, op("SuspendPsychologist"), {"psychologistId": pid, "reason": "x"}, admin.token
    )
    assert _codes(suspend["suspendPsychologist"]) == [("VETTING_TRANSITION", "psychologistId")]
    reinstate = await gql(client, REINSTATE, {"id": pid}, admin.token)
    assert _codes(reinstate["reinstatePsychologist"]) == [("VETTING_TRANSITION", "psychologistId")]
    assert len(reinstate["reinstatePsychologist"]["checklist"]) == 5
    empty = await gql(client, REJECT, {"id": pid, "reason": "  "}, admin.token)
    assert _codes(empty["rejectPsychologist"]) == [("INVALID_INPUT", "reason")]
    rejected = await gql(client, REJECT, {"id": pid, "reason": "Нет диплома"}, admin.token)
    assert rejected["rejectPsychologist"]["psychologist"]["vettingStatus"] == "REJECTED"
    twice = await gql(client, REJECT, {"id": pid, "reason": "Снова"}, admin.token)
    assert _codes(twice["rejectPsychologist"]) == [("VETTING_TRANSITION", "psychologistId")]
    # A rejected psychologist is not approved even with a full record.
    await _record_all(client, admin.token, pid)
    assert await _status(client, admin.token, pid) == "REJECTED"
    refused = await _approve(client, admin.token, pid)
    assert _codes(refused) == [("VETTING_TRANSITION", "psychologistId")]
    assert all(_checklist(refused).values())


async def test_an_approved_psychologist_cannot_be_rejected(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    pid = await _created(client, admin.token)
    await _record_all(client, admin.token, pid)
    assert (await _approve(client, admin.token, pid))["errors"] == []
    rejected = await gql(client, REJECT, {"id": pid, "reason": "Поздно"}, admin.token)
    assert _codes(rejected["rejectPsychologist"]) == [("VETTING_TRANSITION", "psychologistId")]


def test_the_transition_table() -> None:
    s, a = VettingStatus, vetting.VettingAction
    assert vetting.next_status(s.TEST_SESSION_PASSED, a.APPROVE) == s.APPROVED
    assert vetting.next_status(s.APPLIED, a.APPROVE) is None
    assert vetting.next_status(s.SUSPENDED, a.REINSTATE) == s.APPROVED
    assert vetting.next_status(s.APPROVED, a.REJECT) is None
    assert {src for (src, act) in vetting.TRANSITIONS if act == a.REJECT} == vetting.PRE_APPROVAL
    for status in (s.REJECTED,):
        assert all(vetting.next_status(status, act) is None for act in a)


# --- intervision -------------------------------------------------------------------------


async def test_a_missed_intervision_month_is_flagged_to_admins(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    with time_machine.travel(datetime(2026, 1, 20, 12, tzinfo=UTC), tick=False):
        boss = await signed_in(settings, Role.ADMIN, "Администратор")
        pid = await _created(client, boss.token, practiceSince="2019-05-01")
        await _record_all(client, boss.token, pid)
        assert (await _approve(client, boss.token, pid))["errors"] == []
        viewed = await gql(client, ADMIN_VIEW, {"id": pid}, boss.token)
        assert viewed["node"]["missedIntervisionMonths"] == []  # January is not over
        assert viewed["node"]["practiceSince"] == "2019-05-01"
    with time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=UTC), tick=False):
        token = await fresh_token(settings, boss.user)
        viewed = await gql(client, ADMIN_VIEW, {"id": pid}, token)
        # January began before the approval; February and March are over, unattended.
        assert viewed["node"]["missedIntervisionMonths"] == ["2026-02", "2026-03"]
        done = await gql(client, INTERVISION, {"id": pid, "month": "2026-02"}, token)
        assert done["recordIntervision"]["errors"] == []
        assert done["recordIntervision"]["psychologist"]["missedIntervisionMonths"] == ["2026-03"]
        twice = await gql(client, INTERVISION, {"id": pid, "month": "2026-02"}, token)
        assert _codes(twice["recordIntervision"]) == [("INTERVISION_ALREADY_RECORDED", "month")]
        for bad in ("2026-05", "2026-13", "март", "2026-3", "x" * 100):
            refused = await gql(client, INTERVISION, {"id": pid, "month": bad}, token)
            assert _codes(refused["recordIntervision"]) == [("INVALID_INPUT", "month")], bad
        # Clients never see the flag.
        someone = await signed_in(settings, Role.CLIENT)
        hidden = await gql(client, ADMIN_VIEW, {"id": pid}, someone.token)
        assert hidden["node"] == {
            "id": pid,
            "vettingStatus": None,
            "vettingNote": None,
            "practiceSince": "2019-05-01",
            "missedIntervisionMonths": None,
        }
    assert (
        await IntervisionAttendance.filter(psychologist_id=decode_id(pid, "Psychologist")).count()
        == 1
    )


# --- lists for the back office: SQL count constant ----------------------------------------


async def test_the_vetting_queue_and_bookings_cost_constant_sql(
    client: httpx.AsyncClient,
    admin: SignedIn,
    settings: Settings,
    make_psychologist: MakePsychologist,  # noqa: F811 - the booking suite's fixture
) -> None:
    for _ in range(4):
        await _created(client, admin.token)

    async def queue(first: int) -> int:
        with count_sql() as sql:
            data = await gql(client, QUEUE, {"status": "APPLIED", "first": first}, admin.token)
        assert len(data["vettingQueue"]["edges"]) == first
        assert all(e["node"]["vettingStatus"] == "APPLIED" for e in data["vettingQueue"]["edges"])
        return sql.count

    assert await queue(2) == await queue(4)

    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    for day in (2, 3, 4, 5, 6, 7):
        owner = await signed_in(settings, Role.CLIENT)  # a client holds few bookings at once
        await gql(
            client,
            op("BookSlot"),
            {
                "slotId": slot_id(p.id, service.id, day_at(day, 10)),
                "idempotencyKey": uuid.uuid4().hex,
            },
            owner.token,
        )
    pid = to_global_id("Psychologist", p.id)

    async def bookings(first: int) -> tuple[int, dict[str, Any]]:
        with count_sql() as sql:
            data = await gql(client, BOOKINGS, {"id": pid, "first": first}, admin.token)
        return sql.count, data["psychologistBookings"]

    small, page = await bookings(2)
    large, _ = await bookings(5)
    assert small == large
    # The last page also looks past the upcoming ones (one statement more, whatever its size).
    last, full = await bookings(10)
    assert last == small + 1
    assert page["pageInfo"]["hasNextPage"] is True
    assert len(full["edges"]) == 6
    assert full["pageInfo"]["hasNextPage"] is False
    rest = await gql(
        client,
        BOOKINGS,
        {"id": pid, "first": 2, "after": page["pageInfo"]["endCursor"]},
        admin.token,
    )
    ids = [e["node"]["id"] for e in page["edges"] + rest["psychologistBookings"]["edges"]]
    assert ids == [e["node"]["id"] for e in full["edges"]][:4]


# --- who may: admins only -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PSYCHOLOGIST, Role.CARE_AGENT])
async def test_only_admins_vet(
    client: httpx.AsyncClient, admin: SignedIn, settings: Settings, role: Role
) -> None:
    pid = await _created(client, admin.token)
    other = await signed_in(settings, role)
    attempts = [
        (
            op("CreatePsychologist"),
            {
                "fullName": "Чужой",
                "bio": "",
                "timeZone": "UTC",
                "practiceSince": "2015-01-01",
                "methodIds": [],
                "topicIds": [],
            },
        ),
        (
            op("RecordCredential"),
            {"psychologistId": pid, "kind": "DIPLOMA", "title": "Д", "hours": 5000},
        ),
        (
            op("RecordTestSession"),
            {"psychologistId": pid, "passed": True, "panel": ["Я"], "heldOn": "2025-01-01"},
        ),
        (op("ApprovePsychologist"), {"psychologistId": pid}),
        (op("SuspendPsychologist"), {"psychologistId": pid, "reason": "x"}),
        (REINSTATE, {"id": pid}),
        (REJECT, {"id": pid, "reason": "x"}),
        (INTERVISION, {"id": pid, "month": "bad"}),
        (QUEUE, {"status": "APPLIED"}),
        (BOOKINGS, {"id": pid}),
    ]
    for query, variables in attempts:
        body = await gql_raw(client, query, variables, token=other.token)
        assert error_codes(body) == ["FORBIDDEN"], (query, body)
    assert await _status(client, admin.token, pid) == "APPLIED"
    assert await _status(client, other.token, pid) is None  # an applicant is no node for them
    anonymous = await gql_raw(client, op("ApprovePsychologist"), {"psychologistId": pid})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


def test_the_policy_lets_admins_only_vet() -> None:
    for role in Role:
        actor = policy.Actor(user_id=1, role=role)
        assert policy.can_vet_psychologists(actor) is (role == Role.ADMIN)


# --- hostile input ------------------------------------------------------------------------


async def test_create_validates_its_input(client: httpx.AsyncClient, admin: SignedIn) -> None:
    method, topic, _name = await _refs()
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"fullName": "  "}, ("INVALID_INPUT", "fullName")),
        ({"fullName": "Я" * 161}, ("INVALID_INPUT", "fullName")),
        ({"bio": "б" * 4001}, ("INVALID_INPUT", "bio")),
        ({"timeZone": "Mars/Olympus"}, ("INVALID_INPUT", "timeZone")),
        ({"timeZone": "../../etc/passwd"}, ("INVALID_INPUT", "timeZone")),
        ({"practiceSince": "2999-01-01"}, ("INVALID_INPUT", "practiceSince")),
        ({"practiceSince": "1900-01-01"}, ("INVALID_INPUT", "practiceSince")),
        ({"methodIds": [to_global_id("Method", 999_999)]}, ("UNKNOWN_METHOD", "methodIds")),
        ({"methodIds": [topic]}, ("INVALID_INPUT", "methodIds")),
        ({"methodIds": ["не-id"]}, ("INVALID_INPUT", "methodIds")),
        ({"methodIds": [method] * 21}, ("INVALID_INPUT", "methodIds")),
        ({"topicIds": [to_global_id("Topic", 999_999)]}, ("UNKNOWN_TOPIC", "topicIds")),
        ({"topicIds": [method]}, ("INVALID_INPUT", "topicIds")),
    ]
    for over, expected in cases:
        payload = await _create(client, admin.token, **over)
        assert payload["psychologist"] is None, over
        assert _codes(payload) == [expected], over
    # A date that is not YYYY-MM-DD is refused by the scalar itself.
    body = await gql_raw(
        client,
        op("CreatePsychologist"),
        {
            "fullName": "Имя",
            "bio": "",
            "timeZone": "UTC",
            "practiceSince": "20150101",
            "methodIds": [],
            "topicIds": [],
        },
        token=admin.token,
    )
    assert body.get("errors"), body


async def test_slugs_are_unique_and_transliterated(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    tail = uuid.uuid4().hex[:6]
    first = await _created(client, admin.token, fullName=f"Пётр Щукин-Ёлкин {tail}")
    second = await _created(client, admin.token, fullName=f"Пётр Щукин-Ёлкин {tail}")
    slugs = [
        (await Psychologist.get(id=decode_id(pid, "Psychologist"))).slug for pid in (first, second)
    ]
    assert slugs == [f"petr-shchukin-elkin-{tail}", f"petr-shchukin-elkin-{tail}-2"]
    assert vetting.slug_base("李小龍") == "psychologist"
    assert vetting.slug_base("Anne-Marie O'Neil") == "anne-marie-o-neil"


async def test_record_inputs_are_checked(client: httpx.AsyncClient, admin: SignedIn) -> None:
    pid = await _created(client, admin.token)
    method, topic, _name = await _refs()
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"hours": 0}, ("INVALID_INPUT", "hours")),
        ({"hours": 20_001}, ("INVALID_INPUT", "hours")),
        ({"title": ""}, ("INVALID_INPUT", "title")),
        ({"title": "т" * 256}, ("INVALID_INPUT", "title")),
        ({"kind": "METHOD_CERTIFICATE"}, ("INVALID_INPUT", "methodId")),
        ({"kind": "METHOD_CERTIFICATE", "methodId": topic}, ("UNKNOWN_METHOD", "methodId")),
        (
            {"kind": "METHOD_CERTIFICATE", "methodId": to_global_id("Method", 999_999)},
            ("UNKNOWN_METHOD", "methodId"),
        ),
        ({"kind": "DIPLOMA", "methodId": method}, ("INVALID_INPUT", "methodId")),
        ({"kind": "INTERVISION"}, ("INVALID_INPUT", "kind")),
        (
            {"psychologistId": to_global_id("Psychologist", 999_999)},
            ("NOT_FOUND", "psychologistId"),
        ),
        ({"psychologistId": method}, ("NOT_FOUND", "psychologistId")),
        ({"psychologistId": "мусор"}, ("NOT_FOUND", "psychologistId")),
    ]
    for over, expected in cases:
        variables = {"psychologistId": pid, "kind": "DIPLOMA", "title": "Диплом", "hours": 1100}
        variables.update(over)
        data = await gql(client, op("RecordCredential"), variables, admin.token)
        assert _codes(data["recordCredential"]) == [expected], over
        assert data["recordCredential"]["credential"] is None
    sessions: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"panel": []}, ("INVALID_INPUT", "panel")),
        ({"panel": ["Эксперт"] * 11}, ("INVALID_INPUT", "panel")),
        ({"panel": ["  "]}, ("INVALID_INPUT", "panel")),
        ({"panel": ["э" * 121]}, ("INVALID_INPUT", "panel")),
        (
            {"heldOn": (datetime.now(UTC).date() + timedelta(days=2)).isoformat()},
            ("INVALID_INPUT", "heldOn"),
        ),
        (
            {"psychologistId": to_global_id("Psychologist", 999_999)},
            ("NOT_FOUND", "psychologistId"),
        ),
    ]
    for over, expected in sessions:
        variables = {
            "psychologistId": pid,
            "passed": True,
            "panel": ["Эксперт"],
            "heldOn": "2025-01-01",
            **over,
        }
        data = await gql(client, op("RecordTestSession"), variables, admin.token)
        assert _codes(data["recordTestSession"]) == [expected], over
    assert await _status(client, admin.token, pid) == "APPLIED"
    unknown = await _approve(client, admin.token, to_global_id("Psychologist", 999_999))
    assert _codes(unknown) == [("NOT_FOUND", "psychologistId")]
    assert unknown["checklist"] == []
    body = await gql_raw(client, BOOKINGS, {"id": "мусор"}, token=admin.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_the_service_takes_plain_values(admin: SignedIn) -> None:
    """The importer's entry: the same rules without GraphQL."""
    actor = policy.Actor(user_id=admin.user.id, role=Role.ADMIN)
    method = await Method.all().order_by("id").first()
    assert method is not None
    p = await vetting.create_psychologist(
        actor,
        full_name="Импорт Импортов",
        bio="",
        time_zone="Europe/Moscow",
        practice_since=date(2010, 6, 1),
        method_ids=[method.id],
        topic_ids=[],
    )
    assert (p.vetting_status, p.practice_since) == (VettingStatus.APPLIED, 2010)
    for kind, hours, mid in (
        (CredentialKind.DIPLOMA, 8640, None),
        (CredentialKind.METHOD_CERTIFICATE, 800, method.id),
        (CredentialKind.PERSONAL_THERAPY, 200, None),
    ):
        await vetting.record_credential(
            actor, p.id, kind=kind, title="Документ", hours=hours, method_id=mid,
            method_given=mid is not None,
        )  # fmt: skip
    checks = await vetting.checklist(actor, p.id)
    assert [c.met for c in checks] == [True, True, True, False, True]
    await vetting.reject(actor, p.id, "Импорт отменён")
    assert (await Psychologist.get(id=p.id)).vetting_status == VettingStatus.REJECTED


async def test_the_demo_catalogue_passes_its_own_vetting(admin: SignedIn) -> None:
    """Approved demo psychologists meet every rule; two applicants wait in the back office."""
    from app.demo.catalogue import demo_profiles

    actor = policy.Actor(user_id=admin.user.id, role=Role.ADMIN)
    profiles = demo_profiles(112)
    rows = {p.slug: p for p in await Psychologist.filter(slug__in=[p.slug for p in profiles])}
    for profile in profiles[:20]:
        checks = await vetting.checklist(actor, rows[profile.slug].id)
        assert vetting.all_met(checks), (profile.slug, checks)
    waiting = [rows[p.slug].vetting_status for p in profiles[112:114]]
    assert waiting == [VettingStatus.APPLIED, VettingStatus.DOCUMENTS_VERIFIED]
    applicant = await vetting.checklist(actor, rows[profiles[112].slug].id)
    assert {c.rule for c in applicant if not c.met} == {
        vetting.VettingRule.PERSONAL_THERAPY,
        vetting.VettingRule.TEST_SESSION,
    }


async def test_every_vetting_step_is_in_the_audit_log_with_its_admin(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    from models.audit import AuditEntry
    from schema.relay import decode_id

    pid = await _created(client, admin.token)
    await _record_all(client, admin.token, pid)
    assert (await _approve(client, admin.token, pid))["errors"] == []

    pk = decode_id(pid, "Psychologist")
    rows = await AuditEntry.filter(subject_type="Psychologist", subject_id=str(pk)).order_by("id")
    assert {r.actor_id for r in rows} == {admin.user.id}
    assert [r.action for r in rows] == [
        "PSYCHOLOGIST_CREATED",
        "CREDENTIAL_RECORDED",
        "CREDENTIAL_RECORDED",
        "CREDENTIAL_RECORDED",
        "VETTING_STATUS_CHANGED",
        "TEST_SESSION_RECORDED",
        "VETTING_STATUS_CHANGED",
        "VETTING_STATUS_CHANGED",
    ]
    moves = [r.changes["vettingStatus"] for r in rows if r.action == "VETTING_STATUS_CHANGED"]
    assert moves == [
        ["APPLIED", "DOCUMENTS_VERIFIED"],
        ["DOCUMENTS_VERIFIED", "TEST_SESSION_PASSED"],
        ["TEST_SESSION_PASSED", "APPROVED"],
    ]
