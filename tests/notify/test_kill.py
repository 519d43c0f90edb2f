"""THE KILL TEST: ``python -m app worker`` killed with SIGKILL mid-batch, started again:
every notification reaches every device of its user, and none twice.

Run once per service: FCM (HTTP/1.1, one request per push) and APNs (HTTP/2: the held
pushes are streams in flight on the one connection the kill breaks).

The local service (FCM: OAuth token endpoint and ``messages:send``) counts the pushes it answered
200 to a worker still connected, per (notification key, device token). It answers the
first few of ours at once, then holds every further request of ours unanswered: the
test kills the worker while it waits on them, after the answered ones are recorded in
the database. The held requests were never answered (the worker died first; they are let
go only then, with nobody left to hear the answer), so they are not deliveries; the worker
started again must send exactly those, and nothing the first one had delivered.

Runs against the session's database: an SQLite file, or PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.core.settings import ROOT, Settings
from app.notify import outbox
from models.notify import Notification, NotificationStatus, PushDelivery, PushPlatform
from tests.factories import signed_in
from tests.notify.conftest import (
    APNS_KEY_ID,
    BUNDLE_ID,
    PROJECT,
    TEAM_ID,
    pem,
    service_account_json,
)
from tests.notify.services import serve_h2
from tests.notify.support import add_device, android_token, ios_token
from tests.servers import serve_in_loop

USERS = 8
DEVICES_PER_USER = 2
ANSWER_AT_ONCE = 3  # then ours are held until the worker is dead


class Counting:
    """What the kill test counts, whichever service speaks: per (notification key, token),
    the requests of ours and the ones answered 200 to a worker still connected."""

    def __init__(self, ours: set[str]) -> None:
        self.ours = ours
        self.url = ""
        self.delivered: Counter[tuple[str, str]] = Counter()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.held = 0
        self.release = asyncio.Event()

    async def answer(self, key: str, token: str) -> bool:
        """True: delivered now. False: held until the worker is dead, then let go (503)."""
        pair = (key, token)
        self.requests[pair] += 1
        if sum(self.delivered.values()) >= ANSWER_AT_ONCE and not self.release.is_set():
            # Held until the worker that sent it is dead: never answered, not delivered.
            self.held += 1
            await self.release.wait()
            return False
        self.delivered[pair] += 1
        return True

    def app(self) -> Starlette:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """The worker's variables for this service."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        async with serve_in_loop(self.app()) as url:
            self.url = url
            yield


class CountingFcm(Counting):
    def __init__(self, ours: set[str], key: rsa.RSAPrivateKey) -> None:
        super().__init__(ours)
        self.key = key

    async def token(self, request: Request) -> Response:
        return JSONResponse({"access_token": "ya29.kill-test", "expires_in": 3600})

    async def send(self, request: Request) -> Response:
        message = (await request.json())["message"]
        key = message.get("data", {}).get("notificationKey", "")
        if key not in self.ours:  # another test's row, delivered by this worker too
            return JSONResponse({"name": "projects/p/messages/other"})
        if not await self.answer(key, message["token"]):
            return Response(status_code=503)
        return JSONResponse({"name": f"projects/{PROJECT}/messages/{sum(self.delivered.values())}"})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route("/v1/projects/{project}/messages:send", self.send, methods=["POST"]),
            ]
        )

    def env(self) -> dict[str, str]:
        return {
            "FCM_SERVICE_ACCOUNT_JSON": service_account_json(self.key, f"{self.url}/token"),
            "FCM_BASE_URL": self.url,
        }


class CountingApns(Counting):
    """``POST /3/device/{token}`` over HTTP/2 (hypercorn): one connection, many streams, so
    the held requests are streams in flight on the connection the kill breaks."""

    def __init__(self, ours: set[str], key: ec.EllipticCurvePrivateKey) -> None:
        super().__init__(ours)
        self.key = key

    async def push(self, request: Request) -> Response:
        body = await request.json()  # the whole body first (see tests.notify.services)
        key = body.get("notificationKey", "")
        apns_id = request.headers.get("apns-id", "")
        if key not in self.ours:
            return Response(status_code=200, headers={"apns-id": apns_id})
        if not await self.answer(key, request.path_params["token"]):
            return JSONResponse({"reason": "ServiceUnavailable"}, status_code=503)
        return Response(status_code=200, headers={"apns-id": apns_id})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/3/device/{token}", self.push, methods=["POST"])])

    def env(self) -> dict[str, str]:
        return {
            "APNS_KEY_ID": APNS_KEY_ID,
            "APNS_TEAM_ID": TEAM_ID,
            "APNS_PRIVATE_KEY": pem(self.key),
            "APNS_BUNDLE_ID": BUNDLE_ID,
            "APNS_BASE_URL": self.url,
        }

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        async with serve_h2(self.app()) as url:
            self.url = url
            yield


async def _start_worker(
    settings: Settings, service: Counting, log: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "PSYLINE_VAR_DIR": str(settings.var_dir),
        "LOG_LEVEL": "WARNING",
        "NOTIFY_BATCH_SIZE": "4",
        "NOTIFY_POLL_SECONDS": "0.1",
        # The held requests must not time out before the kill; the lease is what the
        # second worker waits for before it takes the first one's claimed rows.
        "PUSH_TIMEOUT_SECONDS": "5",
        "NOTIFY_LEASE_SECONDS": "6",
    }
    for name in (
        "REDIS_URL",
        "FCM_SERVICE_ACCOUNT_JSON",
        "FCM_BASE_URL",
        "APNS_KEY_ID",
        "APNS_TEAM_ID",
        "APNS_PRIVATE_KEY",
        "APNS_BUNDLE_ID",
        "APNS_BASE_URL",
    ):
        env.pop(name, None)
    env.update(service.env())
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "worker",
        cwd=str(ROOT),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("platform", [PushPlatform.ANDROID, PushPlatform.IOS])
async def test_a_worker_killed_mid_batch_delivers_every_notification_once_per_device(
    settings: Settings,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
    app: Starlette,
    platform: PushPlatform,
) -> None:
    # given notifications due now for users with two devices each (FCM or APNs)
    rows: list[Notification] = []
    devices: dict[int, list[str]] = {}
    token = ios_token if platform == PushPlatform.IOS else android_token
    for _ in range(USERS):
        user = (await signed_in(settings)).user
        devices[user.id] = [
            (await add_device(user.id, token(), platform)).token for _ in range(DEVICES_PER_USER)
        ]
        await outbox.checkup_results_ready(user.id, secrets.randbelow(2**40))
        rows += await Notification.filter(user_id=user.id)
    ours = {r.key for r in rows}
    fcm: Counting = (
        CountingApns(ours, ec_key) if platform == PushPlatform.IOS else CountingFcm(ours, rsa_key)
    )
    log = Path(settings.var_dir) / f"kill-test-worker-{platform.value}.log"

    async def recorded() -> int:
        return await PushDelivery.filter(notification_id__in=[r.id for r in rows]).count()

    async with fcm.serving():
        first = await _start_worker(settings, fcm, log)
        try:
            # when it has delivered (and recorded) some and waits on the next ones
            async def mid_batch() -> bool:
                return fcm.held > 0 and await recorded() >= ANSWER_AT_ONCE

            await _until(mid_batch, 60, "the first worker to be mid-batch")
            first.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(first.wait(), 10) == -signal.SIGKILL
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        delivered_before_kill = sum(fcm.delivered.values())
        assert delivered_before_kill == ANSWER_AT_ONCE
        fcm.release.set()  # the held requests end unanswered; from now on all are answered

        # and a new worker is started
        second = await _start_worker(settings, fcm, log)
        try:

            async def all_sent() -> bool:
                states = await Notification.filter(id__in=[r.id for r in rows]).values_list(
                    "status", flat=True
                )
                return all(s == NotificationStatus.SENT for s in states)

            await _until(all_sent, 90, "every notification to be SENT")
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)

    # then each device has each of its user's notifications exactly once
    expected = {(r.key, token) for r in rows for token in devices[r.user_id]}
    assert set(fcm.delivered) == expected
    assert all(count == 1 for count in fcm.delivered.values()), fcm.delivered
    # the pushes held at the kill were sent again, with the same idempotency key
    assert any(count == 2 for count in fcm.requests.values())
    assert await recorded() == len(expected)
    assert second.returncode == 0, log.read_text()[-2000:]
