"""The outbox rows each event writes, in the event's own transaction."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from app.chat import service as chat_svc
from app.chat.presence import LivePresence
from app.core import clock
from app.core.settings import Settings
from app.identity.viewer import Viewer
from app.notify import outbox
from models.catalogue import Service
from models.chat import Conversation
from models.enums import Role
from models.identity import User
from models.notify import Notification, NotificationKind, NotificationStatus
from schema.catalogue.types import slot_id
from schema.relay import decode_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.chat.ws import ws_session
from tests.factories import signed_in
from tests.helpers import gql, op
from tests.identity.support import make_partner, new_phone, sign_in
from tests.notify.support import book, booking_gid, booking_row, by_kind, pending, rows_of

# The session app opens the database (a test here may run first).
pytestmark = pytest.mark.usefixtures("app")

K = NotificationKind


class Boom(Exception):
    pass


async def _session(make: MakePsychologist) -> tuple[Any, Service]:
    p = await make()
    return p, await Service.get(psychologist_id=p.id)


async def test_a_booking_writes_its_confirmation_and_both_reminders(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # given a session three days ahead
    me = await signed_in(settings)
    p, service = await _session(make_psychologist)
    starts = day_at(3, 10)

    # when it is booked
    payload = await book(client, me, p.id, service.id, starts)

    # then its pushes were committed with it: now, 24 h before, 15 min before
    booking = await booking_row(payload)
    rows = by_kind(await rows_of(me.user.id))
    assert set(rows) == {K.BOOKING_CONFIRMED, K.REMINDER_24H, K.REMINDER_15M}
    assert all(r.booking_id == booking.id for r in rows.values())
    assert all(r.status == NotificationStatus.PENDING for r in rows.values())
    assert rows[K.REMINDER_24H].due_at == starts - timedelta(hours=24)
    assert rows[K.REMINDER_15M].due_at == starts - timedelta(minutes=15)
    assert rows[K.REMINDER_15M].next_attempt_at == rows[K.REMINDER_15M].due_at
    assert rows[K.REMINDER_15M].key == f"REMINDER_15M:booking:{booking.id}"


async def test_a_reminder_whose_time_has_passed_at_booking_is_not_written(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    me = await signed_in(settings)
    p, service = await _session(make_psychologist)
    soon = clock.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    soon = soon.replace(minute=0 if soon.minute < 30 else 30)

    await book(client, me, p.id, service.id, soon)

    assert set(by_kind(await rows_of(me.user.id))) == {K.BOOKING_CONFIRMED, K.REMINDER_15M}


async def test_a_refused_booking_writes_nothing(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # given a time someone else has booked
    first, second = await signed_in(settings), await signed_in(settings)
    p, service = await _session(make_psychologist)
    starts = day_at(4, 11)
    assert (await book(client, first, p.id, service.id, starts))["errors"] == []

    # when a second client tries the same time
    refused = await book(client, second, p.id, service.id, starts)

    # then the refusal left no notification behind
    assert [e["code"] for e in refused["errors"]] == ["SLOT_UNAVAILABLE"]  # type: ignore[attr-defined]
    assert await rows_of(second.user.id) == []


async def test_a_rolled_back_event_takes_its_rows_along(settings: Settings) -> None:
    me = await signed_in(settings)
    checkup = 10_000_000 + me.user.id

    async def results_then_fail() -> None:
        async with in_transaction():
            await outbox.checkup_results_ready(me.user.id, checkup)
            raise Boom

    with pytest.raises(Boom):
        await results_then_fail()
    assert await rows_of(me.user.id) == []

    async with in_transaction():
        await outbox.checkup_results_ready(me.user.id, checkup)
        await outbox.checkup_results_ready(me.user.id, checkup)  # a retry of the event
    [row] = await rows_of(me.user.id)
    assert (row.kind, row.key) == (K.CHECKUP_RESULTS, f"CHECKUP_RESULTS:checkup:{checkup}")


async def test_cancelling_cancels_the_pending_reminders_in_the_same_transaction(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    me = await signed_in(settings)
    p, service = await _session(make_psychologist)
    booking = await booking_row(await book(client, me, p.id, service.id, day_at(5, 9)))

    variables = {"id": booking_gid(booking.id), "reason": None}
    data = await gql(client, op("CancelBooking"), variables, me.token)

    assert data["cancelBooking"]["errors"] == []
    rows = by_kind(await rows_of(me.user.id))
    assert rows[K.REMINDER_24H].status == NotificationStatus.CANCELLED
    assert rows[K.REMINDER_15M].status == NotificationStatus.CANCELLED
    assert rows[K.BOOKING_CANCELLED].status == NotificationStatus.PENDING
    assert [r.kind for r in pending(rows.values())] == [K.BOOKING_CANCELLED]


async def test_rescheduling_moves_the_reminders_to_the_new_time(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # given a booking three days ahead with both reminders
    me = await signed_in(settings)
    p, service = await _session(make_psychologist)
    old = await booking_row(await book(client, me, p.id, service.id, day_at(3, 9)))
    before = by_kind(await rows_of(me.user.id, K.REMINDER_24H, K.REMINDER_15M))

    # when it moves to six days ahead
    new_start = day_at(6, 14)
    data = await gql(
        client,
        op("RescheduleBooking"),
        {"id": booking_gid(old.id), "slotId": slot_id(p.id, service.id, new_start)},
        me.token,
    )

    # then the same reminder rows now point at the new booking and its new times
    assert data["rescheduleBooking"]["errors"] == []
    new_id = decode_id(data["rescheduleBooking"]["booking"]["id"], "Booking")
    after = by_kind(await rows_of(me.user.id, K.REMINDER_24H, K.REMINDER_15M))
    assert {k: r.id for k, r in after.items()} == {k: r.id for k, r in before.items()}
    assert after[K.REMINDER_24H].due_at == new_start - timedelta(hours=24)
    assert after[K.REMINDER_15M].due_at == new_start - timedelta(minutes=15)
    assert all(r.booking_id == new_id and r.status == "PENDING" for r in after.values())
    assert after[K.REMINDER_24H].key == f"REMINDER_24H:booking:{new_id}"
    # the old time's unsent confirmation is moot now
    assert await Notification.filter(booking_id=old.id, status="PENDING").count() == 0
    assert await Notification.filter(booking_id=new_id, kind=K.BOOKING_RESCHEDULED).exists()


async def test_rescheduling_closer_drops_the_reminder_that_no_longer_fits(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    me = await signed_in(settings)
    p, service = await _session(make_psychologist)
    old = await booking_row(await book(client, me, p.id, service.id, day_at(3, 9)))
    soon = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=4)

    data = await gql(
        client,
        op("RescheduleBooking"),
        {"id": booking_gid(old.id), "slotId": slot_id(p.id, service.id, soon)},
        me.token,
    )

    assert data["rescheduleBooking"]["errors"] == []
    rows = by_kind(await rows_of(me.user.id, K.REMINDER_24H, K.REMINDER_15M))
    assert rows[K.REMINDER_24H].status == NotificationStatus.CANCELLED
    assert rows[K.REMINDER_15M].status == NotificationStatus.PENDING
    assert rows[K.REMINDER_15M].due_at == soon - timedelta(minutes=15)


async def test_the_first_partner_sign_in_writes_the_welcome_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    partner = await make_partner()
    phone = new_phone()

    first = await sign_in(client, partner.mint(phone))
    again = await sign_in(client, partner.mint(phone))

    assert first["viewer"]["isNewUser"] is True
    assert again["viewer"]["isNewUser"] is False
    user = await User.get(phone_e164=phone)
    [welcome] = await rows_of(user.id)
    assert welcome.kind == K.WELCOME
    assert welcome.key == f"WELCOME:user:{user.id}"
    delay = (welcome.due_at - welcome.created_at).total_seconds()
    assert delay == pytest.approx(settings.notify_welcome_delay_seconds)


async def test_a_care_reply_is_pushed_only_while_the_client_is_away(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a client's conversation, and an agent
    person, conversation = await client_with_conversation(client, settings)
    helper = await agent(settings)
    pk = decode_id(conversation["id"], "CareConversation")
    assert pk is not None
    presence = LivePresence()
    viewer = Viewer(helper.user.id, Role.CARE_AGENT, "test", clock.now() + timedelta(hours=1))

    async def reply(cmid: str) -> None:
        await chat_svc.send_message(
            viewer,
            pk,
            "Здравствуйте!",
            cmid,
            sla_seconds=300,
            broker=_Quiet(),  # type: ignore[arg-type]
            limiter=_NoLimit(),  # type: ignore[arg-type]
            presence=presence,
        )

    # when the agent replies while the client watches live, then while they are away
    with presence.following(person.user.id):
        await reply("live-1")
    assert await rows_of(person.user.id, K.CARE_REPLY) == []
    await reply("away-1")
    await reply("away-2")  # a second reply before the first push went: no second buzz

    # then one push, keyed by the first reply the client missed
    [row] = await rows_of(person.user.id, K.CARE_REPLY)
    assert row.key.startswith("CARE_REPLY:message:")
    assert (await Conversation.get(id=pk)).client_id == person.user.id


async def test_a_clients_own_message_is_never_pushed_to_them(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    data = await gql(
        client,
        op("SendMessage"),
        {"conversationId": conversation["id"], "text": "Привет", "clientMessageId": "own-1"},
        person.token,
    )
    assert data["sendMessage"]["errors"] == []
    assert await rows_of(person.user.id, K.CARE_REPLY) == []


class _Quiet:
    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        return None


class _NoLimit:
    async def hit(self, rule: str, key: str) -> float | None:
        return None


async def test_a_reply_seen_on_the_live_subscription_is_not_pushed_and_one_after_is(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    # given a client following their conversation over a socket
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    cid = conversation["id"]
    async with ws_session(live_server, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid})
        await asyncio.sleep(0.2)  # the subscription is running

        # when the care team replies: the client sees it live, no push
        await send_ok(client, staff.token, cid, "Сейчас поможем", operation="AgentReply")
        assert (await ws.data(sub))["messageAdded"]["node"]["text"] == "Сейчас поможем"
        assert await rows_of(person.user.id, K.CARE_REPLY) == []

    # and once the client has left, the next reply is pushed
    await asyncio.sleep(0.2)  # the subscription's end reaches the server
    await send_ok(client, staff.token, cid, "Вы здесь?", operation="AgentReply")
    [row] = await rows_of(person.user.id, K.CARE_REPLY)
    assert row.status == NotificationStatus.PENDING
