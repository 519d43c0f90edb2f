"""Apple Push Notification service: HTTP/2, token-based (``.p8`` key) authentication.

The provider token is an ES256 JWT (header ``kid``: the key id; claims ``iss``: the
team id, ``iat``). APNs refuses tokens older than an hour and answers
``TooManyProviderTokenUpdates`` to a new one within 20 minutes, so one token is signed
and reused for 50 minutes; ``ExpiredProviderToken`` (403) signs a new one (once for all
concurrent sends that saw the old one) and the send is tried once more.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from app.core import clock
from app.notify.providers import (
    CachedToken,
    Delivered,
    Push,
    Rejected,
    RetryLater,
    SendResult,
    Unregistered,
    json_field,
    log,
    logged,
    private_key,
    retry_after,
)

APNS_PRODUCTION = "https://api.push.apple.com"
APNS_SANDBOX = "https://api.sandbox.push.apple.com"
TOKEN_REUSE_SECONDS = 50 * 60
# apns-id: a UUID derived from the idempotency key, the same for each try of one push.
APNS_ID_NAMESPACE = uuid.UUID("5d0e4d0a-6f1e-5b3c-9a57-0c5f3b1e8a13")
DEAD_TOKEN = {"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"}
AUTH = {"ExpiredProviderToken", "InvalidProviderToken", "MissingProviderToken"}


class ApnsKeyError(ValueError):
    """The APNs key is not a PEM EC P-256 private key (an ``AuthKey_<id>.p8``)."""


def signing_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = private_key(pem, _key_error)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise _key_error("not an EC P-256 key")
    return key


def _key_error(why: str) -> ApnsKeyError:
    return ApnsKeyError(f"the APNs key: {why}")


def apns_id(idempotency_key: str) -> str:
    return str(uuid.uuid5(APNS_ID_NAMESPACE, idempotency_key))


def http2_client(base_url: str, timeout: float) -> httpx.AsyncClient:
    """HTTP/2 only: over TLS by ALPN, over plain ``http://`` (local servers) by prior knowledge."""
    return httpx.AsyncClient(http1=False, http2=True, timeout=timeout, base_url=base_url)


class ApnsProvider:
    name = "apns"

    def __init__(
        self,
        *,
        key_id: str,
        team_id: str,
        private_key_pem: str,
        bundle_id: str,
        base_url: str = APNS_PRODUCTION,
        timeout: float = 10.0,
        default_ttl_seconds: int = 24 * 3600,
    ) -> None:
        self._key_id = key_id
        self._team_id = team_id
        self._key = signing_key(private_key_pem)
        self._topic = bundle_id
        self._default_ttl = default_ttl_seconds
        self._http = http2_client(base_url.rstrip("/"), timeout)
        self._token = CachedToken(self._sign)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, push: Push) -> SendResult:
        result = Rejected("Expired") if push.expired() else await self._send(push)
        return logged(self.name, push, result)

    async def _send(self, push: Push) -> SendResult:
        content = json.dumps(self.payload(push), ensure_ascii=False, separators=(",", ":"))
        path = f"/3/device/{quote(push.token, safe='')}"

        async def post(token: str) -> httpx.Response:
            headers = self.headers(push, token)
            return await self._http.post(path, content=content.encode(), headers=headers)

        try:
            response = await self._token.call(post, refused=_expired_token)
        except httpx.TransportError as exc:
            return RetryLater(None, f"network: {type(exc).__name__}")
        return self._result(response, _reason(response))

    def headers(self, push: Push, token: str) -> dict[str, str]:
        expires = push.expires_at or clock.now() + timedelta(seconds=self._default_ttl)
        headers = {
            "authorization": f"bearer {token}",
            "apns-topic": self._topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-id": apns_id(push.idempotency_key),
            "apns-expiration": str(max(0, int(expires.timestamp()))),
            "content-type": "application/json",
        }
        if push.collapse_key:
            headers["apns-collapse-id"] = push.collapse_key
        return headers

    @staticmethod
    def payload(push: Push) -> dict[str, Any]:
        """The JSON body: the custom data at the top level, ``aps`` always ours."""
        aps = {"alert": {"title": push.title, "body": push.body}, "sound": "default"}
        return {**push.data, "aps": aps}

    def _result(self, response: httpx.Response, reason: str | None) -> SendResult:
        status = response.status_code
        if status == 200:
            return Delivered(response.headers.get("apns-id"))
        if status == 410 or (status == 400 and reason in DEAD_TOKEN):
            return Unregistered(reason or "Unregistered", since=_timestamp(response))
        if status == 429 or status >= 500:
            after = retry_after(response.headers.get("retry-after"))
            return RetryLater(after, reason or str(status))
        if status == 403 and reason in AUTH:
            # Our key, team or clock: fixable by us, not by the payload.
            log.error("APNs refused our provider token: %s", reason)
            return RetryLater(None, reason or str(status))
        return Rejected(reason or str(status))

    async def _sign(self) -> tuple[str, float]:
        claims = {"iss": self._team_id, "iat": int(time.time())}
        token = jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self._key_id})
        return token, TOKEN_REUSE_SECONDS


def _expired_token(response: httpx.Response) -> bool:
    return response.status_code == 403 and _reason(response) == "ExpiredProviderToken"


def _reason(response: httpx.Response) -> str | None:
    if response.status_code == 200:
        return None
    reason = json_field(response, "reason")
    return reason if isinstance(reason, str) and reason else None


def _timestamp(response: httpx.Response) -> datetime | None:
    """The 410 answer's ``timestamp`` (milliseconds since the epoch)."""
    millis = json_field(response, "timestamp")
    if not isinstance(millis, int | float) or isinstance(millis, bool):
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
