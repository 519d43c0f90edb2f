"""A partner token is single-use across server processes (PostgreSQL replay store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.core.settings import Settings
from models.identity import User
from tests.fixtures import ON_POSTGRES
from tests.helpers import op
from tests.identity.support import make_partner, new_phone
from tests.servers import serve_processes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)"),
]


@pytest.fixture(scope="module")
async def two_servers(app: Any, settings: Settings) -> AsyncIterator[tuple[str, str]]:
    async with serve_processes(settings, 2, log_name="identity-serve", with_redis=False) as urls:
        yield urls[0], urls[1]


async def _sign_in(http: httpx.AsyncClient, url: str, token: str) -> dict[str, Any]:
    response = await http.post(
        url + "/graphql", json={"query": op("SignIn"), "variables": {"token": token}}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["signInWithPartner"]
    return result


async def test_replayed_jti_is_refused_by_the_other_process(
    two_servers: tuple[str, str],
) -> None:
    a, b = two_servers
    tp = await make_partner()
    async with httpx.AsyncClient(timeout=30) as http:
        # Sequential: used on A, replayed on B.
        phone = new_phone()
        token = tp.mint(phone)
        first = await _sign_in(http, a, token)
        second = await _sign_in(http, b, token)
        assert first["errors"] == []
        assert [e["code"] for e in second["errors"]] == ["TOKEN_REPLAYED"]

        # Concurrent: the same token on both at once, ten times: exactly one wins each time.
        for _ in range(10):
            phone = new_phone()
            token = tp.mint(phone)
            results = await asyncio.gather(_sign_in(http, a, token), _sign_in(http, b, token))
            codes = sorted(e["code"] for r in results for e in r["errors"])
            assert codes == ["TOKEN_REPLAYED"], results
            assert await User.filter(phone_e164=phone).count() == 1


async def test_same_new_phone_on_both_processes_registers_one_person(
    two_servers: tuple[str, str],
) -> None:
    a, b = two_servers
    tp = await make_partner()
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(5):
            phone = new_phone()
            results = await asyncio.gather(
                _sign_in(http, a, tp.mint(phone)), _sign_in(http, b, tp.mint(phone))
            )
            assert all(r["errors"] == [] for r in results), results
            assert results[0]["viewer"]["id"] == results[1]["viewer"]["id"]
            assert sorted(r["viewer"]["isNewUser"] for r in results) == [False, True]
