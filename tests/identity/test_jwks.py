"""Partner keys from a JWKS URL: fetched asynchronously, cached, rotation, refetch throttling."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.identity.keys import JwksCache
from app.identity.runtime import IdentityRuntime
from app.web.app import create_app
from tests.identity.support import FakePartner, make_partner, rsa_key, sign_in
from tests.servers import serve_in_loop


@dataclass
class KeyServer:
    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0
    status: int = 200


@pytest.fixture
async def key_server(app: Any) -> AsyncIterator[KeyServer]:
    server_state = KeyServer(url="")

    async def jwks(request: Request) -> JSONResponse:
        server_state.hits += 1
        return JSONResponse({"keys": server_state.keys}, status_code=server_state.status)

    async with serve_in_loop(Starlette(routes=[Route("/jwks.json", jwks)])) as url:
        server_state.url = url + "/jwks.json"
        yield server_state


def jwk(key: Any, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**data, "kid": kid, "use": "sig", "alg": "RS256"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def jwks(clock: FakeClock) -> JwksCache:
    return JwksCache(clock=clock)


@pytest.fixture
async def client(app: Starlette, jwks: JwksCache) -> AsyncIterator[httpx.AsyncClient]:
    """The session's app over a JWKS cache of this test's own (its clock moved by hand)."""
    runtime = replace(app.state.runtime, identity=IdentityRuntime(jwks=jwks))
    transport = httpx.ASGITransport(app=create_app(app.state.settings, runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_jwks_rotation_and_refetch_throttling(
    client: httpx.AsyncClient, key_server: KeyServer, clock: FakeClock
) -> None:
    k1, k2 = rsa_key(), rsa_key()
    key_server.keys = [jwk(k1, "k1")]
    tp = await make_partner(key=k1, kid="k1", jwks_url=key_server.url)

    # First token: the JWKS is fetched once, then cached.
    for _ in range(3):
        assert (await sign_in(client, tp.mint()))["errors"] == []
    assert key_server.hits == 1

    # A flood of unknown kids right after a fetch does not reach the key server.
    for _ in range(5):
        bad = await sign_in(client, tp.mint(headers={"kid": uuid.uuid4().hex}))
        assert [e["code"] for e in bad["errors"]] == ["INVALID_TOKEN"]
    assert key_server.hits == 1

    # The partner rotates to k2; once the throttle window has passed, an unknown
    # kid triggers exactly one refetch and the new key works.
    key_server.keys = [jwk(k2, "k2"), jwk(k1, "k1")]
    clock.now += 59
    await sign_in(client, tp.mint(headers={"kid": "k2"}))  # still inside the minute
    assert key_server.hits == 1
    clock.now += 2
    rotated = FakePartner(partner=tp.partner, key=k2, kid="k2")
    assert (await sign_in(client, rotated.mint()))["errors"] == []
    assert key_server.hits == 2
    assert (await sign_in(client, tp.mint()))["errors"] == []  # k1 still published
    for _ in range(5):
        await sign_in(client, tp.mint(headers={"kid": uuid.uuid4().hex}))
    assert key_server.hits == 2


async def test_default_throttle_is_one_refetch_per_minute(
    client: httpx.AsyncClient, key_server: KeyServer, clock: FakeClock, jwks: JwksCache
) -> None:
    assert jwks.min_refetch_seconds == 60
    k1 = rsa_key()
    key_server.keys = [jwk(k1, "k1")]
    tp = await make_partner(key=k1, kid="k1", jwks_url=key_server.url)
    for _ in range(10):
        await sign_in(client, tp.mint(headers={"kid": uuid.uuid4().hex}))
    assert key_server.hits == 1
    assert (await sign_in(client, tp.mint()))["errors"] == []
    assert key_server.hits == 1
    clock.now += 61
    await sign_in(client, tp.mint(headers={"kid": uuid.uuid4().hex}))
    assert key_server.hits == 2


async def test_jwks_server_down_or_bad_document_refuses_cleanly(
    client: httpx.AsyncClient, key_server: KeyServer
) -> None:
    k1 = rsa_key()
    key_server.status = 500
    tp = await make_partner(key=k1, kid="k1", jwks_url=key_server.url)
    result = await sign_in(client, tp.mint())
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]

    # Symmetric keys in a JWKS are ignored (never an HMAC secret).
    key_server.status = 200
    key_server.keys = [{"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}]
    other = await make_partner(key=k1, kid="k1", jwks_url=key_server.url)
    result = await sign_in(client, other.mint())
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]
