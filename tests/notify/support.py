"""Shared steps of the outbox tests: a scripted provider, a worker, devices, rows."""

from __future__ import annotations

import random
import secrets
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from app.core.settings import Settings
from app.notify.providers import Delivered, Platform, Push, PushProvider, SendResult
from app.notify.worker import OutboxWorker
from models.booking import Booking
from models.notify import Notification, NotificationKind, NotificationStatus, PushDevice
from models.notify import PushPlatform as ModelPlatform
from schema.catalogue.types import slot_id
from tests.factories import SignedIn
from tests.helpers import gql, op


def android_token() -> str:
    return f"fcm-{secrets.token_urlsafe(24)}:APA91b"


def ios_token() -> str:
    return secrets.token_hex(32)


@dataclass
class ScriptedProvider:
    """Answers Delivered unless a token has answers queued; records every push it got."""

    script: dict[str, deque[SendResult]] = field(default_factory=lambda: defaultdict(deque))
    pushes: list[Push] = field(default_factory=list)

    def answer(self, token: str, *results: SendResult) -> None:
        self.script[token].extend(results)

    async def send(self, push: Push) -> SendResult:
        self.pushes.append(push)
        queued = self.script.get(push.token)
        return queued.popleft() if queued else Delivered(f"msg-{len(self.pushes)}")

    async def aclose(self) -> None:
        return None

    def to(self, token: str) -> list[Push]:
        return [p for p in self.pushes if p.token == token]


def worker_for(
    settings: Settings, provider: PushProvider | None = None, **changes: object
) -> OutboxWorker:
    """A worker with ``provider`` for every platform (a scripted one by default)."""
    chosen = provider or ScriptedProvider()
    return OutboxWorker(
        settings.with_(**changes),
        dict.fromkeys(Platform, chosen),
        rng=random.Random(13),
    )


async def drain(worker: OutboxWorker, rounds: int = 100) -> int:
    """Scan until nothing is due (other tests' rows are due too: they go along)."""
    total = 0
    for _ in range(rounds):
        claimed = await worker.run_once()
        total += claimed
        if not claimed:
            return total
    raise AssertionError("the outbox did not drain")


async def add_device(
    user_id: int, token: str | None = None, platform: ModelPlatform = ModelPlatform.ANDROID
) -> PushDevice:
    from app.core import clock

    now = clock.now()
    return await PushDevice.create(
        user_id=user_id,
        platform=platform,
        token=token or android_token(),
        created_at=now,
        last_seen_at=now,
    )


async def rows_of(user_id: int, *kinds: NotificationKind) -> list[Notification]:
    query = Notification.filter(user_id=user_id)
    if kinds:
        query = query.filter(kind__in=list(kinds))
    return list(await query.order_by("id"))


def by_kind(rows: Iterable[Notification]) -> dict[NotificationKind, Notification]:
    return {r.kind: r for r in rows}


async def reload(row: Notification) -> Notification:
    return await Notification.get(id=row.id)


def pending(rows: Iterable[Notification]) -> list[Notification]:
    return [r for r in rows if r.status == NotificationStatus.PENDING]


async def book(
    client: httpx.AsyncClient, who: SignedIn, psychologist_id: int, service_id: int, at: datetime
) -> dict[str, object]:
    data = await gql(
        client,
        op("BookSlot"),
        {
            "slotId": slot_id(psychologist_id, service_id, at),
            "idempotencyKey": uuid.uuid4().hex,
            "promoCode": None,
        },
        who.token,
    )
    payload: dict[str, object] = data["bookSlot"]
    return payload


def booking_gid(pk: int) -> str:
    from schema.relay import to_global_id

    return str(to_global_id("Booking", pk))


async def booking_row(payload: dict[str, object]) -> Booking:
    from schema.relay import decode_id

    booking = payload["booking"]
    assert isinstance(booking, dict), payload
    pk = decode_id(booking["id"], "Booking")
    assert pk is not None
    return await Booking.get(id=pk)
