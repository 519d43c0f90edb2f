"""Throttling that cannot be turned against users.

Staff sign-in has no lockout: failures are throttled per IP, per account from one IP
and per account from anywhere, so an attacker hammering an agent's email is slowed to
a crawl while the agent, from another address, signs in; known and unknown emails get
the same answers. Partner sign-in, refresh and booking are limited per IP (generously)
and per client (tightly), answered with RATE_LIMITED and ``retryAfter``. The client IP
is the peer's; ``X-Forwarded-For`` counts only from a trusted proxy.

Each test runs on an app of its own (the session's database, a fresh limiter with the
default rules or the ones given), because the session's app is 127.0.0.1 for everybody.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.core.net import client_ip
from app.core.ratelimit import RULES, RateLimiter, Rule
from app.core.settings import Settings
from app.identity.staff import create_staff
from app.web.app import create_app
from models.catalogue import Service
from models.enums import Role, ServiceKind
from schema.catalogue.types import slot_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.conftest import make_psychologist as make_psychologist  # a fixture
from tests.factories import signed_in
from tests.helpers import error_codes, gql_raw, op

PASSWORD = "correct horse battery"
ATTACKER = {"x-forwarded-for": "203.0.113.7"}
AGENT_DESK = {"x-forwarded-for": "198.51.100.20"}

ClientFactory = Callable[..., Any]


@pytest.fixture
async def throttled(app: Starlette, settings: Settings) -> ClientFactory:
    """``async with throttled(**rules) as http``: an app whose limiter is fresh (default
    rules, changed by ``rules``) and which trusts 127.0.0.1 as its proxy."""

    def make(**rules: Rule) -> httpx.AsyncClient:
        runtime = dataclasses.replace(app.state.runtime, limits=RateLimiter({**RULES, **rules}))
        mine = create_app(settings.with_(trusted_proxies=("127.0.0.1/32",)), runtime=runtime)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=mine), base_url="http://t")

    return make


async def staff_sign_in(
    http: httpx.AsyncClient, email: str, password: str, headers: dict[str, str]
) -> dict[str, Any]:
    return await gql_raw(
        http, op("StaffSignIn"), {"email": email, "password": password}, headers=headers
    )


def codes(body: dict[str, Any]) -> list[str | None]:
    """The payload's error codes, or else the top-level ones."""
    data = body.get("data") or {}
    payload = data.get("signInStaff")
    if payload is not None:
        return [e["code"] for e in payload["errors"]]
    return error_codes(body)


async def test_an_attacker_is_slowed_while_the_agent_signs_in_from_elsewhere(
    throttled: ClientFactory,
) -> None:
    email = f"agent-{uuid.uuid4().hex[:8]}@staff.test"
    await create_staff(email, Role.CARE_AGENT, PASSWORD)
    limit = RULES["staff_sign_in_account_ip"].limit
    async with throttled() as http:
        for _ in range(limit):
            wrong = await staff_sign_in(http, email, "guess-guess-guess", ATTACKER)
            assert codes(wrong) == ["INVALID_CREDENTIALS"]
        stopped = await staff_sign_in(http, email, PASSWORD, ATTACKER)  # even the right one
        assert codes(stopped) == ["RATE_LIMITED"]
        assert stopped["errors"][0]["extensions"]["retryAfter"] > 0
        # The agent at their own desk is not locked out.
        assert codes(await staff_sign_in(http, email, PASSWORD, AGENT_DESK)) == []


async def test_known_and_unknown_emails_are_throttled_alike(throttled: ClientFactory) -> None:
    known = f"agent-{uuid.uuid4().hex[:8]}@staff.test"
    await create_staff(known, Role.CARE_AGENT, PASSWORD)
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@staff.test"
    limit = RULES["staff_sign_in_account_ip"].limit
    async with throttled() as http:
        answers = {
            email: [
                codes(await staff_sign_in(http, email, "guess-guess-guess", ATTACKER))
                for _ in range(limit + 1)
            ]
            for email in (known, unknown)
        }
    assert answers[known] == answers[unknown]
    assert answers[known][-1] == ["RATE_LIMITED"]


async def test_one_ip_trying_many_accounts_is_throttled(throttled: ClientFactory) -> None:
    async with throttled(staff_sign_in_ip=Rule(3, 300)) as http:
        results = [
            codes(await staff_sign_in(http, f"{uuid.uuid4().hex}@x.test", "guess-guess", ATTACKER))
            for _ in range(4)
        ]
        assert results == [["INVALID_CREDENTIALS"]] * 3 + [["RATE_LIMITED"]]
        # Another address is not affected.
        other = await staff_sign_in(http, "someone@x.test", "guess-guess", AGENT_DESK)
        assert codes(other) == ["INVALID_CREDENTIALS"]


async def test_partner_sign_in_and_refresh_are_limited_per_ip(throttled: ClientFactory) -> None:
    async with throttled(partner_sign_in_ip=Rule(2, 60), refresh_ip=Rule(2, 60)) as http:
        for operation, variables in (
            ("SignIn", {"token": "not.a.jwt"}),
            ("RefreshSession", {"refreshToken": "nope"}),
        ):
            bodies = [
                await gql_raw(http, op(operation), variables, headers=ATTACKER) for _ in range(3)
            ]
            assert error_codes(bodies[2]) == ["RATE_LIMITED"], operation
            assert not bodies[0].get("errors"), operation  # a payload error, not throttled
            other = await gql_raw(http, op(operation), variables, headers=AGENT_DESK)
            assert not other.get("errors"), operation


async def test_booking_is_limited_per_client(
    throttled: ClientFactory, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    person = await signed_in(settings, Role.CLIENT)
    async with throttled(booking_client=Rule(2, 60)) as http:
        answers = []
        for hour in (9, 11, 13):
            variables = {
                "slotId": slot_id(p.id, service.id, day_at(4, hour)),
                "idempotencyKey": uuid.uuid4().hex,
            }
            answers.append(await gql_raw(http, op("BookSlot"), variables, token=person.token))
    assert [a["data"]["bookSlot"]["errors"] for a in answers[:2]] == [[], []]
    assert error_codes(answers[2]) == ["RATE_LIMITED"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("192.0.2.1", "203.0.113.7", (), "192.0.2.1"),  # no proxy trusted: the header is noise
        ("192.0.2.1", "203.0.113.7", ("10.0.0.0/8",), "192.0.2.1"),  # peer not a proxy
        ("10.0.0.5", "203.0.113.7", ("10.0.0.0/8",), "203.0.113.7"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.7, 10.0.0.9", ("10.0.0.0/8",), "203.0.113.7"),
        ("10.0.0.5", "10.0.0.9", ("10.0.0.0/8",), "10.0.0.5"),  # only proxies: the peer
        ("10.0.0.5", "garbage", ("10.0.0.0/8",), "10.0.0.5"),
        ("::1", "2001:db8::1", ("::1/128",), "2001:db8::1"),
    ],
)
def test_the_client_ip_honours_only_trusted_proxies(
    peer: str, forwarded: str, trusted: tuple[str, ...], expected: str
) -> None:
    assert client_ip(peer, forwarded, trusted) == expected
