"""The push-notification provider interface (issue 13): one ``send`` per push, one answer.

A provider turns a :class:`Push` into a single HTTP request to its service and reports
exactly one :class:`SendResult`; what to do next is the caller's (the outbox worker's):

- :class:`Delivered`: the service accepted it.
- :class:`Unregistered`: the device token is dead; remove the device.
- :class:`RetryLater`: 429, 5xx, a network error or a credential problem we can fix;
  ``after`` is the service's ``Retry-After`` in seconds when it sent one.
- :class:`Rejected`: the push can never be delivered as it is (bad payload, bad topic);
  ``reason`` is the service's own code.

Device tokens, titles, bodies and data never reach the logs: at most
:func:`token_hash`, a short hash of the token.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from app.core import clock

log = logging.getLogger("app.notify")


class Platform(enum.StrEnum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


@dataclass(frozen=True)
class Push:
    """One notification to one device. ``idempotency_key`` is the outbox row's key: the
    same push sent twice carries the same key (APNs gets it as a stable ``apns-id``)."""

    token: str = field(repr=False)
    platform: Platform
    title: str = field(repr=False)
    body: str = field(repr=False)
    idempotency_key: str
    collapse_key: str | None = None
    data: dict[str, str] = field(default_factory=dict, repr=False)
    # After this the services drop it undelivered (None: the provider's default TTL).
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.token or not self.idempotency_key:
            raise ValueError("a push needs a device token and an idempotency key")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")

    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()


@dataclass(frozen=True)
class Delivered:
    # The service's id for the message (FCM's message name, APNs' apns-id), if any.
    message_id: str | None = None


@dataclass(frozen=True)
class Unregistered:
    reason: str
    # APNs (410): since when the token is no longer valid. A device that registered the
    # same token again after this is alive: the caller keeps it.
    since: datetime | None = None


@dataclass(frozen=True)
class RetryLater:
    after: float | None
    reason: str


@dataclass(frozen=True)
class Rejected:
    reason: str


SendResult = Delivered | Unregistered | RetryLater | Rejected


class PushProvider(Protocol):
    async def send(self, push: Push) -> SendResult: ...

    async def aclose(self) -> None: ...


def token_hash(token: str) -> str:
    """What the logs may say about a device token: 12 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (None if absent/garbage)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - clock.now()).total_seconds())


def json_field(response: httpx.Response, name: str) -> Any:
    """``name`` of the JSON object the service answered (None: absent, or no such object)."""
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer.get(name) if isinstance(answer, dict) else None


def private_key(pem: str, error: Callable[[str], Exception]) -> PrivateKeyTypes:
    """The unencrypted PEM private key, or ``error(why)`` raised."""
    try:
        return load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise error("not a PEM private key") from None


R = TypeVar("R")


class CachedToken:
    """A credential shared by concurrent sends: minted once (one mint at a time), reused
    until its time is up, and dropped when the service refused it; ``get(refused=...)``
    after a refusal mints a new one only if no other send has done so already."""

    def __init__(self, mint: Callable[[], Awaitable[tuple[str, float]]]) -> None:
        self._mint = mint  # -> (token, seconds it may be used)
        self._token: str | None = None
        self._until = 0.0  # time.monotonic()
        self._lock = asyncio.Lock()

    async def get(self, refused: str | None = None) -> str:
        async with self._lock:
            if refused is not None and refused == self._token:
                self._token = None
            if self._token is None or time.monotonic() >= self._until:
                self._token, seconds = await self._mint()
                self._until = time.monotonic() + max(0.0, seconds)
            return self._token

    async def call(self, request: Callable[[str], Awaitable[R]], refused: Callable[[R], bool]) -> R:
        """``request(token)``, and once more with a new token if ``refused(answer)``."""
        token = await self.get()
        answer = await request(token)
        if refused(answer):
            answer = await request(await self.get(refused=token))
        return answer


def logged(provider: str, push: Push, result: SendResult) -> SendResult:
    """Log the outcome (never the token or the texts) and hand it back."""
    level = logging.INFO if isinstance(result, Delivered | Unregistered) else logging.WARNING
    log.log(
        level,
        "push %s %s key=%s token=%s -> %s",
        provider,
        push.platform.value,
        push.idempotency_key,
        token_hash(push.token),
        result,
    )
    return result


@dataclass(frozen=True)
class LoggedPush:
    platform: Platform
    token_hash: str
    idempotency_key: str
    at: datetime


class LogOnlyProvider:
    """The embedded dev mode's provider: nothing leaves the process. It logs, and keeps
    the last pushes as (platform, token hash, idempotency key, time): no texts, no token."""

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[LoggedPush] = deque(maxlen=keep)

    async def send(self, push: Push) -> SendResult:
        self.sent.append(
            LoggedPush(push.platform, token_hash(push.token), push.idempotency_key, clock.now())
        )
        return logged("log-only", push, Delivered())

    async def aclose(self) -> None:
        return None
