"""Object-level authorization across domains: every contract operation that takes an ID,
tried as someone else. Someone else's object behaves as not found (or forbidden), and
nothing changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from strawberry.utils.str_converters import to_camel_case
from websockets.asyncio.client import connect

from app.booking import schedule as schedule_svc
from app.booking import service as booking_svc
from app.booking.service import SlotRef
from app.catalogue import admin as catalogue_admin
from app.catalogue import reviews as reviews_svc
from app.catalogue import vetting as vetting_svc
from app.chat import service as chat_svc
from app.checkup import service as checkup_svc
from app.core import clock
from app.core.errors import Forbidden, NotVisible
from app.core.settings import Settings
from app.identity.viewer import Viewer
from app.notify import devices as notify_devices
from app.runtime import Runtime
from models.booking import Booking, BookingStatus
from models.catalogue import Psychologist, Service
from models.chat import Message
from models.enums import CredentialKind, Role, ServiceKind
from models.notify import PushPlatform
from schema import build_schema
from schema.catalogue.types import slot_id
from schema.relay import decode_id
from tests.booking.conftest import MakePsychologist, day_at, make_psychologist  # noqa: F401
from tests.chat.support import client_with_conversation
from tests.factories import SignedIn, signed_in
from tests.helpers import gql, gql_raw, op


@dataclass
class World:
    owner: SignedIn
    conversation_id: str
    booking_id: str
    psychologist: Psychologist
    service: Service
    stranger: SignedIn
    other_psychologist: SignedIn
    agent: SignedIn


@pytest.fixture
async def world(
    client: httpx.AsyncClient,
    settings: Any,
    make_psychologist: MakePsychologist,  # noqa: F811 - the booking suite's fixture
) -> World:
    p = await make_psychologist()
    service = await Service.filter(psychologist_id=p.id).first()
    assert service is not None
    owner, conversation = await client_with_conversation(client, settings, "Владелец")
    booked = await gql(
        client,
        op("BookSlot"),
        {"slotId": slot_id(p.id, service.id, day_at(3, 10)), "idempotencyKey": uuid.uuid4().hex},
        token=owner.token,
    )
    assert booked["bookSlot"]["errors"] == [], booked
    return World(
        owner=owner,
        conversation_id=conversation["id"],
        booking_id=booked["bookSlot"]["booking"]["id"],
        psychologist=p,
        service=service,
        stranger=await signed_in(settings, Role.CLIENT, "Чужой"),
        other_psychologist=await signed_in(settings, Role.PSYCHOLOGIST, "Другой психолог"),
        agent=await signed_in(settings, Role.CARE_AGENT, "Агент"),
    )


def top_level_codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def assert_not_found(body: dict[str, Any], field: str, obj: str) -> None:
    """Someone else's object behaves as one that does not exist: payload NOT_FOUND only."""
    assert top_level_codes(body) == [], body
    payload = body["data"][field]
    assert payload[obj] is None, body
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], body


def assert_no_node(body: dict[str, Any]) -> None:
    """``node(id:)`` of someone else's object: null, no error (as for an unknown ID)."""
    assert top_level_codes(body) == [], body
    assert body["data"]["node"] is None, body


def assert_top_level(body: dict[str, Any], code: str) -> None:
    assert top_level_codes(body) == [code], body
    assert body["data"] is None or all(v is None for v in body["data"].values()), body


async def _booking_status(global_id: str) -> str:
    booking = await Booking.get(id=decode_id(global_id, "Booking"))
    return str(booking.status.value if hasattr(booking.status, "value") else booking.status)


def _who(world: World, name: str) -> SignedIn:
    return {"stranger": world.stranger, "psychologist": world.other_psychologist}[name]


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
async def test_someone_elses_booking_cannot_be_cancelled(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    before = await _booking_status(world.booking_id)
    body = await gql_raw(
        client, op("CancelBooking"), {"id": world.booking_id}, token=_who(world, who).token
    )
    assert_not_found(body, "cancelBooking", "booking")
    assert await _booking_status(world.booking_id) == before


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
async def test_someone_elses_booking_cannot_be_rescheduled(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    booking = await Booking.get(id=decode_id(world.booking_id, "Booking"))
    new_slot = slot_id(world.psychologist.id, world.service.id, day_at(4, 10))
    body = await gql_raw(
        client,
        op("RescheduleBooking"),
        {"id": world.booking_id, "slotId": new_slot},
        token=_who(world, who).token,
    )
    assert_not_found(body, "rescheduleBooking", "booking")
    after = await Booking.get(id=booking.id)
    assert (after.starts_at, after.status) == (booking.starts_at, booking.status)


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
async def test_someone_elses_booking_is_not_a_node(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    body = await gql_raw(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": world.booking_id},
        token=_who(world, who).token,
    )
    assert_no_node(body)
    own = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": world.booking_id},
        token=world.owner.token,
    )  # fmt: skip
    assert own["node"] == {"id": world.booking_id}


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
@pytest.mark.parametrize("operation", ["SendMessage", "AgentReply"])
async def test_someone_elses_conversation_cannot_be_written_to(
    client: httpx.AsyncClient, world: World, who: str, operation: str
) -> None:
    conv = decode_id(world.conversation_id, "CareConversation")
    count = await Message.filter(conversation_id=conv).count()
    body = await gql_raw(
        client,
        op(operation),
        {"conversationId": world.conversation_id, "text": "чужое", "clientMessageId": "x1"},
        token=_who(world, who).token,
    )
    assert_not_found(body, "sendMessage", "message")
    assert await Message.filter(conversation_id=conv).count() == count


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
async def test_someone_elses_conversation_cannot_be_read(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    body = await gql_raw(
        client,
        op("ConversationHistory"),
        {"id": world.conversation_id, "last": 10},
        token=_who(world, who).token,
    )
    assert_no_node(body)
    # The care team may.
    seen = await gql(
        client,
        op("ConversationHistory"),
        {"id": world.conversation_id, "last": 10},
        token=world.agent.token,
    )
    assert seen["node"]["id"] == world.conversation_id


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
async def test_someone_elses_conversation_cannot_be_marked_read(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    body = await gql_raw(
        client,
        op("MarkConversationRead"),
        {"conversationId": world.conversation_id, "upTo": "bWVzc2FnZToxMjM="},
        token=_who(world, who).token,
    )
    assert_not_found(body, "markConversationRead", "conversation")


@pytest.mark.parametrize("who", ["stranger", "psychologist", "owner"])
async def test_only_the_care_team_assigns_conversations(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    token = world.owner.token if who == "owner" else _who(world, who).token
    body = await gql_raw(
        client, op("AssignConversation"), {"conversationId": world.conversation_id}, token=token
    )
    assert_top_level(body, "FORBIDDEN")


@pytest.mark.parametrize("who", ["stranger", "psychologist"])
async def test_someone_elses_conversation_cannot_be_subscribed_to(
    live_server: str, world: World, who: str
) -> None:
    url = live_server.replace("http://", "ws://", 1) + "/graphql"
    token = _who(world, who).token
    async with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as conn:  # type: ignore[list-item]
        await conn.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await conn.recv())["type"] == "connection_ack"
        await conn.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": op("MessageAdded"),
                        "variables": {"conversationId": world.conversation_id},
                    },
                }
            )
        )
        reply = json.loads(await conn.recv())
    assert reply["type"] == "next", reply
    assert_top_level(reply["payload"], "FORBIDDEN")


# --- the service layer refuses too: every mutation, an unauthorized caller -----------------

ServiceCall = Callable[[World, Settings, Runtime], Awaitable[object]]


def _as(who: SignedIn) -> Viewer:
    return Viewer(who.user.id, who.user.role, "service-test", clock.now() + timedelta(hours=1))


def _booking(world: World) -> int | None:
    return decode_id(world.booking_id, "Booking")


def _conversation(world: World) -> int | None:
    return decode_id(world.conversation_id, "CareConversation")


# Each mutation: who must be refused and how, called on the service directly (no
# resolver in between); None where no signed-in caller is refused, with the reason.
SERVICE_REFUSALS: dict[str, tuple[type[Exception], ServiceCall] | str] = {
    "signInWithPartner": "public: the partner's token is the credential",
    "refreshSession": "public: the refresh token is the credential",
    "signOut": "ends only the caller's own session or the given refresh token's",
    "signInStaff": "public: email and password are the credential",
    "bookSlot": (
        Forbidden,
        lambda w, s, rt: booking_svc.book_slot(
            s, _as(w.agent), SlotRef(w.psychologist.id, w.service.id, day_at(5, 10)), "staff"
        ),
    ),
    "cancelBooking": (
        NotVisible,
        lambda w, s, rt: booking_svc.cancel_booking(s, _as(w.stranger), _booking(w)),
    ),
    "rescheduleBooking": (
        NotVisible,
        lambda w, s, rt: booking_svc.reschedule_booking(
            s, _as(w.stranger), _booking(w), SlotRef(w.psychologist.id, w.service.id, day_at(4, 10))
        ),
    ),
    "completeBooking": (
        Forbidden,
        lambda w, s, rt: booking_svc.finish_booking(
            _as(w.owner), _booking(w), BookingStatus.COMPLETED
        ),
    ),
    "markNoShow": (
        NotVisible,
        lambda w, s, rt: booking_svc.finish_booking(
            _as(w.other_psychologist), _booking(w), BookingStatus.NO_SHOW
        ),
    ),
    "sendMessage": (
        NotVisible,
        lambda w, s, rt: chat_svc.send_message(
            _as(w.stranger),
            _conversation(w),
            "чужое",
            "svc-1",
            sla_seconds=s.care_sla_seconds,
            broker=rt.chat.pubsub,
            limiter=rt.limits,
        ),
    ),
    "markConversationRead": (
        NotVisible,
        lambda w, s, rt: chat_svc.mark_read(_as(w.other_psychologist), _conversation(w), None),
    ),
    "completeCheckup": (
        Forbidden,
        lambda w, s, rt: checkup_svc.complete_checkup(s, _as(w.owner), _booking(w), "x", [], []),
    ),
    "leaveReview": (
        NotVisible,
        lambda w, s, rt: reviews_svc.leave_review(_as(w.stranger), _booking(w), 5, None),
    ),
    "registerPushDevice": (
        Forbidden,
        lambda w, s, rt: notify_devices.register_device(
            _as(w.agent), PushPlatform.ANDROID, "staff-device-token-0123456789"
        ),
    ),
    "unregisterPushDevice": (
        Forbidden,
        lambda w, s, rt: notify_devices.unregister_device(
            _as(w.other_psychologist), "any-device-token-0123456789"
        ),
    ),
    "setWorkingHours": (
        Forbidden,
        lambda w, s, rt: schedule_svc.set_working_hours(_as(w.agent), "UTC", []),
    ),
    "addTimeOff": (
        Forbidden,
        lambda w, s, rt: schedule_svc.add_time_off(
            _as(w.owner), day_at(3, 0), day_at(4, 0), cancel_conflicting=True
        ),
    ),
    "removeTimeOff": (
        Forbidden,
        lambda w, s, rt: schedule_svc.remove_time_off(_as(w.stranger), 1),
    ),
    "assignConversation": (
        Forbidden,
        lambda w, s, rt: chat_svc.assign_conversation(
            _as(w.owner), _conversation(w), rt.chat.pubsub
        ),
    ),
    # the back office's catalogue edits: admins only
    "setServicePrice": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.set_service_price(_as(w.agent), w.service.id, Decimal(1)),
    ),
    "createService": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.create_service(
            _as(w.other_psychologist), w.psychologist.id, ServiceKind.CHECKUP, "x", 30, Decimal(0)
        ),
    ),
    "updateService": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.update_service(
            _as(w.owner), w.service.id, is_active=False
        ),
    ),
    "updatePsychologist": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.update_psychologist(
            _as(w.other_psychologist),
            w.psychologist.id,
            catalogue_admin.ProfileChanges(full_name="Чужой"),
        ),
    ),
    "createMethod": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.create_method(_as(w.agent), "agents-method", "X"),
    ),
    "updateMethod": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.update_method(_as(w.stranger), 1, name="X"),
    ),
    "createTopic": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.create_topic(_as(w.other_psychologist), "x-topic", "X"),
    ),
    "updateTopic": (
        Forbidden,
        lambda w, s, rt: catalogue_admin.update_topic(_as(w.agent), 1, name="X"),
    ),
    # vetting: admins only; the psychologist vetted is the world's own (APPROVED)
    "createPsychologist": (
        Forbidden,
        lambda w, s, rt: vetting_svc.create_psychologist(
            _as(w.agent),
            full_name="Самозванец",
            bio="",
            time_zone="UTC",
            practice_since=date(2015, 1, 1),
            method_ids=[],
            topic_ids=[],
        ),
    ),
    "recordCredential": (
        Forbidden,
        lambda w, s, rt: vetting_svc.record_credential(
            _as(w.other_psychologist),
            w.psychologist.id,
            kind=CredentialKind.DIPLOMA,
            title="Диплом",
            hours=5000,
        ),
    ),
    "recordTestSession": (
        Forbidden,
        lambda w, s, rt: vetting_svc.record_test_session(
            _as(w.other_psychologist),
            w.psychologist.id,
            passed=True,
            panel=["Я сам"],
            held_on=date(2025, 1, 1),
        ),
    ),
    "approvePsychologist": (
        Forbidden,
        lambda w, s, rt: vetting_svc.approve(_as(w.agent), w.psychologist.id),
    ),
    "suspendPsychologist": (
        Forbidden,
        lambda w, s, rt: vetting_svc.suspend(_as(w.owner), w.psychologist.id, "не нравится"),
    ),
    "reinstatePsychologist": (
        Forbidden,
        lambda w, s, rt: vetting_svc.reinstate(_as(w.other_psychologist), w.psychologist.id),
    ),
    "rejectPsychologist": (
        Forbidden,
        lambda w, s, rt: vetting_svc.reject(_as(w.stranger), w.psychologist.id, "конкурент"),
    ),
    "recordIntervision": (
        Forbidden,
        lambda w, s, rt: vetting_svc.record_intervision(
            _as(w.other_psychologist), w.psychologist.id, "2025-01"
        ),
    ),
}


def test_the_table_names_every_mutation() -> None:
    mutation = build_schema().schema_converter.type_map["Mutation"].definition
    names = {f.graphql_name or to_camel_case(f.python_name) for f in mutation.fields}
    assert names == set(SERVICE_REFUSALS)


@pytest.mark.parametrize(
    "name", sorted(n for n, v in SERVICE_REFUSALS.items() if not isinstance(v, str))
)
async def test_the_service_refuses_an_unauthorized_caller(
    world: World, settings: Settings, app: Starlette, name: str
) -> None:
    expected, call = SERVICE_REFUSALS[name]  # type: ignore[misc]
    before = await Booking.get(id=_booking(world))
    messages = await Message.filter(conversation_id=_conversation(world)).count()
    with pytest.raises(expected):
        await call(world, settings, app.state.runtime)
    after = await Booking.get(id=before.id)
    assert (after.status, after.starts_at) == (before.status, before.starts_at)
    assert await Message.filter(conversation_id=_conversation(world)).count() == messages
    vetted = await Psychologist.get(id=world.psychologist.id)
    assert vetted.vetting_status == world.psychologist.vetting_status
