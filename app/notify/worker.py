"""The outbox worker: claims due notifications, pushes them to every device of their user.

One scan (``run_once``) claims up to ``notify_batch_size`` due PENDING rows in a short
transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several workers share the load;
SQLite: one worker process) and gives each a lease: ``attempts + 1`` and
``next_attempt_at`` pushed ``notify_lease_seconds`` ahead. No transaction is held while
the providers are called; a worker that dies leaves its rows to be claimed again when
the lease ends.

Delivery is at least once, and never twice to a device that answered:

- each device's answer is written (``PushDelivery``) before the next device is tried, and
  a claimed row skips the devices that have an answer already;
- the provider gets the row's idempotency key with every try (APNs ``apns-id``, and as the
  collapse key on both services), so the one push in flight when a worker is killed, sent
  again, replaces itself on the device instead of showing twice.

Outcomes per device: Delivered is recorded; Unregistered records and deletes the device;
Rejected records (no retry); RetryLater (429, 5xx, network) leaves the device for the next
try, after an exponential back-off with jitter (bounded; the service's Retry-After is
honoured up to the bound). A row retried ``notify_max_attempts`` times is DEAD. A
reminder whose booking is no longer CONFIRMED (or has started) is CANCELLED unsent.

When idle, the loop also prunes final rows past ``notify_retention_days`` (hourly, in
chunks: ``app.notify.maintenance``). Time is read from ``app.core.clock`` only; tests
call ``run_once`` and move the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.core import clock
from app.core.errors import raise_if_cancelled
from app.core.settings import Settings
from app.notify import maintenance
from app.notify.outbox import REMINDERS
from app.notify.providers import (
    Delivered,
    Platform,
    Push,
    PushProvider,
    Rejected,
    RetryLater,
    SendResult,
    Unregistered,
)
from app.notify.templates import text_for
from models.booking import Booking, BookingStatus
from models.notify import (
    DeliveryState,
    Notification,
    NotificationStatus,
    PushDelivery,
    PushDevice,
)

log = logging.getLogger("psyline.notify.worker")

MAX_COLLAPSE_KEY = 64  # APNs refuses a longer apns-collapse-id
_SAFE = re.compile(r"[^A-Za-z0-9_:. -]")


class OutboxError(StrEnum):
    """``last_error`` / ``PushDelivery.error`` codes of our own (providers add theirs)."""

    NO_DEVICES = "NO_DEVICES"  # the user has no registered device
    NO_PROVIDER = "NO_PROVIDER"  # no provider is configured for the device's platform
    BOOKING_NOT_CONFIRMED = "BOOKING_NOT_CONFIRMED"  # a reminder of a cancelled/moved one
    TOO_LATE = "TOO_LATE"  # a reminder claimed after its session began
    ALL_REFUSED = "ALL_REFUSED"  # every device answered Unregistered or Rejected
    SEND_FAILED = "SEND_FAILED"  # the provider raised (a bug or an odd network failure)


def short_code(reason: str) -> str:
    """A provider's reason as a short, safe code (no token or text can be in it anyway)."""
    return _SAFE.sub("_", reason)[:64]


def backoff_seconds(
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """The wait before try ``attempts + 1``: ``base * 2**(attempts-1)`` capped at ``cap``,
    jittered down to half of it (so a burst of failures does not retry in lockstep), and
    never shorter than the service's ``Retry-After`` (itself capped)."""
    exponent = min(max(attempts - 1, 0), 30)
    ceiling = min(cap, base * 2**exponent)
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(cap, retry_after))
    return delay


class OutboxWorker:
    def __init__(
        self,
        settings: Settings,
        providers: Mapping[Platform, PushProvider],
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._providers = dict(providers)
        self._rng = rng or random.Random()  # jitter, not a secret
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._next_prune: datetime | None = None  # the first scan of a run prunes

    # --- one scan ---------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver them; how many were claimed."""
        rows = await self._claim(clock.now())
        if rows:
            results = await asyncio.gather(
                *(self._deliver(row) for row in rows), return_exceptions=True
            )
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    raise_if_cancelled(result)
                    # Left PENDING: claimed again when its lease ends.
                    log.error("notification %s failed in the worker", row.id, exc_info=result)
        return len(rows)

    async def _claim(self, now: datetime) -> list[Notification]:
        settings = self._settings
        lease_until = now + timedelta(seconds=settings.notify_lease_seconds)
        async with in_transaction():
            rows = await (
                Notification.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id")
                .limit(settings.notify_batch_size)
                .select_for_update(skip_locked=True)
            )
            if rows:
                await Notification.filter(id__in=[r.id for r in rows]).update(
                    attempts=F("attempts") + 1, next_attempt_at=lease_until
                )
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = lease_until
        return list(rows)

    async def _deliver(self, row: Notification) -> None:
        now = clock.now()
        expires_at: datetime | None = None
        if row.kind in REMINDERS:
            booking = (
                await Booking.get_or_none(id=row.booking_id) if row.booking_id is not None else None
            )
            if booking is None or booking.status != BookingStatus.CONFIRMED:
                await self._finish(
                    row, NotificationStatus.CANCELLED, OutboxError.BOOKING_NOT_CONFIRMED
                )
                return
            if booking.starts_at <= now:  # the worker was down past the session's start
                await self._finish(row, NotificationStatus.CANCELLED, OutboxError.TOO_LATE)
                return
            expires_at = booking.starts_at  # a reminder after the start is noise: dropped
        devices = await PushDevice.filter(user_id=row.user_id).order_by("id")
        answered: dict[int | None, DeliveryState] = dict(
            await PushDelivery.filter(notification_id=row.id).values_list("device_id", "state")
        )
        delivered = DeliveryState.DELIVERED in answered.values()
        if not devices and not answered:
            await self._finish(row, NotificationStatus.FAILED, OutboxError.NO_DEVICES)
            return
        text = text_for(row.kind)
        retry: list[RetryLater] = []
        refused: str | None = None
        for device in devices:
            if device.id in answered:
                continue  # it has this one already (or refused it): never again
            platform = Platform(device.platform.value)
            provider = self._providers.get(platform)
            if provider is None:
                await self._record(row, device, DeliveryState.REJECTED, OutboxError.NO_PROVIDER)
                refused = OutboxError.NO_PROVIDER
                continue
            push = Push(
                token=device.token,
                platform=platform,
                title=text.title,
                body=text.body,
                idempotency_key=row.key,
                collapse_key=row.key[:MAX_COLLAPSE_KEY],
                data={"kind": row.kind.value, "notificationKey": row.key},
                expires_at=expires_at,
            )
            result = await self._send(provider, push, row)
            if isinstance(result, Delivered):
                await self._record(
                    row, device, DeliveryState.DELIVERED, message_id=result.message_id
                )
                delivered = True
            elif isinstance(result, Unregistered):
                await self._record(row, device, DeliveryState.UNREGISTERED, result.reason)
                refused = result.reason
                await self._forget(device, result)
            elif isinstance(result, Rejected):
                await self._record(row, device, DeliveryState.REJECTED, result.reason)
                refused = result.reason
            else:
                retry.append(result)
        if retry:
            await self._retry(row, retry)
        elif delivered:
            await self._finish(row, NotificationStatus.SENT, sent=True)
        else:
            await self._finish(row, NotificationStatus.FAILED, refused or OutboxError.ALL_REFUSED)

    async def _send(self, provider: PushProvider, push: Push, row: Notification) -> SendResult:
        try:
            return await provider.send(push)
        except Exception as exc:  # a provider bug must not stop the other devices
            raise_if_cancelled(exc)
            log.warning("push of notification %s raised %s", row.id, type(exc).__name__)
            return RetryLater(None, OutboxError.SEND_FAILED)

    async def _record(
        self,
        row: Notification,
        device: PushDevice,
        state: DeliveryState,
        error: str | None = None,
        *,
        message_id: str | None = None,
    ) -> None:
        record = PushDelivery(
            notification_id=row.id,
            device_id=device.id,
            state=state,
            provider_message_id=message_id[:200] if message_id else None,
            error=short_code(error) if error else None,
            created_at=clock.now(),
        )
        # A second worker past an expired lease may answer for the same device: one row.
        await PushDelivery.bulk_create([record], ignore_conflicts=True)

    async def _forget(self, device: PushDevice, result: Unregistered) -> None:
        """Delete a dead token, unless it was registered again after the service's
        ``since`` (APNs): then the app has a fresh registration and the device lives."""
        alive = result.since is not None and device.last_seen_at > result.since
        if not alive:
            await PushDevice.filter(id=device.id).delete()

    async def _retry(self, row: Notification, retries: list[RetryLater]) -> None:
        settings = self._settings
        reason = short_code(retries[-1].reason)
        if row.attempts >= settings.notify_max_attempts:
            log.warning("notification %s is dead after %s attempts", row.id, row.attempts)
            await self._finish(row, NotificationStatus.DEAD, reason)
            return
        afters = [r.after for r in retries if r.after is not None]
        delay = backoff_seconds(
            row.attempts,
            base=settings.notify_backoff_base_seconds,
            cap=settings.notify_backoff_max_seconds,
            retry_after=max(afters) if afters else None,
            rng=self._rng,
        )
        await self._guarded(row).update(
            next_attempt_at=clock.now() + timedelta(seconds=delay), last_error=reason
        )

    async def _finish(
        self,
        row: Notification,
        status: NotificationStatus,
        error: str | None = None,
        *,
        sent: bool = False,
    ) -> None:
        changes: dict[str, object] = {"status": status, "last_error": error}
        if sent:
            changes["sent_at"] = clock.now()
        await self._guarded(row).update(**changes)

    @staticmethod
    def _guarded(row: Notification) -> QuerySet[Notification]:
        """Only the row as claimed: not if it was cancelled, or moved to another booking
        (its key changes), while it was being sent."""
        return Notification.filter(id=row.id, key=row.key, status=NotificationStatus.PENDING)

    async def prune_if_due(self) -> int:
        """Delete final rows past ``notify_retention_days``, at most once per
        ``PRUNE_EVERY`` and a bounded number per call; how many were deleted."""
        days = self._settings.notify_retention_days
        now = clock.now()
        if days <= 0 or (self._next_prune is not None and now < self._next_prune):
            return 0
        self._next_prune = now + maintenance.PRUNE_EVERY
        return await maintenance.prune(
            timedelta(days=days), now=now, max_rows=10 * maintenance.PRUNE_CHUNK
        )

    # --- the loop ---------------------------------------------------------------------

    def wake(self) -> None:
        """Scan now instead of at the end of the poll interval."""
        self._wake.set()

    async def run(self) -> None:
        """Scan until ``stop``: at once again after a full batch, else after the poll
        interval (or a ``wake``). A failed scan (the database away) is retried."""
        poll = self._settings.notify_poll_seconds
        batch = self._settings.notify_batch_size
        while not self._stopping.is_set():
            try:
                claimed = await self.run_once()
                if claimed < batch:  # idle: housekeeping does not delay a backlog
                    await self.prune_if_due()
            except Exception as exc:
                raise_if_cancelled(exc)
                log.warning("outbox scan failed: %s", type(exc).__name__)
                claimed = 0
            if claimed >= batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)
            self._wake.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[OutboxWorker]:
        """The loop as a task (``psyline-notify-worker``) for the block's duration; on
        exit it finishes the batch in hand (bounded by the push timeout), then stops."""
        task = asyncio.create_task(self.run(), name="psyline-notify-worker")
        try:
            yield self
        finally:
            self.stop()
            grace = self._settings.push_timeout_seconds + 1
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()  # what it was sending is claimed again after its lease
                with contextlib.suppress(asyncio.CancelledError):
                    await task
