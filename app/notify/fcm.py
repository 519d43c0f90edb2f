"""Firebase Cloud Messaging, HTTP v1 API, with a service account's OAuth2 grant.

The access token comes from the service account's key: an RS256 JWT (iss=client_email,
scope=firebase.messaging, aud=token_uri, one hour) exchanged at ``token_uri``
(``urn:ietf:params:oauth:grant-type:jwt-bearer``). It is cached until shortly before
``expires_in`` and shared by concurrent sends (one grant at a time); a 401 drops it,
and the send is tried once more with a fresh one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

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

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_BASE_URL = "https://fcm.googleapis.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
GRANT_LIFETIME = 3600
# A cached access token is renewed this long before it expires.
REFRESH_MARGIN = 120.0
# FCM error codes (details[].errorCode) and statuses, as they map to results.
DEAD_TOKEN = {"UNREGISTERED", "NOT_FOUND", "SENDER_ID_MISMATCH"}
TRANSIENT = {"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"}
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


class ServiceAccountError(ValueError):
    """The service-account JSON lacks what the OAuth grant needs."""


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str = field(repr=False)
    project_id: str | None = None
    private_key_id: str | None = None
    token_uri: str = GOOGLE_TOKEN_URI

    @classmethod
    def from_json(cls, text: str) -> ServiceAccount:
        try:
            info = json.loads(text)
        except ValueError:
            raise ServiceAccountError("the FCM service account is not JSON") from None
        if not isinstance(info, dict):
            raise ServiceAccountError("the FCM service account is not a JSON object")
        missing = [k for k in ("client_email", "private_key") if not info.get(k)]
        if missing:
            raise ServiceAccountError(f"the FCM service account lacks {', '.join(missing)}")
        return cls(
            client_email=str(info["client_email"]),
            private_key=str(info["private_key"]),
            project_id=info.get("project_id") or None,
            private_key_id=info.get("private_key_id") or None,
            token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
        )


def _key_error(why: str) -> ServiceAccountError:
    return ServiceAccountError(f"the FCM service account's private_key: {why}")


class _AuthFailed(Exception):
    def __init__(self, result: RetryLater) -> None:
        self.result = result


class FcmProvider:
    name = "fcm"

    def __init__(
        self,
        account: ServiceAccount,
        *,
        project_id: str | None = None,
        base_url: str = FCM_BASE_URL,
        token_uri: str | None = None,
        timeout: float = 10.0,
        default_ttl_seconds: int = 24 * 3600,
    ) -> None:
        project = project_id or account.project_id
        if not project:
            raise ServiceAccountError("FCM needs a project id (FCM_PROJECT_ID or project_id)")
        self._account = account
        key = private_key(account.private_key, _key_error)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise _key_error("not an RSA key")
        self._key = key
        self._url = f"{base_url.rstrip('/')}/v1/projects/{project}/messages:send"
        self._token_uri = token_uri or account.token_uri
        self._default_ttl = default_ttl_seconds
        self._http = httpx.AsyncClient(timeout=timeout)
        self._token = CachedToken(self._grant)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, push: Push) -> SendResult:
        result = Rejected("Expired") if push.expired() else await self._send(push)
        return logged(self.name, push, result)

    async def _send(self, push: Push) -> SendResult:
        body = self.message(push)

        async def post(token: str) -> httpx.Response:
            headers = {"authorization": f"Bearer {token}"}
            return await self._http.post(self._url, json=body, headers=headers)

        try:
            # 401: the token expired or was revoked; one new grant, one more try
            response = await self._token.call(post, refused=lambda r: r.status_code == 401)
        except _AuthFailed as failed:
            return failed.result
        except httpx.TransportError as exc:
            return RetryLater(None, f"network: {type(exc).__name__}")
        return self._result(response)

    def message(self, push: Push) -> dict[str, Any]:
        """The HTTP v1 request body (``{"message": ...}``) for ``push``."""
        expires = push.expires_at
        ttl = (
            self._default_ttl
            if expires is None
            else max(0, int((expires - clock.now()).total_seconds()))
        )
        android: dict[str, Any] = {"ttl": f"{ttl}s"}
        if push.collapse_key:
            android["collapse_key"] = push.collapse_key
        message: dict[str, Any] = {
            "token": push.token,
            "notification": {"title": push.title, "body": push.body},
            "android": android,
        }
        if push.data:
            message["data"] = dict(push.data)
        return {"message": message}

    def _result(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        if status == 200:
            name = json_field(response, "name")
            return Delivered(name if isinstance(name, str) else None)
        code = _error_code(response)
        if status == 404 or code in DEAD_TOKEN:
            return Unregistered(code or "NOT_FOUND")
        if status == 429 or status >= 500 or code in TRANSIENT:
            return RetryLater(retry_after(response.headers.get("retry-after")), code or str(status))
        if status in (401, 403):
            # Our credentials (twice refused) or the APNs/web credentials uploaded to
            # Firebase (THIRD_PARTY_AUTH_ERROR): fixable by us, not by the payload.
            log.error("FCM refused our credentials: %s %s", status, code)
            return RetryLater(None, code or str(status))
        return Rejected(code or str(status))

    def assertion(self) -> str:
        """The signed JWT of the grant."""
        now = int(time.time())
        claims = {
            "iss": self._account.client_email,
            "scope": SCOPE,
            "aud": self._token_uri,
            "iat": now,
            "exp": now + GRANT_LIFETIME,
        }
        headers = {"kid": self._account.private_key_id} if self._account.private_key_id else None
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    async def _grant(self) -> tuple[str, float]:
        try:
            response = await self._http.post(
                self._token_uri, data={"grant_type": GRANT_TYPE, "assertion": self.assertion()}
            )
        except httpx.TransportError as exc:
            raise _AuthFailed(RetryLater(None, f"oauth network: {type(exc).__name__}")) from None
        token = json_field(response, "access_token")
        if response.status_code != 200 or not isinstance(token, str) or not token:
            error = str(json_field(response, "error") or response.status_code)
            after = retry_after(response.headers.get("retry-after"))
            if response.status_code < 500 and response.status_code != 429:
                log.error("the FCM OAuth grant was refused: %s", error)
            raise _AuthFailed(RetryLater(after, f"oauth {error}"))
        expires_in = json_field(response, "expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        return token, lifetime - REFRESH_MARGIN


def _error_code(response: httpx.Response) -> str | None:
    """FCM's most specific code: ``details[].errorCode``, else ``error.status``."""
    error = json_field(response, "error")
    if not isinstance(error, dict):
        return None
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            code = detail.get("errorCode")
            if isinstance(code, str) and code:
                return code
    status = error.get("status")
    return status if isinstance(status, str) and status else None
