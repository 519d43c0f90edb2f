"""The outbox worker, driven by ``run_once`` with the clock moved by time-machine."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import httpx
import pytest
import time_machine

from app.core import clock
from app.core.settings import Settings
from app.notify import outbox
from app.notify.fcm import FcmProvider
from app.notify.providers import Delivered, Push, Rejected, RetryLater, SendResult, Unregistered
from app.notify.templates import TEMPLATES
from app.notify.worker import OutboxError, backoff_seconds
from models.booking import Booking, BookingStatus
from models.catalogue import Service
from models.notify import (
    DeliveryState,
    Notification,
    NotificationKind,
    NotificationStatus,
    PushDelivery,
    PushDevice,
    PushPlatform,
)
from tests.booking.conftest import MakePsychologist, day_at
from tests.factories import signed_in
from tests.helpers import gql, op
from tests.notify.conftest import PROJECT
from tests.notify.services import Answer, FakeFcm, fcm_error
from tests.notify.support import (
    ScriptedProvider,
    add_device,
    book,
    booking_gid,
    booking_row,
    by_kind,
    drain,
    ios_token,
    reload,
    rows_of,
    worker_for,
)

# The session app opens the database (a test here may run first).
pytestmark = pytest.mark.usefixtures("app")

K = NotificationKind
S = NotificationStatus


async def _checkup_push(user_id: int) -> Notification:
    """A notification due now, written as its event would write it."""
    await outbox.checkup_results_ready(user_id, 20_000_000 + user_id)
    [row] = await rows_of(user_id, K.CHECKUP_RESULTS)
    return row


async def test_each_device_gets_the_push_once_and_the_row_is_sent(settings: Settings) -> None:
    # given a client with an Android phone and an iPad
    me = await signed_in(settings)
    phone, tablet = (
        await add_device(me.user.id),
        await add_device(me.user.id, ios_token(), PushPlatform.IOS),
    )
    row = await _checkup_push(me.user.id)
    provider = ScriptedProvider()

    # when the worker runs, twice
    await drain(worker_for(settings, provider))
    await drain(worker_for(settings, provider))

    # then each device got it exactly once, with the template's words and the row's key
    for device in (phone, tablet):
        [push] = provider.to(device.token)
        assert (push.title, push.body) == (
            TEMPLATES[K.CHECKUP_RESULTS].title,
            TEMPLATES[K.CHECKUP_RESULTS].body,
        )
        assert push.idempotency_key == row.key
        assert push.collapse_key == row.key
        assert push.data == {"kind": "CHECKUP_RESULTS", "notificationKey": row.key}
    sent = await reload(row)
    assert (sent.status, sent.attempts, sent.last_error) == (S.SENT, 1, None)
    assert sent.sent_at is not None
    states = await PushDelivery.filter(notification_id=row.id).values_list("state", flat=True)
    assert sorted(states) == [DeliveryState.DELIVERED, DeliveryState.DELIVERED]


async def test_a_device_that_answered_before_a_crash_is_not_pushed_again(
    settings: Settings,
) -> None:
    # given a worker that claimed a row, delivered to the first device and died
    me = await signed_in(settings)
    first, second = await add_device(me.user.id), await add_device(me.user.id)
    row = await _checkup_push(me.user.id)
    dead = worker_for(settings)
    for _ in range(100):  # other tests' due rows may come first
        if any(r.id == row.id for r in await dead._claim(clock.now())):
            break
    assert (await reload(row)).attempts == 1
    await PushDelivery.create(
        notification_id=row.id,
        device_id=first.id,
        state=DeliveryState.DELIVERED,
        created_at=clock.now(),
    )
    provider = ScriptedProvider()
    restarted = worker_for(settings, provider)

    # when a new worker runs before the lease ends: the row is not its to take
    await drain(restarted)
    assert provider.to(second.token) == []

    # and after the lease: the rest is delivered, the first device left alone
    with time_machine.travel(clock.now() + timedelta(seconds=settings.notify_lease_seconds + 1)):
        await drain(restarted)
    assert provider.to(first.token) == []
    assert len(provider.to(second.token)) == 1
    assert (await reload(row)).status == S.SENT


async def test_retry_later_backs_off_then_delivers(settings: Settings) -> None:
    me = await signed_in(settings)
    device = await add_device(me.user.id)
    row = await _checkup_push(me.user.id)
    provider = ScriptedProvider()
    provider.answer(device.token, RetryLater(None, "UNAVAILABLE"))
    worker = worker_for(settings, provider, notify_backoff_base_seconds=30.0)

    at = clock.now()
    with time_machine.travel(at, tick=False):
        await drain(worker)
    waiting = await reload(row)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (S.PENDING, 1, "UNAVAILABLE")
    assert at + timedelta(seconds=15) <= waiting.next_attempt_at <= at + timedelta(seconds=30)

    # not before its time; then delivered
    with time_machine.travel(at + timedelta(seconds=10), tick=False):
        await drain(worker)
    assert len(provider.to(device.token)) == 1
    with time_machine.travel(waiting.next_attempt_at + timedelta(seconds=1), tick=False):
        await drain(worker)
    done = await reload(row)
    assert (done.status, done.attempts) == (S.SENT, 2)
    assert len(provider.to(device.token)) == 2


async def test_the_services_retry_after_is_honoured_up_to_the_cap(settings: Settings) -> None:
    me = await signed_in(settings)
    device = await add_device(me.user.id)
    row = await _checkup_push(me.user.id)
    provider = ScriptedProvider()
    provider.answer(device.token, RetryLater(600.0, "429"), RetryLater(10**9, "429"))
    worker = worker_for(settings, provider, notify_backoff_max_seconds=3600.0)

    at = clock.now()
    with time_machine.travel(at, tick=False):
        await drain(worker)
    first = await reload(row)
    assert first.next_attempt_at >= at + timedelta(seconds=600)
    with time_machine.travel(first.next_attempt_at, tick=False):
        await drain(worker)
    second = await reload(row)
    assert second.next_attempt_at == first.next_attempt_at + timedelta(seconds=3600)


async def test_after_max_attempts_the_row_is_dead(settings: Settings) -> None:
    me = await signed_in(settings)
    device = await add_device(me.user.id)
    row = await _checkup_push(me.user.id)
    provider = ScriptedProvider()
    provider.answer(device.token, *[RetryLater(None, "INTERNAL")] * 10)
    worker = worker_for(settings, provider, notify_max_attempts=3)

    at = clock.now()
    for hop in range(5):
        with time_machine.travel(at + timedelta(hours=2 * hop), tick=False):
            await drain(worker)
    dead = await reload(row)
    assert (dead.status, dead.attempts, dead.last_error) == (S.DEAD, 3, "INTERNAL")
    assert len(provider.to(device.token)) == 3


def test_the_back_off_doubles_with_jitter_and_stays_bounded() -> None:
    rng = random.Random(7)
    for attempts in range(1, 40):
        ceiling = min(3600.0, 30.0 * 2 ** (attempts - 1))
        delay = backoff_seconds(attempts, base=30.0, cap=3600.0, rng=rng)
        assert ceiling / 2 <= delay <= ceiling
    delays = {backoff_seconds(3, base=30.0, cap=3600.0, rng=rng) for _ in range(20)}
    assert len(delays) > 1  # jittered: a burst of failures does not retry in lockstep
    assert backoff_seconds(1, base=30.0, cap=60.0, retry_after=1e12) == 60.0


async def test_an_unregistered_token_removes_the_device_and_the_others_still_get_it(
    settings: Settings,
) -> None:
    me = await signed_in(settings)
    gone, alive = await add_device(me.user.id), await add_device(me.user.id)
    row = await _checkup_push(me.user.id)
    provider = ScriptedProvider()
    provider.answer(gone.token, Unregistered("UNREGISTERED"))

    await drain(worker_for(settings, provider))

    assert not await PushDevice.filter(id=gone.id).exists()
    assert await PushDevice.filter(id=alive.id).exists()
    assert (await reload(row)).status == S.SENT
    states = dict(await PushDelivery.filter(notification_id=row.id).values_list("error", "state"))
    assert states == {"UNREGISTERED": DeliveryState.UNREGISTERED, None: DeliveryState.DELIVERED}


async def test_a_token_registered_again_after_apns_dropped_it_is_kept(settings: Settings) -> None:
    me = await signed_in(settings)
    device = await add_device(me.user.id, ios_token(), PushPlatform.IOS)
    row = await _checkup_push(me.user.id)
    provider = ScriptedProvider()
    since = device.last_seen_at - timedelta(days=1)
    provider.answer(device.token, Unregistered("Unregistered", since=since))

    await drain(worker_for(settings, provider))

    assert await PushDevice.filter(id=device.id).exists()
    done = await reload(row)
    assert (done.status, done.last_error) == (S.FAILED, "Unregistered")


async def test_a_rejected_push_is_not_retried_and_no_device_fails_at_once(
    settings: Settings,
) -> None:
    me, nobody = await signed_in(settings), await signed_in(settings)
    device = await add_device(me.user.id)
    refused, lonely = await _checkup_push(me.user.id), await _checkup_push(nobody.user.id)
    provider = ScriptedProvider()
    provider.answer(device.token, Rejected("InvalidPayload"))

    await drain(worker_for(settings, provider))
    with time_machine.travel(clock.now() + timedelta(days=1)):
        await drain(worker_for(settings, provider))

    assert len(provider.to(device.token)) == 1
    assert ((await reload(refused)).status, (await reload(refused)).last_error) == (
        S.FAILED,
        "InvalidPayload",
    )
    assert ((await reload(lonely)).status, (await reload(lonely)).last_error) == (
        S.FAILED,
        OutboxError.NO_DEVICES,
    )


async def test_a_reminder_fires_at_its_time_and_not_for_a_booking_no_longer_confirmed(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    # given two bookings two days ahead, both with their reminders written
    me = await signed_in(settings)
    device = await add_device(me.user.id)
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    kept = await booking_row(await book(client, me, p.id, service.id, day_at(2, 10)))
    dropped = await booking_row(await book(client, me, p.id, service.id, day_at(2, 14)))
    provider = ScriptedProvider()
    worker = worker_for(settings, provider)
    await drain(worker)  # the confirmations go now
    assert len(provider.to(device.token)) == 2

    # when one is cancelled behind the outbox's back (as a bug or an admin tool might)
    await Booking.filter(id=dropped.id).update(status=BookingStatus.CANCELLED)

    # then nothing is sent before the reminders' time
    with time_machine.travel(kept.starts_at - timedelta(hours=25), tick=False):
        await drain(worker)
    assert len(provider.to(device.token)) == 2

    # and at the 24 h mark only the confirmed booking's reminder goes out
    with time_machine.travel(dropped.starts_at - timedelta(hours=24), tick=False):
        await drain(worker)
    reminders = [p for p in provider.to(device.token) if p.data["kind"] == "REMINDER_24H"]
    assert [p.idempotency_key for p in reminders] == [f"REMINDER_24H:booking:{kept.id}"]
    assert reminders[0].expires_at == kept.starts_at
    rows = await Notification.filter(booking_id=dropped.id, kind=K.REMINDER_24H).get()
    assert (rows.status, rows.last_error) == (S.CANCELLED, OutboxError.BOOKING_NOT_CONFIRMED)


async def test_a_cancelled_bookings_reminders_never_fire(
    client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    me = await signed_in(settings)
    device = await add_device(me.user.id)
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id)
    booking = await booking_row(await book(client, me, p.id, service.id, day_at(3, 10)))
    cancel = {"id": booking_gid(booking.id), "reason": None}
    await gql(client, op("CancelBooking"), cancel, me.token)
    provider = ScriptedProvider()

    with time_machine.travel(booking.starts_at - timedelta(minutes=15), tick=False):
        await drain(worker_for(settings, provider))

    kinds = [p.data["kind"] for p in provider.to(device.token)]
    assert kinds == ["BOOKING_CANCELLED"]  # the unsent confirmation went with the reminders
    rows = by_kind(await rows_of(me.user.id))
    assert rows[K.REMINDER_15M].status == S.CANCELLED


class Only:
    """FCM for this test's tokens; other tests' due rows the drain meets get Delivered
    without a request, so they cannot take the answers queued on the local FCM."""

    def __init__(self, tokens: set[str], fcm: FcmProvider) -> None:
        self.tokens, self.fcm = tokens, fcm

    async def send(self, push: Push) -> SendResult:
        return await self.fcm.send(push) if push.token in self.tokens else Delivered()

    async def aclose(self) -> None:
        return None


async def test_fcm_answers_drive_retry_and_device_removal(
    settings: Settings, fcm: FcmProvider, fcm_service: FakeFcm
) -> None:
    # given an Android device, and FCM busy for the first try
    me = await signed_in(settings)
    busy = await add_device(me.user.id)
    row = await _checkup_push(me.user.id)
    ours = {busy.token}
    worker = worker_for(settings, Only(ours, fcm))
    fcm_service.answers.append(fcm_error(503, "UNAVAILABLE"))

    # when the worker runs: FCM said 503, so it waits
    at = clock.now()
    with time_machine.travel(at, tick=False):
        await drain(worker)
    assert (await reload(row)).status == S.PENDING
    assert (await reload(row)).last_error == "UNAVAILABLE"

    # and on the next try FCM takes it, but a second, dead token answers 404 UNREGISTERED
    dead = await add_device(me.user.id)
    ours.add(dead.token)
    fcm_service.answers.append(Answer(200, {"name": f"projects/{PROJECT}/messages/busy"}))
    fcm_service.answers.append(fcm_error(404, "NOT_FOUND", "UNREGISTERED"))
    with time_machine.travel(at + timedelta(hours=2), tick=False):
        await drain(worker)
    done = await reload(row)
    assert done.status == S.SENT
    assert await PushDevice.filter(id=busy.id).exists()
    assert not await PushDevice.filter(id=dead.id).exists()
    sent = [body["message"] for _, body in fcm_service.sends]
    mine = [m for m in sent if m["data"]["notificationKey"] == row.key]
    assert [m["token"] for m in mine] == [busy.token, busy.token, dead.token]
    assert all(m["android"]["collapse_key"] == row.key for m in mine)


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_a_text_without_placeholders_or_personal_data(
    kind: NotificationKind,
) -> None:
    text = TEMPLATES[kind]
    for part in (text.title, text.body):
        assert part.strip()
        assert "{" not in part
        assert "}" not in part


async def test_the_in_process_worker_starts_with_the_runtime_and_stops_cleanly(
    settings: Settings,
) -> None:
    from app.notify.runtime import notify_runtime

    me = await signed_in(settings)
    row = await _checkup_push(me.user.id)
    await add_device(me.user.id)
    quick = settings.with_(notify_poll_seconds=0.05)
    async with notify_runtime(quick, start_worker=True) as runtime:
        assert runtime.worker is not None
        [task] = [t for t in asyncio.all_tasks() if t.get_name() == "psyline-notify-worker"]
        for _ in range(200):  # dev and test: the log-only provider "delivers"
            if (await reload(row)).status == S.SENT:
                break
            await asyncio.sleep(0.05)
    assert (await reload(row)).status == S.SENT
    assert task.done()
    assert not task.cancelled()  # it finished its batch and stopped, it was not killed


async def test_two_workers_never_claim_the_same_row(settings: Settings) -> None:
    # given a dozen due notifications (on PostgreSQL the claims race for real)
    users = [(await signed_in(settings)).user for _ in range(12)]
    tokens = {u.id: (await add_device(u.id)).token for u in users}
    rows = [await _checkup_push(u.id) for u in users]
    left, right = ScriptedProvider(), ScriptedProvider()

    # when two workers scan at the same time, in small batches
    await asyncio.gather(
        drain(worker_for(settings, left, notify_batch_size=2)),
        drain(worker_for(settings, right, notify_batch_size=2)),
    )

    # then every device got its push from one of them, once
    for row in rows:
        token = tokens[row.user_id]
        assert len(left.to(token)) + len(right.to(token)) == 1
        assert (await reload(row)).status == S.SENT
