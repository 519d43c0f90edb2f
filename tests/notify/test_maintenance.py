"""Looking after the outbox: backlog figures, dead letters requeued, retention pruning."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from app.core import clock
from app.core.settings import Settings
from app.notify import maintenance, outbox
from app.notify.providers import RetryLater
from models.notify import Notification, NotificationKind, NotificationStatus, PushDelivery
from tests.factories import signed_in
from tests.helpers import dev_env, run_in_checkout
from tests.notify.support import ScriptedProvider, add_device, drain, reload, rows_of, worker_for

pytestmark = pytest.mark.usefixtures("app")

S = NotificationStatus


async def _push(user_id: int) -> Notification:
    await outbox.checkup_results_ready(user_id, 30_000_000 + user_id)
    [row] = await rows_of(user_id, NotificationKind.CHECKUP_RESULTS)
    return row


async def _dead_row(settings: Settings) -> tuple[Notification, ScriptedProvider, str]:
    me = await signed_in(settings)
    device = await add_device(me.user.id)
    row = await _push(me.user.id)
    provider = ScriptedProvider()
    provider.answer(device.token, *[RetryLater(None, "INTERNAL")] * 2)
    worker = worker_for(settings, provider, notify_max_attempts=2)
    at = clock.now()
    for hop in range(3):
        with time_machine.travel(at + timedelta(hours=2 * hop), tick=False):
            await drain(worker)
    assert (await reload(row)).status == S.DEAD
    return row, provider, device.token


async def test_a_requeued_dead_letter_is_delivered_once_with_fresh_attempts(
    settings: Settings,
) -> None:
    row, provider, token = await _dead_row(settings)
    assert row.id in [r.id for r in await maintenance.dead_letters(1_000)]
    assert (await maintenance.backlog()).dead >= 1

    assert await maintenance.requeue([row.id]) == 1
    again = await reload(row)
    assert (again.status, again.attempts, again.last_error) == (S.PENDING, 0, None)
    assert await maintenance.requeue([row.id]) == 0  # only DEAD rows move
    assert await maintenance.requeue([]) == 0

    await drain(worker_for(settings, provider))  # the device answers now
    assert (await reload(row)).status == S.SENT
    assert len(provider.to(token)) == 3  # two failed tries, then one delivery


async def test_the_backlog_counts_due_and_later_rows_and_the_oldest_due_age(
    settings: Settings,
) -> None:
    me = await signed_in(settings)
    await _push(me.user.id)
    now = clock.now()
    before = await maintenance.backlog(now)
    assert before.pending_due >= 1
    assert before.oldest_due_seconds is not None
    assert before.oldest_due_seconds >= 0
    later = await maintenance.backlog(now + timedelta(minutes=10))
    assert later.oldest_due_seconds is not None
    assert later.oldest_due_seconds >= before.oldest_due_seconds + 600


async def test_pruning_deletes_old_final_rows_with_their_deliveries_and_keeps_the_rest(
    settings: Settings,
) -> None:
    me = await signed_in(settings)
    await add_device(me.user.id)
    sent = await _push(me.user.id)
    await drain(worker_for(settings))
    assert (await reload(sent)).status == S.SENT
    dead, _, _ = await _dead_row(settings)
    start = clock.now()

    with time_machine.travel(start + timedelta(days=29), tick=False):
        assert await maintenance.prune(timedelta(days=30)) >= 0
        assert await Notification.filter(id=sent.id).exists()
    with time_machine.travel(start + timedelta(days=31), tick=False):
        fresh_user = await signed_in(settings)
        fresh = await _push(fresh_user.user.id)  # pending, and new: kept
        assert await maintenance.prune(timedelta(days=30)) >= 1
    assert not await Notification.filter(id=sent.id).exists()
    assert not await PushDelivery.filter(notification_id=sent.id).exists()
    assert await Notification.filter(id=dead.id).exists()  # dead letters wait for a human
    assert await Notification.filter(id=fresh.id).exists()
    with time_machine.travel(start + timedelta(days=31), tick=False):
        assert await maintenance.prune(timedelta(days=30), include_dead=True) >= 1
    assert not await Notification.filter(id=dead.id).exists()


async def test_the_worker_prunes_when_idle_at_most_hourly(settings: Settings) -> None:
    me = await signed_in(settings)
    await add_device(me.user.id)
    first = await _push(me.user.id)
    worker = worker_for(settings, notify_retention_days=1)
    await drain(worker)
    start = clock.now()
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert await worker.prune_if_due() >= 1
        assert not await Notification.filter(id=first.id).exists()
        second_user = await signed_in(settings)
        await add_device(second_user.user.id)
        second = await _push(second_user.user.id)
        await drain(worker)
    with time_machine.travel(start + timedelta(days=3, minutes=30), tick=False):
        assert await worker.prune_if_due() >= 1  # a day later: due again
    with time_machine.travel(start + timedelta(days=3, minutes=40), tick=False):
        assert await worker.prune_if_due() == 0  # not within the hour
    assert not await Notification.filter(id=second.id).exists()
    kept = worker_for(settings, notify_retention_days=0)
    assert await kept.prune_if_due() == 0


def test_the_outbox_commands_print_json_and_refuse_an_unnamed_requeue(tmp_path: Path) -> None:
    env = dev_env(tmp_path / "var", LOG_LEVEL="WARNING")
    assert run_in_checkout([sys.executable, "-m", "app", "migrate"], env).returncode == 0
    status = run_in_checkout([sys.executable, "-m", "app", "outbox", "status"], env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == (
        '{"pendingDue": 0, "pendingLater": 0, "oldestDueSeconds": null, "dead": 0}'
    )
    refused = run_in_checkout([sys.executable, "-m", "app", "outbox", "requeue"], env)
    assert refused.returncode != 0
    assert "--all" in refused.stderr
    for args in (["dead"], ["requeue", "--all"], ["prune", "--days", "7"]):
        done = run_in_checkout([sys.executable, "-m", "app", "outbox", *args], env)
        assert done.returncode == 0, done.stderr
