"""Staff sign-in: argon2 hashes, one error for unknown email and wrong password (the
throttling of failures: tests/identity/test_throttling.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from app.identity.staff import create_staff, disable_staff
from models.enums import Role
from models.identity import User
from tests.helpers import error_codes, gql, gql_raw, op

PASSWORD = "correct horse battery"


async def staff_sign_in(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    data = await gql(client, op("StaffSignIn"), {"email": email, "password": password})
    result: dict[str, Any] = data["signInStaff"]
    return result


@pytest.fixture
async def agent(app: Any) -> User:
    return await create_staff(f"agent-{uuid.uuid4().hex[:8]}@staff.test", Role.CARE_AGENT, PASSWORD)


async def test_staff_sign_in_gives_a_session(client: httpx.AsyncClient, agent: User) -> None:
    assert agent.password_hash
    assert agent.password_hash.startswith("$argon2id$")
    result = await staff_sign_in(client, agent.email.upper(), PASSWORD)  # type: ignore[union-attr]
    assert result["errors"] == []
    token = result["session"]["accessToken"]
    viewer = (await gql(client, "{ viewer { role } }", token=token))["viewer"]
    assert viewer == {"role": "CARE_AGENT"}


async def test_a_disabled_account_cannot_sign_in_and_its_tokens_stop(
    client: httpx.AsyncClient, agent: User
) -> None:
    assert agent.email is not None
    token = (await staff_sign_in(client, agent.email, PASSWORD))["session"]["accessToken"]
    assert await disable_staff(agent.email) == 1
    body = await gql_raw(client, "{ viewer { role } }", token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    again = await staff_sign_in(client, agent.email, PASSWORD)
    assert [e["code"] for e in again["errors"]] == ["INVALID_CREDENTIALS"]
    await create_staff(agent.email, Role.CARE_AGENT, PASSWORD)  # re-enabled by a new password
    assert (await staff_sign_in(client, agent.email, PASSWORD))["errors"] == []


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, agent: User
) -> None:
    started = time.perf_counter()
    wrong = await staff_sign_in(client, agent.email, "wrong password!")  # type: ignore[arg-type]
    t_wrong = time.perf_counter() - started
    started = time.perf_counter()
    unknown = await staff_sign_in(client, "nobody@staff.test", "wrong password!")
    t_unknown = time.perf_counter() - started

    assert wrong["errors"] == unknown["errors"]
    assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]
    assert wrong["session"] is None
    assert unknown["session"] is None
    # Both ran an argon2 verification (tens of ms); an unknown email is not instant.
    assert t_unknown > 0.25 * t_wrong


async def test_clients_cannot_sign_in_as_staff(client: httpx.AsyncClient) -> None:
    email = f"client-{uuid.uuid4().hex[:8]}@x.test"
    await User.create(role=Role.CLIENT, email=email, phone_e164=None)
    result = await staff_sign_in(client, email, PASSWORD)
    assert [e["code"] for e in result["errors"]] == ["INVALID_CREDENTIALS"]


async def test_short_passwords_are_refused_by_create_staff(app: Any) -> None:
    with pytest.raises(ValueError, match="at least"):
        await create_staff(f"{uuid.uuid4().hex[:8]}@staff.test", Role.ADMIN, "short")


@pytest.mark.parametrize(
    ("email", "password", "status"),
    [
        ("nul\x00@staff.test", "whatever-password", 400),  # unstorable text: not read
        ("a@b.c", "\ud800\x00", 400),
        ("", "", 200),
        ("x" * 5000, "y", 200),
    ],
)
async def test_hostile_staff_credentials_are_just_invalid(
    client: httpx.AsyncClient, email: str, password: str, status: int
) -> None:
    # ensure_ascii: a lone surrogate travels as the JSON escape "\\ud800", as an attacker sends it.
    body = json.dumps(
        {"query": op("StaffSignIn"), "variables": {"email": email, "password": password}}
    )
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    if status == 200:
        result = response.json()["data"]["signInStaff"]
        assert [e["code"] for e in result["errors"]] == ["INVALID_CREDENTIALS"]
