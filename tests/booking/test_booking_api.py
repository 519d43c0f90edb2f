"""Booking through the real GraphQL surface: book, replay, cancel, reschedule, close, list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from app.core.messages import Msg
from app.core.settings import Settings
from models.booking import Booking, BookingStatus
from models.catalogue import Psychologist, Service
from models.enums import Role, ServiceKind, VettingStatus
from schema.catalogue.types import slot_id
from schema.relay import decode_id, to_global_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import signed_in
from tests.helpers import error_codes, gql, gql_raw, op

FINISH = """
mutation Finish($id: ID!, $noShow: Boolean!) {
  completeBooking(input: {bookingId: $id}) @skip(if: $noShow) {
    booking { id status } errors { code field }
  }
  markNoShow(input: {bookingId: $id}) @include(if: $noShow) {
    booking { id status } errors { code field }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on Booking { status rescheduledFrom { id status } } }
}
"""


def assert_top_level(body: dict, code: str) -> None:
    """One top-level error; its extensions.code once the schema sets codes (foundation work)."""
    assert len(body.get("errors") or []) == 1, body
    assert error_codes(body)[0] in (code, None), body


async def _service(p: Psychologist, kind: ServiceKind = ServiceKind.SESSION) -> Service:
    return await Service.get(psychologist_id=p.id, kind=kind)


async def _book(
    client: httpx.AsyncClient,
    token: str,
    slot: str,
    key: str | None = None,
    promo: str | None = None,
) -> dict:
    data = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot, "idempotencyKey": key or uuid.uuid4().hex, "promoCode": promo},
        token,
    )
    return data["bookSlot"]


async def test_profile_availability_then_book_then_slot_is_gone(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist(kinds=(ServiceKind.SESSION, ServiceKind.CHECKUP))
    me = await signed_in(settings)
    window = {
        "id": to_global_id("Psychologist", p.id),
        "from": day_at(2, 9).isoformat(),
        "to": day_at(2, 12).isoformat(),
    }
    profile = (await gql(client, op("PsychologistProfile"), window, me.token))["node"]
    slots = profile["availability"]
    kinds = {s["service"]["kind"] for s in slots}
    assert kinds == {"SESSION", "CHECKUP"}
    starts = [s["startsAt"] for s in slots]
    assert starts == sorted(starts)
    first_session = next(s for s in slots if s["service"]["kind"] == "SESSION")

    result = await _book(client, me.token, first_session["id"])
    assert result["errors"] == []
    booking = result["booking"]
    assert booking["status"] == "CONFIRMED"
    assert booking["startsAt"] == first_session["startsAt"]
    assert booking["price"] == {"amount": "3500.00", "currency": "RUB"}
    assert booking["psychologist"]["id"] == window["id"]
    assert booking["service"] == {"kind": "SESSION", "durationMinutes": 50}

    again = (await gql(client, op("PsychologistProfile"), window, me.token))["node"]
    taken = datetime.fromisoformat(first_session["startsAt"])
    for s in again["availability"]:
        start = datetime.fromisoformat(s["startsAt"])
        end = datetime.fromisoformat(s["endsAt"])
        # nothing overlapping the booking plus its 10-minute buffer, either side
        assert end + timedelta(minutes=10) <= taken or start >= taken + timedelta(minutes=60)


async def test_idempotent_replay_and_key_reuse(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await _service(p)
    me = await signed_in(settings)
    slot = slot_id(p.id, service.id, day_at(3, 10))
    first = await _book(client, me.token, slot, key="k-1")
    replay = await _book(client, me.token, slot, key="k-1")
    assert replay["booking"]["id"] == first["booking"]["id"]
    other = slot_id(p.id, service.id, day_at(3, 14))
    reused = await _book(client, me.token, other, key="k-1")
    assert reused["booking"] is None
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    # The same key of another client is that client's own key.
    someone = await signed_in(settings)
    theirs = await _book(client, someone.token, other, key="k-1")
    assert theirs["errors"] == []
    assert await Booking.filter(client_id=me.user.id).count() == 1


@pytest.mark.parametrize(
    ("make_slot", "promo", "code"),
    [
        (lambda p, s: "not-a-slot", None, "INVALID_SLOT"),
        (lambda p, s: to_global_id("Slot", "1:2"), None, "INVALID_SLOT"),
        (lambda p, s: to_global_id("Psychologist", p.id), None, "INVALID_SLOT"),
        (lambda p, s: slot_id(p.id, s.id + 10_000, day_at(3, 10)), None, "INVALID_SLOT"),
        (lambda p, s: slot_id(p.id, s.id, day_at(-1, 10)), None, "SLOT_IN_PAST"),
        (lambda p, s: slot_id(p.id, s.id, day_at(3, 10, 5)), None, "SLOT_UNAVAILABLE"),
        (lambda p, s: slot_id(p.id, s.id, day_at(45, 10)), None, "SLOT_UNAVAILABLE"),
        (lambda p, s: slot_id(p.id, s.id, day_at(3, 10)), "WELCOME10", "PROMO_INVALID"),
    ],
)
async def test_bad_slots_are_payload_errors(
    client: httpx.AsyncClient,
    settings: Settings,
    make_psychologist: MakePsychologist,
    make_slot,
    promo,
    code,
) -> None:
    p = await make_psychologist()
    service = await _service(p)
    me = await signed_in(settings)
    result = await _book(client, me.token, make_slot(p, service), promo=promo)
    assert result["booking"] is None
    assert [e["code"] for e in result["errors"]] == [code]


async def test_unapproved_psychologist_and_unauthenticated(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist(vetting_status=VettingStatus.APPLIED)
    service = await _service(p)
    me = await signed_in(settings)
    result = await _book(client, me.token, slot_id(p.id, service.id, day_at(3, 10)))
    assert [e["code"] for e in result["errors"]] == ["PSYCHOLOGIST_UNAVAILABLE"]
    body = await gql_raw(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, day_at(3, 10)), "idempotencyKey": "x"},
    )
    assert_top_level(body, "UNAUTHENTICATED")


async def test_notice_limit_and_self_overlap(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist(notice=24 * 60)
    q = await make_psychologist()
    sp, sq = await _service(p), await _service(q)
    me = await signed_in(settings)
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    result = await _book(client, me.token, slot_id(p.id, sp.id, soon))
    assert [e["code"] for e in result["errors"]] == ["SLOT_UNAVAILABLE"]  # inside the notice

    assert (await _book(client, me.token, slot_id(q.id, sq.id, day_at(4, 10))))["errors"] == []
    overlap = await _book(client, me.token, slot_id(p.id, sp.id, day_at(4, 10, 30)))
    assert [e["code"] for e in overlap["errors"]] == ["OVERLAPS_OWN_BOOKING"]
    for hour in (12, 14, 16, 18):
        assert (await _book(client, me.token, slot_id(q.id, sq.id, day_at(4, hour))))[
            "errors"
        ] == []
    too_many = await _book(client, me.token, slot_id(q.id, sq.id, day_at(5, 10)))
    assert [e["code"] for e in too_many["errors"]] == ["TOO_MANY_BOOKINGS"]


async def test_cancel_free_and_late_and_slot_is_free_again(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await _service(p)
    me, other = await signed_in(settings), await signed_in(settings)
    far = slot_id(p.id, service.id, day_at(5, 10))
    near_start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    near = slot_id(p.id, service.id, near_start)
    far_id = (await _book(client, me.token, far))["booking"]["id"]
    near_id = (await _book(client, me.token, near))["booking"]["id"]

    stranger = await gql(client, op("CancelBooking"), {"id": far_id}, other.token)
    assert [e["code"] for e in stranger["cancelBooking"]["errors"]] == ["NOT_FOUND"]

    done = await gql(client, op("CancelBooking"), {"id": far_id, "reason": "ill"}, me.token)
    assert done["cancelBooking"]["booking"]["status"] == "CANCELLED"
    late = await gql(client, op("CancelBooking"), {"id": near_id}, me.token)
    assert late["cancelBooking"]["booking"]["status"] == "LATE_CANCELLED"
    twice = await gql(client, op("CancelBooking"), {"id": far_id}, me.token)
    assert [e["code"] for e in twice["cancelBooking"]["errors"]] == ["NOT_CANCELLABLE"]

    # Bookable again at once, by someone else.
    assert (await _book(client, other.token, far))["errors"] == []
    assert (await _book(client, other.token, near))["errors"] == []


async def test_reschedule_is_atomic_and_keeps_the_chain(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await _service(p)
    me, other = await signed_in(settings), await signed_in(settings)
    booking_id = (await _book(client, me.token, slot_id(p.id, service.id, day_at(6, 10))))[
        "booking"
    ]["id"]
    # Taken by someone else: the old booking stays as it was.
    (await _book(client, other.token, slot_id(p.id, service.id, day_at(6, 15))))
    blocked = await gql(
        client,
        op("RescheduleBooking"),
        {"id": booking_id, "slotId": slot_id(p.id, service.id, day_at(6, 15, 30))},
        me.token,
    )
    assert [e["code"] for e in blocked["rescheduleBooking"]["errors"]] == ["SLOT_UNAVAILABLE"]
    old = await Booking.get(id=decode_id(booking_id, "Booking"))
    assert old.status == BookingStatus.CONFIRMED

    # Moving by 30 minutes overlaps the old time itself: allowed, atomically.
    moved = await gql(
        client,
        op("RescheduleBooking"),
        {"id": booking_id, "slotId": slot_id(p.id, service.id, day_at(6, 10, 30))},
        me.token,
    )
    new = moved["rescheduleBooking"]["booking"]
    assert moved["rescheduleBooking"]["errors"] == []
    assert new["status"] == "CONFIRMED"
    assert new["startsAt"] == day_at(6, 10, 30).isoformat()
    node = (await gql(client, NODE, {"id": new["id"]}, me.token))["node"]
    assert node["rescheduledFrom"] == {"id": booking_id, "status": "RESCHEDULED"}
    # The old time is free again (for a slot that only fits there).
    assert (await _book(client, other.token, slot_id(p.id, service.id, day_at(6, 9, 30))))[
        "errors"
    ] == []
    again = await gql(
        client,
        op("RescheduleBooking"),
        {"id": booking_id, "slotId": slot_id(p.id, service.id, day_at(6, 18))},
        me.token,
    )
    assert [e["code"] for e in again["rescheduleBooking"]["errors"]] == ["NOT_RESCHEDULABLE"]


async def test_close_sessions_only_by_their_psychologist_after_the_end(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(user_id=shrink.user.id)
    service = await _service(p)
    me = await signed_in(settings)
    admin = await signed_in(settings, Role.ADMIN)
    other_shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    past = []
    for i in range(2):
        b = await Booking.create(
            client_id=me.user.id,
            psychologist_id=p.id,
            service_id=service.id,
            starts_at=start - timedelta(hours=2 * i),
            ends_at=start - timedelta(hours=2 * i) + timedelta(minutes=50),
            blocked_until=start - timedelta(hours=2 * i) + timedelta(minutes=60),
            price=service.price,
            video_room=uuid.uuid4().hex,
        )
        past.append(to_global_id("Booking", b.id))
    future = (await _book(client, me.token, slot_id(p.id, service.id, day_at(7, 10))))["booking"]

    body = await gql_raw(client, FINISH, {"id": past[0], "noShow": False}, me.token)
    assert_top_level(body, "FORBIDDEN")
    stranger = await gql(client, FINISH, {"id": past[0], "noShow": False}, other_shrink.token)
    assert [e["code"] for e in stranger["completeBooking"]["errors"]] == ["NOT_FOUND"]
    early = await gql(client, FINISH, {"id": future["id"], "noShow": False}, shrink.token)
    assert [e["code"] for e in early["completeBooking"]["errors"]] == ["BOOKING_NOT_ENDED"]

    done = await gql(client, FINISH, {"id": past[0], "noShow": False}, shrink.token)
    assert done["completeBooking"]["booking"]["status"] == "COMPLETED"
    absent = await gql(client, FINISH, {"id": past[1], "noShow": True}, admin.token)
    assert absent["markNoShow"]["booking"]["status"] == "NO_SHOW"
    twice = await gql(client, FINISH, {"id": past[1], "noShow": False}, admin.token)
    assert [e["code"] for e in twice["completeBooking"]["errors"]] == ["INVALID_STATUS"]

    # Visibility of the node: client, their psychologist, admins; nobody else.
    for viewer, visible in ((me, True), (shrink, True), (admin, True), (other_shrink, False)):
        node = (await gql(client, NODE, {"id": past[0]}, viewer.token))["node"]
        assert (node is not None) is visible


async def test_my_bookings_upcoming_first_then_past_with_paging(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await _service(p)
    me, other = await signed_in(settings), await signed_in(settings)
    now = datetime.now(UTC).replace(microsecond=0)

    async def row(start: datetime, status: BookingStatus = BookingStatus.CONFIRMED) -> int:
        b = await Booking.create(
            client_id=me.user.id,
            psychologist_id=p.id,
            service_id=service.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            blocked_until=start + timedelta(minutes=60),
            price=service.price,
            status=status,
            video_room=uuid.uuid4().hex,
        )
        return b.id

    up = [await row(now + timedelta(days=d)) for d in (3, 1, 2)]
    past = [await row(now - timedelta(days=d), BookingStatus.COMPLETED) for d in (5, 1, 3)]
    cancelled = await row(now + timedelta(days=4), BookingStatus.CANCELLED)
    await row(now + timedelta(days=8), BookingStatus.RESCHEDULED)  # superseded: hidden
    expected = [up[1], up[2], up[0], cancelled, past[1], past[2], past[0]]

    seen: list[int] = []
    after = None
    pages = 0
    while True:
        data = await gql(client, op("MyBookings"), {"first": 3, "after": after}, me.token)
        conn = data["viewer"]["bookings"]
        seen.extend(decode_id(e["node"]["id"], "Booking") for e in conn["edges"])
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == expected
    assert pages == 3
    theirs = await gql(client, op("MyBookings"), {"first": 10}, other.token)
    assert theirs["viewer"]["bookings"]["edges"] == []


async def test_video_call_link_window_and_token(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    admin = await signed_in(settings, Role.ADMIN)
    p = await make_psychologist(user_id=shrink.user.id)
    service = await _service(p)
    me = await signed_in(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    for delta in (timedelta(minutes=5), timedelta(hours=5)):
        await Booking.create(
            client_id=me.user.id,
            psychologist_id=p.id,
            service_id=service.id,
            starts_at=now + delta,
            ends_at=now + delta + timedelta(minutes=50),
            blocked_until=now + delta + timedelta(minutes=60),
            price=service.price,
            video_room=f"psyline-{uuid.uuid4().hex}",
        )
    data = await gql(client, op("MyBookings"), {"first": 5}, me.token)
    soon, later = (e["node"]["videoCall"] for e in data["viewer"]["bookings"]["edges"])
    assert later["joinUrl"] is None
    assert datetime.fromisoformat(later["availableFrom"]) == now + timedelta(hours=5, minutes=-10)
    url = soon["joinUrl"]
    assert url.startswith(settings.video_base_url + "/psyline-")
    token = url.split("?jwt=")[1]
    claims = jwt.decode(token, settings.video_app_secret, algorithms=["HS256"], audience="jitsi")
    assert claims["iss"] == settings.video_app_id
    assert claims["sub"] == "meet.psyline.local"
    assert url.split("?")[0].endswith(claims["room"])
    assert claims["exp"] == int((now + timedelta(minutes=55)).timestamp())
    assert claims["context"]["user"]["id"] == to_global_id("User", me.user.id)
    assert claims["context"]["user"]["moderator"] is False
    booking_id = data["viewer"]["bookings"]["edges"][0]["node"]["id"]
    video = "query V($id: ID!) { node(id: $id) { ... on Booking { videoCall { joinUrl } } } }"
    theirs = (await gql(client, video, {"id": booking_id}, shrink.token))["node"]["videoCall"]
    host = jwt.decode(
        theirs["joinUrl"].split("?jwt=")[1],
        settings.video_app_secret,
        algorithms=["HS256"],
        audience="jitsi",
    )
    assert host["room"] == claims["room"]
    assert host["context"]["user"]["moderator"] is True
    staff = (await gql(client, video, {"id": booking_id}, admin.token))["node"]["videoCall"]
    assert staff["joinUrl"] is None
    assert "+7" not in str(claims)


async def test_availability_window_is_limited(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    variables = {
        "id": to_global_id("Psychologist", p.id),
        "from": day_at(1, 0).isoformat(),
        "to": day_at(33, 0).isoformat(),
    }
    body = await gql_raw(client, op("PsychologistProfile"), variables)
    assert_top_level(body, "BAD_USER_INPUT")
    assert body["errors"][0]["message"] == Msg.AVAILABILITY_WINDOW(days=31).render()
    naive = {**variables, "to": day_at(2, 0).replace(tzinfo=None).isoformat()}
    body = await gql_raw(client, op("PsychologistProfile"), naive)
    assert_top_level(body, "BAD_USER_INPUT")
    assert body["errors"][0]["message"] == Msg.NEEDS_UTC_OFFSET(field="to").render()


@pytest.mark.parametrize("role", [Role.CARE_AGENT, Role.ADMIN, Role.PSYCHOLOGIST])
async def test_staff_cannot_book_for_themselves(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist, role: Role
) -> None:
    p = await make_psychologist()
    staff = await signed_in(settings, role)
    variables = {
        "slotId": slot_id(p.id, (await _service(p)).id, day_at(3, 11)),
        "idempotencyKey": uuid.uuid4().hex,
    }
    body = await gql_raw(client, op("BookSlot"), variables, token=staff.token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert not await Booking.filter(client_id=staff.user.id).exists()
