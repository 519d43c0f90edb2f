"""Phone numbers, tokens and passwords never reach the logs, even at DEBUG."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest

from app.identity.privacy import mask_phone
from app.identity.staff import create_staff
from models.enums import Role
from tests.helpers import gql, gql_raw, op
from tests.identity.support import make_partner, new_phone, sign_in


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+79991234567", "+7 999 ***-**-67"),
        ("+4915112345678", "+49 151 ***-**-78"),
        ("", ""),
        (None, ""),
        ("not a phone", ""),
    ],
)
def test_mask_phone(e164: str | None, masked: str) -> None:
    assert mask_phone(e164) == masked


async def test_sign_in_flow_logs_no_phone_token_or_password(
    client: httpx.AsyncClient, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tp = await make_partner()
    phone = new_phone()
    sub = f"sub-{uuid.uuid4().hex}"
    password = f"pw-{uuid.uuid4().hex}"
    email = f"{uuid.uuid4().hex[:8]}@staff.test"
    await create_staff(email, Role.CARE_AGENT, password)
    secrets: list[str] = [phone, phone[1:], phone[2:], sub, password]

    caplog.set_level(logging.DEBUG)
    token = tp.mint(phone, sub=sub)
    secrets.append(token)
    ok = await sign_in(client, token)
    replay = await sign_in(client, token)
    expired = tp.mint(phone, iat=1, exp=2)
    secrets.append(expired)
    await sign_in(client, expired)
    await sign_in(client, tp.mint(phone, phone_number="+7 123"))
    session = ok["session"]
    secrets += [session["accessToken"], session["refreshToken"]]
    rotated = (await gql(client, op("RefreshSession"), {"refreshToken": session["refreshToken"]}))[
        "refreshSession"
    ]["session"]
    secrets += [rotated["accessToken"], rotated["refreshToken"]]
    await gql(client, op("RefreshSession"), {"refreshToken": session["refreshToken"]})  # reuse
    await gql_raw(client, "{ viewer { id } }", token=rotated["accessToken"])
    await gql(client, op("StaffSignIn"), {"email": email, "password": "wrong-" + password})
    staff = await gql(client, op("StaffSignIn"), {"email": email, "password": password})
    assert staff["signInStaff"]["errors"] == []
    secrets.append(staff["signInStaff"]["session"]["accessToken"])

    assert [e["code"] for e in replay["errors"]] == ["TOKEN_REPLAYED"]
    text = caplog.text
    assert "partner sign-in accepted" in text  # the audit lines are there...
    assert "code=TOKEN_REPLAYED" in text
    for secret in secrets:
        assert secret not in text  # ...without personal data or credentials
        # JWT parts (header.payload.signature) must not leak either.
        for part in secret.split(".") if secret.count(".") == 2 else []:
            if len(part) > 20:
                assert part not in text
