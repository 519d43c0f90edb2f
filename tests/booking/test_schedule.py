"""A psychologist's own schedule through the API (issue 14), with the back-office contract's
documents: mySchedule, setWorkingHours (validated, wall-clock across DST), addTimeOff (its
conflicts refused or cancelled as the psychologist's cancellation), removeTimeOff,
mySessions (clientDisplayName, paging, constant SQL), and every change visible at once in
soonestSlots, nextSlots, availability and availableBefore. Refused for every other role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine

from app.core.settings import Settings
from models.booking import Booking, BookingStatus, OverrideKind, ScheduleOverride, WorkingHours
from models.catalogue import Psychologist, Service
from models.checkup import PromoCode
from models.enums import Role, ServiceKind
from models.notify import Notification, NotificationKind, NotificationStatus
from schema.catalogue.types import slot_id
from schema.relay import decode_id, to_global_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.test_checkups import Story, _checkup_done
from tests.factories import SignedIn, fresh_token, signed_in
from tests.helpers import count_sql, error_codes, gql, gql_raw, op

BERLIN = ZoneInfo("Europe/Berlin")
NODE_BOOKING = """
query($id: ID!) { node(id: $id) { id ... on Booking { status clientDisplayName calendarUrl } } }
"""
MY_BOOKINGS_NAMES = """
query { viewer { bookings(first: 10) { edges { node { id clientDisplayName } } } } }
"""
NO_SHOW = """
mutation($id: ID!) { markNoShow(input: {bookingId: $id}) { booking { status } errors { code } } }
"""


def iso(value: datetime) -> str:
    return value.isoformat()


@dataclass
class Shrink:
    """A psychologist with a staff account: 00:00-24:00 UTC, no notice, 30-minute grid."""

    who: SignedIn
    p: Psychologist
    name: str

    @property
    def token(self) -> str:
        return self.who.token


@pytest.fixture
async def shrink(settings: Settings, make_psychologist: MakePsychologist) -> Shrink:
    return await _shrink(settings, make_psychologist)


async def _shrink(settings: Settings, make: MakePsychologist, **kw: Any) -> Shrink:
    who = await signed_in(settings, Role.PSYCHOLOGIST, "Психолог")
    name = f"Расписание {uuid.uuid4().hex[:10]}"
    kinds = kw.pop("kinds", (ServiceKind.SESSION, ServiceKind.CHECKUP))
    p = await make(user_id=who.user.id, full_name=name, kinds=kinds, **kw)
    return Shrink(who, p, name)


async def _book(client: httpx.AsyncClient, token: str, slot: str, promo: str | None = None) -> Any:
    data = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot, "idempotencyKey": uuid.uuid4().hex, "promoCode": promo},
        token,
    )
    assert data["bookSlot"]["errors"] == [], data
    return data["bookSlot"]["booking"]


async def _session_slot(s: Shrink, at: datetime) -> str:
    service = await Service.get(psychologist_id=s.p.id, kind=ServiceKind.SESSION)
    return slot_id(s.p.id, service.id, at)


async def _set_hours(
    client: httpx.AsyncClient, token: str, zone: str, hours: list[dict[str, str]]
) -> dict[str, Any]:
    data = await gql(client, op("SetWorkingHours"), {"timeZone": zone, "hours": hours}, token)
    result: dict[str, Any] = data["setWorkingHours"]
    return result


async def _add_off(
    client: httpx.AsyncClient,
    token: str,
    start: datetime | str,
    end: datetime | str,
    *,
    reason: str | None = None,
    cancel: bool | None = None,
) -> dict[str, Any]:
    variables = {
        "startsAt": start if isinstance(start, str) else iso(start),
        "endsAt": end if isinstance(end, str) else iso(end),
        "reason": reason,
        "cancelConflicting": cancel,
    }
    data = await gql(client, op("AddTimeOff"), variables, token)
    result: dict[str, Any] = data["addTimeOff"]
    return result


def _errors(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- what the catalogue shows --------------------------------------------------------------


async def _soonest(client: httpx.AsyncClient, s: Shrink) -> datetime | None:
    data = await gql(client, op("SoonestSlots"), {"first": 5, "filter": {"search": s.name}})
    slots = data["soonestSlots"]
    return _at(slots[0]["startsAt"]) if slots else None


async def _next_slot(client: httpx.AsyncClient, s: Shrink) -> datetime | None:
    data = await gql(client, op("Catalogue"), {"first": 5, "filter": {"search": s.name}})
    edges = data["psychologists"]["edges"]
    assert len(edges) == 1, edges
    slots = edges[0]["node"]["nextSlots"]
    return _at(slots[0]["startsAt"]) if slots else None


async def _available_before(client: httpx.AsyncClient, s: Shrink, before: datetime) -> bool:
    flt = {"search": s.name, "availableBefore": iso(before)}
    data = await gql(client, op("Catalogue"), {"first": 5, "filter": flt})
    count: int = data["psychologists"]["totalCount"]
    return count == 1


async def _availability(
    client: httpx.AsyncClient, s: Shrink, start: datetime, end: datetime
) -> list[datetime]:
    variables = {"id": to_global_id("Psychologist", s.p.id), "from": iso(start), "to": iso(end)}
    data = await gql(client, op("PsychologistProfile"), variables)
    return [
        _at(slot["startsAt"])
        for slot in data["node"]["availability"]
        if slot["service"]["kind"] == "SESSION"
    ]


async def _shown(client: httpx.AsyncClient, s: Shrink) -> tuple[datetime | None, ...]:
    """The first free session as soonestSlots and the catalogue card's nextSlots show it."""
    return await _soonest(client, s), await _next_slot(client, s)


def _grid(now: datetime) -> datetime:
    """The first 30-minute start at or after ``now`` (the fixture's grid, no notice)."""
    base = now.replace(minute=0, second=0, microsecond=0)
    while base < now:
        base += timedelta(minutes=30)
    return base


# --- mySchedule and setWorkingHours -----------------------------------------------------------


async def test_my_schedule_shows_hours_policy_and_upcoming_time_off(
    client: httpx.AsyncClient, shrink: Shrink
) -> None:
    s = shrink
    done = await _set_hours(
        client,
        s.token,
        "Europe/Moscow",
        [
            {"weekday": "FRIDAY", "startTime": "15:00", "endTime": "24:00"},
            {"weekday": "MONDAY", "startTime": "12:00", "endTime": "14:00"},
            {"weekday": "MONDAY", "startTime": "09:00", "endTime": "12:00"},  # touching is fine
        ],
    )
    assert done["errors"] == []
    off = await _add_off(client, s.token, day_at(5, 0), day_at(6, 0), reason="  конференция ")
    assert off["errors"] == []
    assert off["conflicts"] == []
    data = await gql(client, op("MySchedule"), token=s.token)
    schedule = data["mySchedule"]
    assert schedule["timeZone"] == "Europe/Moscow"
    assert (schedule["bufferMinutes"], schedule["minNoticeMinutes"]) == (10, 0)
    assert schedule["workingHours"] == [
        {"weekday": "MONDAY", "startTime": "09:00", "endTime": "12:00"},
        {"weekday": "MONDAY", "startTime": "12:00", "endTime": "14:00"},
        {"weekday": "FRIDAY", "startTime": "15:00", "endTime": "24:00"},
    ]
    assert done["schedule"]["workingHours"] == schedule["workingHours"]
    assert schedule["timeOff"] == [
        {
            "id": off["timeOff"]["id"],
            "startsAt": iso(day_at(5, 0)),
            "endsAt": iso(day_at(6, 0)),
            "reason": "конференция",
        }
    ]
    assert (await Psychologist.get(id=s.p.id)).timezone == "Europe/Moscow"


async def test_a_psychologist_without_a_policy_row_sees_the_defaults(
    client: httpx.AsyncClient, shrink: Shrink
) -> None:
    from models.booking import BookingPolicy

    await BookingPolicy.filter(psychologist_id=shrink.p.id).delete()
    data = await gql(client, op("MySchedule"), token=shrink.token)
    assert (data["mySchedule"]["bufferMinutes"], data["mySchedule"]["minNoticeMinutes"]) == (
        10,
        120,
    )


H = {"weekday": "TUESDAY", "startTime": "10:00", "endTime": "12:00"}


@pytest.mark.parametrize(
    ("zone", "hours", "expected"),
    [
        ("Mars/Olympus", [H], ("INVALID_TIME_ZONE", "timeZone")),
        ("", [H], ("INVALID_TIME_ZONE", "timeZone")),
        ("+03:00", [H], ("INVALID_TIME_ZONE", "timeZone")),
        ("../../../etc/passwd", [H], ("INVALID_TIME_ZONE", "timeZone")),
        (" UTC", [H], ("INVALID_TIME_ZONE", "timeZone")),
        ("Europe/" + "x" * 5000, [H], ("INVALID_TIME_ZONE", "timeZone")),
        ("UTC", [H, {**H, "startTime": "25:00"}], ("INVALID_INPUT", "hours[1].startTime")),
        ("UTC", [H, {**H, "endTime": "24:05"}], ("INVALID_INPUT", "hours[1].endTime")),
        ("UTC", [{**H, "startTime": "10:03"}], ("INVALID_INPUT", "hours[0].startTime")),
        ("UTC", [{**H, "startTime": "9:00"}], ("INVALID_INPUT", "hours[0].startTime")),
        ("UTC", [{**H, "startTime": "24:00"}], ("INVALID_INPUT", "hours[0].startTime")),
        ("UTC", [{**H, "endTime": "1" * 10_000}], ("INVALID_INPUT", "hours[0].endTime")),
        ("UTC", [{**H, "endTime": "10:00"}], ("INVALID_INPUT", "hours[0].endTime")),
        ("UTC", [{**H, "endTime": "09:00"}], ("INVALID_INPUT", "hours[0].endTime")),
        (
            "UTC",
            [
                {"weekday": "MONDAY", "startTime": "09:00", "endTime": "18:00"},
                H,
                {"weekday": "TUESDAY", "startTime": "11:55", "endTime": "13:00"},
            ],
            ("HOURS_OVERLAP", "hours[2].startTime"),
        ),
        (
            "UTC",
            [
                {"weekday": "FRIDAY", "startTime": "13:00", "endTime": "15:00"},
                {"weekday": "FRIDAY", "startTime": "08:00", "endTime": "20:00"},
            ],
            ("HOURS_OVERLAP", "hours[0].startTime"),
        ),
        ("UTC", [H] * 71, ("INVALID_INPUT", "hours")),
    ],
)
async def test_set_working_hours_refuses_bad_input(
    client: httpx.AsyncClient,
    shrink: Shrink,
    zone: str,
    hours: list[dict[str, str]],
    expected: tuple[str, str],
) -> None:
    before = await WorkingHours.filter(psychologist_id=shrink.p.id).count()
    result = await _set_hours(client, shrink.token, zone, hours)
    assert _errors(result) == [expected]
    assert result["schedule"] is None
    assert result["errors"][0]["message"]
    assert await WorkingHours.filter(psychologist_id=shrink.p.id).count() == before
    assert (await Psychologist.get(id=shrink.p.id)).timezone == "UTC"


async def test_set_working_hours_accepts_an_empty_week_and_whole_days(
    client: httpx.AsyncClient, shrink: Shrink
) -> None:
    whole = [{"weekday": "SUNDAY", "startTime": "00:00", "endTime": "24:00"}]
    assert (await _set_hours(client, shrink.token, "Asia/Tokyo", whole))["errors"] == []
    assert (await WorkingHours.get(psychologist_id=shrink.p.id)).end_minute == 1440
    empty = await _set_hours(client, shrink.token, "Asia/Tokyo", [])
    assert empty["errors"] == []
    assert empty["schedule"]["workingHours"] == []
    assert await _soonest(client, shrink) is None


async def test_a_weekly_six_pm_stays_six_pm_local_across_the_dst_change(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # Berlin moves from CET (+01) to CEST (+02) on Sunday 2027-03-28.
    with time_machine.travel(datetime(2027, 3, 24, 12, tzinfo=UTC), tick=True):
        s = await _shrink(settings, make_psychologist, kinds=(ServiceKind.SESSION,))
        token = await fresh_token(settings, s.who.user)
        every_day = [
            {"weekday": day, "startTime": "18:00", "endTime": "19:00"}
            for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
        ] + [{"weekday": "SUNDAY", "startTime": "18:00", "endTime": "19:00"}]
        assert (await _set_hours(client, token, "Europe/Berlin", every_day))["errors"] == []
        start = datetime(2027, 3, 25, tzinfo=UTC)
        slots = await _availability(client, s, start, start + timedelta(days=6))
        assert [t.astimezone(BERLIN).strftime("%m-%d %H:%M") for t in slots] == [
            f"03-{d} 18:00" for d in range(25, 31)
        ]
        # The same local time is another UTC time on each side of the change.
        assert [t.astimezone(UTC).hour for t in slots] == [17, 17, 17, 16, 16, 16]
        data = await gql(client, op("MySchedule"), token=token)
        assert {h["startTime"] for h in data["mySchedule"]["workingHours"]} == {"18:00"}


# --- every change shows at once: soonestSlots, nextSlots, availableBefore, availability -------


async def test_set_working_hours_shows_at_once(client: httpx.AsyncClient, shrink: Shrink) -> None:
    s = shrink
    now = datetime.now(UTC)
    soon = _grid(now)
    assert await _shown(client, s) == (soon, soon)
    assert await _available_before(client, s, now + timedelta(hours=2))

    monday = [{"weekday": "MONDAY", "startTime": "10:00", "endTime": "12:00"}]
    assert (await _set_hours(client, s.token, "UTC", monday))["errors"] == []
    day = now.replace(hour=10, minute=0, second=0, microsecond=0)
    while day.weekday() != 0 or day <= now:
        day += timedelta(days=1)
    assert await _shown(client, s) == (day, day)
    assert not await _available_before(client, s, day)
    assert await _available_before(client, s, day + timedelta(minutes=1))
    assert await _availability(client, s, day - timedelta(days=1), day + timedelta(days=1)) == [
        day,
        day + timedelta(minutes=30),
        day + timedelta(minutes=60),
    ]

    # The zone alone moves the same wall-clock hours: Monday 10:00 in Tokyo is 01:00 UTC.
    assert (await _set_hours(client, s.token, "Asia/Tokyo", monday))["errors"] == []
    tokyo = datetime.combine(day.date(), datetime.min.time(), ZoneInfo("Asia/Tokyo")).replace(
        hour=10
    )
    if tokyo <= datetime.now(UTC):
        tokyo += timedelta(days=7)
    assert await _shown(client, s) == (tokyo, tokyo)


async def test_add_and_remove_time_off_show_at_once(
    client: httpx.AsyncClient, shrink: Shrink
) -> None:
    s = shrink
    now = datetime.now(UTC)
    soon = _grid(now)
    assert await _shown(client, s) == (soon, soon)
    until = day_at(3, 0)
    off = await _add_off(client, s.token, now - timedelta(hours=1), until)
    assert off["errors"] == []
    assert await _shown(client, s) == (until, until)
    assert not await _available_before(client, s, until)
    assert (await _availability(client, s, now, until + timedelta(hours=1)))[0] == until

    removed = await gql(client, op("RemoveTimeOff"), {"id": off["timeOff"]["id"]}, s.token)
    assert removed["removeTimeOff"]["errors"] == []
    again = _grid(datetime.now(UTC))
    assert await _shown(client, s) == (again, again)
    assert await _available_before(client, s, until)
    assert not await ScheduleOverride.filter(psychologist_id=s.p.id).exists()


# --- addTimeOff: validation, conflicts, cancelling them -------------------------------------


async def test_add_time_off_refuses_bad_input(client: httpx.AsyncClient, shrink: Shrink) -> None:
    s = shrink
    cases: list[tuple[Any, Any, str | None, tuple[str, str]]] = [
        (day_at(3, 12), day_at(3, 12), None, ("INVALID_INPUT", "endsAt")),
        (day_at(3, 12), day_at(3, 11), None, ("INVALID_INPUT", "endsAt")),
        (day_at(-3, 0), day_at(-2, 0), None, ("INVALID_INPUT", "endsAt")),
        (day_at(1, 0), day_at(1, 0) + timedelta(days=367), None, ("INVALID_INPUT", "endsAt")),
        (day_at(1, 0), day_at(2, 0), "x" * 201, ("INVALID_INPUT", "reason")),
        ("2027-05-01T10:00:00", iso(day_at(2, 0)), None, ("INVALID_INPUT", "startsAt")),
        (iso(day_at(1, 0)), "2099-05-01T10:00:00", None, ("INVALID_INPUT", "endsAt")),
    ]
    for start, end, reason, expected in cases:
        result = await _add_off(client, s.token, start, end, reason=reason)
        assert _errors(result) == [expected], (start, end)
        assert result["timeOff"] is None
    body = await gql_raw(
        client, op("AddTimeOff"), {"startsAt": "tomorrow", "endsAt": "later"}, s.token
    )
    assert error_codes(body)
    assert body.get("data") is None
    year = await _add_off(client, s.token, day_at(1, 0), day_at(1, 0) + timedelta(days=366))
    assert year["errors"] == []  # a year (leap day included) is the longest
    assert await ScheduleOverride.filter(psychologist_id=s.p.id).count() == 1


async def test_at_most_a_hundred_current_and_upcoming_time_offs(
    client: httpx.AsyncClient, shrink: Shrink
) -> None:
    await ScheduleOverride.bulk_create(
        [
            ScheduleOverride(
                psychologist_id=shrink.p.id,
                kind=OverrideKind.TIME_OFF,
                starts_at=day_at(20, 0) + timedelta(hours=i),
                ends_at=day_at(20, 0) + timedelta(hours=i, minutes=30),
            )
            for i in range(100)
        ]
    )
    result = await _add_off(client, shrink.token, day_at(10, 0), day_at(11, 0))
    assert _errors(result) == [("INVALID_INPUT", None)]
    data = await gql(client, op("MySchedule"), token=shrink.token)
    assert len(data["mySchedule"]["timeOff"]) == 100


async def test_time_off_over_confirmed_sessions_is_refused_and_lists_them(
    client: httpx.AsyncClient, settings: Settings, shrink: Shrink
) -> None:
    s = shrink
    me = await signed_in(settings, display_name="Клиентка")
    first = await _book(client, me.token, await _session_slot(s, day_at(3, 10)))  # 10:00-10:50
    second = await _book(client, me.token, await _session_slot(s, day_at(3, 14)))

    refused = await _add_off(client, s.token, day_at(3, 10, 30), day_at(3, 15), reason="врач")
    assert _errors(refused) == [("TIME_OFF_CONFLICTS", None)]
    assert refused["timeOff"] is None
    assert refused["conflicts"] == [
        {"id": first["id"], "startsAt": first["startsAt"], "status": "CONFIRMED"},
        {"id": second["id"], "startsAt": second["startsAt"], "status": "CONFIRMED"},
    ]
    assert not await ScheduleOverride.filter(psychologist_id=s.p.id).exists()
    assert await Booking.filter(psychologist_id=s.p.id, status=BookingStatus.CONFIRMED).count() == 2

    # The session's own time is what conflicts: a time off may start in its buffer
    # (10:50-11:00) or end as it starts, like the end of working hours.
    after = await _add_off(client, s.token, day_at(3, 10, 50), day_at(3, 13))
    before = await _add_off(client, s.token, day_at(3, 8), day_at(3, 10))
    assert after["errors"] == []
    assert before["errors"] == []
    assert after["conflicts"] == []
    assert before["conflicts"] == []


async def test_cancel_conflicting_cancels_them_as_the_psychologist_free_and_told(
    client: httpx.AsyncClient, settings: Settings, shrink: Shrink
) -> None:
    s = shrink
    me = await signed_in(settings)
    other = await signed_in(settings)
    story = Story(s.who, s.p, me)
    code = await _checkup_done(client, settings, story)  # a promo code of a completed checkup
    me_token = await fresh_token(settings, me.user)
    token = await fresh_token(settings, s.who.user)
    discounted = await _book(client, me_token, await _session_slot(s, day_at(3, 10)), code)
    assert discounted["price"]["amount"] != "3500.00"
    soon_start = _grid(datetime.now(UTC) + timedelta(hours=2))  # inside the 24 h rule
    soon = await _book(client, other.token, await _session_slot(s, soon_start))
    outside = await _book(client, other.token, await _session_slot(s, day_at(5, 10)))

    result = await _add_off(
        client, token, datetime.now(UTC), day_at(4, 0), reason="болезнь", cancel=True
    )
    assert result["errors"] == []
    assert result["timeOff"]["endsAt"] == iso(day_at(4, 0))
    assert sorted((c["id"], c["status"]) for c in result["conflicts"]) == sorted(
        [(discounted["id"], "CANCELLED"), (soon["id"], "CANCELLED")]
    )
    for booking_id, user in ((discounted["id"], me), (soon["id"], other)):
        row = await Booking.get(id=decode_id(booking_id, "Booking"))
        assert row.status == BookingStatus.CANCELLED  # free, even within 24 hours
        assert row.cancel_reason == "Отменено психологом."
        kinds = {
            (n.kind, n.status)
            for n in await Notification.filter(booking_id=row.id, user_id=user.user.id)
        }
        assert (NotificationKind.PSYCHOLOGIST_CANCELLED, NotificationStatus.PENDING) in kinds
        assert (NotificationKind.BOOKING_CANCELLED, NotificationStatus.PENDING) not in kinds
        pending = {k for k, st in kinds if st == NotificationStatus.PENDING}
        assert pending == {NotificationKind.PSYCHOLOGIST_CANCELLED}  # reminders purged
        # The phone's calendar drops the event.
        node = await gql(
            client, NODE_BOOKING, {"id": booking_id}, await fresh_token(settings, user.user)
        )
        ics = (await client.get(node["node"]["calendarUrl"])).text
        assert "METHOD:CANCEL" in ics
        assert "STATUS:CANCELLED" in ics
    assert (await Booking.get(id=decode_id(outside["id"], "Booking"))).status == (
        BookingStatus.CONFIRMED
    )
    # The promo code is the client's again.
    promo = await PromoCode.get(client_id=me.user.id)
    assert promo.used_by_booking_id is None
    again = await _book(client, me_token, await _session_slot(s, day_at(5, 12)), code)
    assert again["price"] == discounted["price"]
    # The time is closed to new bookings.
    body = await gql(
        client,
        op("BookSlot"),
        {"slotId": await _session_slot(s, day_at(3, 12)), "idempotencyKey": uuid.uuid4().hex},
        me_token,
    )
    assert [e["code"] for e in body["bookSlot"]["errors"]] == ["SLOT_UNAVAILABLE"]


async def test_a_booking_is_refused_in_time_off_even_with_a_slot_id_from_before(
    client: httpx.AsyncClient, settings: Settings, shrink: Shrink
) -> None:
    me = await signed_in(settings)
    slot = await _session_slot(shrink, day_at(4, 10))  # taken from a page shown before
    assert (await _add_off(client, shrink.token, day_at(4, 0), day_at(5, 0)))["errors"] == []
    body = await gql(
        client, op("BookSlot"), {"slotId": slot, "idempotencyKey": uuid.uuid4().hex}, me.token
    )
    assert [e["code"] for e in body["bookSlot"]["errors"]] == ["SLOT_UNAVAILABLE"]


# --- removeTimeOff ----------------------------------------------------------------------------


async def test_remove_time_off_only_ones_own(
    client: httpx.AsyncClient,
    settings: Settings,
    shrink: Shrink,
    make_psychologist: MakePsychologist,
) -> None:
    other = await _shrink(settings, make_psychologist)
    theirs = await _add_off(client, other.token, day_at(2, 0), day_at(3, 0))
    their_id = theirs["timeOff"]["id"]
    for bad in (
        their_id,
        to_global_id("TimeOff", 10**12),
        to_global_id("Booking", decode_id(their_id, "TimeOff") or 0),
        "garbage",
    ):
        body = await gql(client, op("RemoveTimeOff"), {"id": bad}, shrink.token)
        assert _errors(body["removeTimeOff"]) == [("NOT_FOUND", "id")], bad
    assert await ScheduleOverride.filter(psychologist_id=other.p.id).count() == 1
    mine = await gql(client, op("MySchedule"), token=shrink.token)
    assert mine["mySchedule"]["timeOff"] == []
    ok = await gql(client, op("RemoveTimeOff"), {"id": their_id}, other.token)
    assert ok["removeTimeOff"]["errors"] == []
    twice = await gql(client, op("RemoveTimeOff"), {"id": their_id}, other.token)
    assert _errors(twice["removeTimeOff"]) == [("NOT_FOUND", "id")]


# --- mySessions and clientDisplayName ---------------------------------------------------------


async def test_my_sessions_upcoming_first_then_past_latest_first(
    client: httpx.AsyncClient,
    settings: Settings,
    shrink: Shrink,
    make_psychologist: MakePsychologist,
) -> None:
    s = shrink
    anna = await signed_in(settings, display_name="Анна")
    boris = await signed_in(settings, display_name="Борис")
    elsewhere = await _shrink(settings, make_psychologist)
    past = [await _book(client, anna.token, await _session_slot(s, day_at(1, h))) for h in (9, 11)]
    later = await _book(client, boris.token, await _session_slot(s, day_at(4, 9)))
    sooner = await _book(client, anna.token, await _session_slot(s, day_at(3, 9)))
    cancelled = await _book(client, boris.token, await _session_slot(s, day_at(5, 9)))
    await gql(client, op("CancelBooking"), {"id": cancelled["id"]}, boris.token)
    await _book(client, anna.token, await _session_slot(elsewhere, day_at(3, 15)))  # not theirs

    with time_machine.travel(day_at(2, 0), tick=True):  # the first two are past now
        token = await fresh_token(settings, s.who.user)
        seen: list[dict[str, Any]] = []
        after = None
        while True:
            data = await gql(client, op("MySessions"), {"first": 2, "after": after}, token)
            conn = data["mySessions"]
            seen += [e["node"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
    assert [n["id"] for n in seen] == [
        sooner["id"],
        later["id"],
        cancelled["id"],
        past[1]["id"],
        past[0]["id"],
    ]
    assert [n["clientDisplayName"] for n in seen] == ["Анна", "Борис", "Борис", "Анна", "Анна"]
    assert seen[0]["service"] == {"kind": "SESSION"}
    assert seen[2]["status"] == "CANCELLED"
    assert all("+7" not in str(n) for n in seen)  # never the phone

    # The client sees no name on their own booking; an admin sees it; another psychologist
    # does not see the booking at all.
    own = await gql(client, MY_BOOKINGS_NAMES, token=anna.token)
    assert {e["node"]["clientDisplayName"] for e in own["viewer"]["bookings"]["edges"]} == {None}
    admin = await signed_in(settings, Role.ADMIN)
    node = await gql(client, NODE_BOOKING, {"id": sooner["id"]}, admin.token)
    assert node["node"]["clientDisplayName"] == "Анна"
    stranger = await gql(client, NODE_BOOKING, {"id": sooner["id"]}, elsewhere.token)
    assert stranger["node"] is None
    theirs = await gql(client, op("MySessions"), {"first": 10}, elsewhere.token)
    assert len(theirs["mySessions"]["edges"]) == 1


async def test_my_sessions_sql_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, settings: Settings, shrink: Shrink
) -> None:
    for i in range(7):  # more than a page: both pages are upcoming ones (one query)
        who = await signed_in(settings, display_name=f"Клиент {i}")
        await _book(client, who.token, await _session_slot(shrink, day_at(2 + i, 10)))
    counts = []
    for first in (2, 6):
        with count_sql() as sql:
            data = await gql(client, op("MySessions"), {"first": first}, shrink.token)
        assert len(data["mySessions"]["edges"]) == first
        assert all(e["node"]["clientDisplayName"] for e in data["mySessions"]["edges"])
        counts.append(sql.count)
    assert counts[0] == counts[1], counts


async def test_my_sessions_paging_is_bounded_and_its_cursor_checked(
    client: httpx.AsyncClient, shrink: Shrink
) -> None:
    big = await gql(client, op("MySessions"), {"first": 10_000}, shrink.token)
    assert big["mySessions"]["edges"] == []
    for bad in ("garbage", "WyJCIiwwLDAsMF0"):  # not a cursor; a viewer.bookings cursor
        body = await gql_raw(client, op("MySessions"), {"first": 5, "after": bad}, shrink.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
    body = await gql_raw(client, op("MySessions"), {"first": -1}, shrink.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


# --- closing a session: after its end only -----------------------------------------------------


async def test_complete_session_and_no_show_only_after_the_end(
    client: httpx.AsyncClient, settings: Settings, shrink: Shrink
) -> None:
    me = await signed_in(settings)
    one = await _book(client, me.token, await _session_slot(shrink, day_at(2, 10)))
    two = await _book(client, me.token, await _session_slot(shrink, day_at(2, 12)))
    with time_machine.travel(day_at(2, 10, 45), tick=True):  # under way
        token = await fresh_token(settings, shrink.who.user)
        early = await gql(client, op("CompleteSession"), {"bookingId": one["id"]}, token)
        assert _errors(early["completeBooking"]) == [("BOOKING_NOT_ENDED", None)]
        absent = await gql(client, NO_SHOW, {"id": one["id"]}, token)
        assert [e["code"] for e in absent["markNoShow"]["errors"]] == ["BOOKING_NOT_ENDED"]
    with time_machine.travel(day_at(2, 12, 51), tick=True):  # both ended
        token = await fresh_token(settings, shrink.who.user)
        done = await gql(client, op("CompleteSession"), {"bookingId": one["id"]}, token)
        assert done["completeBooking"]["booking"] == {"id": one["id"], "status": "COMPLETED"}
        absent = await gql(client, NO_SHOW, {"id": two["id"]}, token)
        assert absent["markNoShow"]["booking"]["status"] == "NO_SHOW"


# --- who may: a psychologist with a profile, on their own data only ---------------------------

CALLS: dict[str, tuple[dict[str, Any], str]] = {
    "MySchedule": ({}, "mySchedule"),
    "SetWorkingHours": (
        {
            "timeZone": "UTC",
            "hours": [{"weekday": "MONDAY", "startTime": "10:00", "endTime": "11:00"}],
        },
        "setWorkingHours",
    ),
    "AddTimeOff": (
        {"startsAt": iso(day_at(6, 0)), "endsAt": iso(day_at(7, 0)), "cancelConflicting": True},
        "addTimeOff",
    ),
    "RemoveTimeOff": ({"id": to_global_id("TimeOff", 1)}, "removeTimeOff"),
    "MySessions": ({"first": 5}, "mySessions"),
}


@pytest.mark.parametrize("operation", sorted(CALLS))
@pytest.mark.parametrize("role", ["CLIENT", "CARE_AGENT", "ADMIN", "PSYCHOLOGIST", None])
async def test_only_a_psychologist_with_a_profile_has_a_schedule(
    client: httpx.AsyncClient,
    settings: Settings,
    shrink: Shrink,
    operation: str,
    role: str | None,
) -> None:
    """Every other role, and a psychologist account linked to no profile: FORBIDDEN; no
    token: UNAUTHENTICATED. Nothing changes."""
    me = await signed_in(settings)
    booked = await _book(client, me.token, await _session_slot(shrink, day_at(6, 10)))
    variables, field = CALLS[operation]
    token = (await signed_in(settings, Role(role))).token if role else None
    body = await gql_raw(client, op(operation), variables, token)
    assert error_codes(body) == (["FORBIDDEN"] if role else ["UNAUTHENTICATED"]), body
    assert body["data"] is None or body["data"].get(field) is None
    assert not await ScheduleOverride.filter(psychologist_id=shrink.p.id).exists()
    assert await WorkingHours.filter(psychologist_id=shrink.p.id).count() == 7
    row = await Booking.get(id=decode_id(booked["id"], "Booking"))
    assert row.status == BookingStatus.CONFIRMED


# --- the demo psychologist (seed --demo) ------------------------------------------------------


async def test_the_demo_psychologist_signs_in_and_runs_their_schedule(
    client: httpx.AsyncClient,
) -> None:
    """``seed --demo`` (run for the test session) links a psychologist account to the first
    approved demo psychologist; StaffSignIn with its password opens their schedule."""
    from app.demo.identity import DEMO_STAFF
    from app.identity.staff import create_staff

    email = next(e for e, role, _ in DEMO_STAFF if role is Role.PSYCHOLOGIST)
    user = await create_staff(email, Role.PSYCHOLOGIST, "a new demo password")  # keeps the link
    profile = await Psychologist.get(user_id=user.id)
    signed = await gql(
        client, op("StaffSignIn"), {"email": email, "password": "a new demo password"}
    )
    token = signed["signInStaff"]["session"]["accessToken"]
    schedule = (await gql(client, op("MySchedule"), token=token))["mySchedule"]
    assert schedule["timeZone"] == profile.timezone
    assert schedule["workingHours"]  # the demo's weekly pattern
    sessions = await gql(client, op("MySessions"), {"first": 10}, token)
    for edge in sessions["mySessions"]["edges"]:
        row = await Booking.get(id=decode_id(edge["node"]["id"], "Booking"))
        assert row.psychologist_id == profile.id
