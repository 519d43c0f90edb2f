"""Local stand-ins for FCM (with Google's OAuth token endpoint) and APNs that speak
their protocols and check what they receive: signatures, claims, headers, bodies.

Each answers 200 unless a test queues other answers (``answers``), and records what
came in so the tests can look at it from the server's side.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import MISSING, dataclass, field, fields
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.notify.fcm import GRANT_TYPE, SCOPE
from tests.servers import free_port


@dataclass
class Answer:
    status: int
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if self.json is None:
            return Response(status_code=self.status, headers=self.headers)
        return JSONResponse(self.json, status_code=self.status, headers=self.headers)


def fcm_error(status: int, state: str, code: str | None = None, **headers: str) -> Answer:
    """FCM's error body: google.rpc.Status with an FcmError detail."""
    error: dict[str, Any] = {"code": status, "message": "from the test", "status": state}
    if code:
        error["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
        ]
    return Answer(status, {"error": error}, headers)


def apns_error(status: int, reason: str, **extra: Any) -> Answer:
    return Answer(status, {"reason": reason, **extra})


class Resettable:
    """``reset()`` puts every field with a default back to it (one server per session,
    a clean state per test); ``url`` stays."""

    def reset(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            if f.name == "url":
                continue
            if f.default is not MISSING:
                setattr(self, f.name, f.default)
            elif f.default_factory is not MISSING:
                setattr(self, f.name, f.default_factory())


@dataclass
class FakeFcm(Resettable):
    """``POST /token`` (the OAuth2 JWT-bearer grant) and ``POST /v1/projects/{p}/messages:send``."""

    public_key: rsa.RSAPublicKey
    client_email: str
    key_id: str
    project_id: str
    url: str = ""
    expires_in: int = 3600
    answers: deque[Answer] = field(default_factory=deque)
    grants: list[dict[str, Any]] = field(default_factory=list)  # verified JWT claims
    tokens: set[str] = field(default_factory=set)  # the access tokens still valid
    sends: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (token, body)
    refusals: list[str] = field(default_factory=list)  # why a request got a 4xx from us
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    async def token(self, request: Request) -> Response:
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return self._refuse(400, "invalid_request: content-type")
        form = parse_qs((await request.body()).decode())
        if form.get("grant_type") != [GRANT_TYPE]:
            return self._refuse(400, "unsupported_grant_type")
        assertion = form.get("assertion", [""])[0]
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                self.public_key,
                algorithms=["RS256"],
                audience=self.token_uri,
                issuer=self.client_email,
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
            )
        except jwt.InvalidTokenError as exc:
            return self._refuse(400, f"invalid_grant: {exc}")
        if header.get("kid") != self.key_id or claims["scope"] != SCOPE:
            return self._refuse(400, "invalid_scope")
        if claims["exp"] - claims["iat"] > 3600 or abs(claims["iat"] - time.time()) > 60:
            return self._refuse(400, "invalid_grant: lifetime")
        self.grants.append(claims)
        access = f"ya29.test-{next(self._ids)}"
        self.tokens.add(access)
        return JSONResponse(
            {"access_token": access, "expires_in": self.expires_in, "token_type": "Bearer"}
        )

    async def send(self, request: Request) -> Response:
        if request.path_params["project"] != self.project_id:
            return self._refuse(404, "project")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.tokens:
            return fcm_error(401, "UNAUTHENTICATED").response()
        body = await request.json()
        self.sends.append((token, body))
        if self.answers:
            return self.answers.popleft().response()
        return JSONResponse({"name": f"projects/{self.project_id}/messages/{len(self.sends)}"})

    def _refuse(self, status: int, why: str) -> Response:
        self.refusals.append(why)
        return JSONResponse({"error": why.partition(":")[0]}, status_code=status)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route("/v1/projects/{project}/messages:send", self.send, methods=["POST"]),
            ]
        )


@dataclass
class ApnsRequest:
    http_version: str
    device: str
    jwt: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeApns(Resettable):
    """``POST /3/device/{token}`` over HTTP/2, token-based auth checked as APNs does."""

    public_key: ec.EllipticCurvePublicKey
    key_id: str
    team_id: str
    topic: str
    url: str = ""
    answers: deque[Answer] = field(default_factory=deque)
    expired: set[str] = field(default_factory=set)  # provider tokens APNs calls expired
    requests: list[ApnsRequest] = field(default_factory=list)

    async def push(self, request: Request) -> Response:
        # Read the whole body before answering: hypercorn fails on DATA frames for a
        # stream it already answered (KeyError in its h2 protocol).
        body = await request.json()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "bearer":
            return apns_error(403, "MissingProviderToken").response()
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["ES256"],
                issuer=self.team_id,
                options={"require": ["iss", "iat"]},
            )
        except jwt.InvalidTokenError:
            return apns_error(403, "InvalidProviderToken").response()
        if header.get("kid") != self.key_id or abs(claims["iat"] - time.time()) > 3600:
            return apns_error(403, "InvalidProviderToken").response()
        if token in self.expired:
            return apns_error(403, "ExpiredProviderToken").response()
        if request.headers.get("apns-topic") != self.topic:
            return apns_error(400, "DeviceTokenNotForTopic").response()
        self.requests.append(
            ApnsRequest(
                http_version=request.scope["http_version"],
                device=request.path_params["device"],
                jwt=token,
                headers=dict(request.headers),
                body=body,
            )
        )
        if self.answers:
            return self.answers.popleft().response()
        return Response(headers={"apns-id": request.headers["apns-id"]})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/3/device/{device}", self.push, methods=["POST"])])


@asynccontextmanager
async def serve_h2(app: Starlette) -> AsyncIterator[str]:
    """Serve ``app`` with hypercorn on 127.0.0.1 in the running loop: HTTP/2 without TLS
    (prior knowledge, as our client speaks it to ``http://``); yields the base URL.
    uvicorn has no HTTP/2."""
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    config.errorlog = None
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        break
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
