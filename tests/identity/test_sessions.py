"""Our sessions: refresh rotation, reuse detection, sign-out, the viewer and revocation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.sessions import hash_refresh_token
from app.identity.tokens import decode_access_token, issue_access_token
from models.enums import Role
from models.identity import RefreshToken, Session
from tests.factories import signed_in
from tests.helpers import error_codes, gql, gql_raw, op
from tests.identity.support import FakePartner, make_partner, run_op, sign_in

VIEWER = "query { viewer { id role isNewUser } }"
SIGN_OUT = "mutation($r: String) { signOut(input: {refreshToken: $r}) { ok errors { code } } }"
SIGN_OUT_CURRENT = "mutation { signOut { ok errors { code } } }"


@pytest.fixture
async def partner(app: Any) -> FakePartner:
    return await make_partner()


async def refresh(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    return await run_op(client, "RefreshSession", {"refreshToken": token}, "refreshSession")


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    signed = (await sign_in(client, partner.mint()))["session"]
    first_refresh = signed["refreshToken"]

    rotated = await refresh(client, first_refresh)
    assert rotated["errors"] == []
    new = rotated["session"]
    assert new["refreshToken"] != first_refresh
    assert new["accessToken"] != signed["accessToken"]
    assert (await gql(client, VIEWER, token=new["accessToken"]))["viewer"]["role"] == "CLIENT"
    # Only the hash is stored.
    assert not await RefreshToken.exists(token_hash=new["refreshToken"])
    assert await RefreshToken.exists(token_hash=hash_refresh_token(new["refreshToken"]))

    # The old refresh token is presented again (stolen copy): the session ends.
    reused = await refresh(client, first_refresh)
    assert [e["code"] for e in reused["errors"]] == ["REFRESH_TOKEN_REUSED"]
    assert reused["session"] is None

    # ...including the legitimate holder's newest tokens.
    after = await refresh(client, new["refreshToken"])
    assert [e["code"] for e in after["errors"]] == ["INVALID_REFRESH_TOKEN"]
    for access in (signed["accessToken"], new["accessToken"]):
        body = await gql_raw(client, VIEWER, token=access)
        assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_chain_of_refreshes_keeps_one_session(
    client: httpx.AsyncClient, partner: FakePartner, settings: Settings
) -> None:
    session = (await sign_in(client, partner.mint()))["session"]
    ids = set()
    for _ in range(3):
        session = (await refresh(client, session["refreshToken"]))["session"]
        body = await gql_raw(client, VIEWER, token=session["accessToken"])
        assert not body.get("errors")
        ids.add(decode_access_token(settings, session["accessToken"]).session_id)
    assert len(ids) == 1
    assert await RefreshToken.filter(session_id=ids.pop()).count() == 4


@pytest.mark.parametrize("bad", ["", "x", "A" * 43, "A" * 5000])
async def test_unknown_refresh_token_is_refused(client: httpx.AsyncClient, bad: str) -> None:
    result = await refresh(client, bad)
    assert [e["code"] for e in result["errors"]] == ["INVALID_REFRESH_TOKEN"]


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"])
async def test_unstorable_text_in_a_refresh_token_is_refused_at_the_door(
    client: httpx.AsyncClient, bad: str
) -> None:
    body = json.dumps({"query": op("RefreshSession"), "variables": {"refreshToken": bad}})
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    session = (await sign_in(client, partner.mint()))["session"]
    await RefreshToken.filter(token_hash=hash_refresh_token(session["refreshToken"])).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    result = await refresh(client, session["refreshToken"])
    assert [e["code"] for e in result["errors"]] == ["INVALID_REFRESH_TOKEN"]


async def test_sign_out_stops_the_access_token_at_once(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    session = (await sign_in(client, partner.mint()))["session"]
    access = session["accessToken"]
    assert (await gql(client, VIEWER, token=access))["viewer"] is not None

    out = await gql(client, SIGN_OUT_CURRENT, token=access)
    assert out["signOut"] == {"ok": True, "errors": []}

    # Bound: immediate (one indexed query per request, no cache).
    body = await gql_raw(client, VIEWER, token=access)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None or body["data"]["viewer"] is None
    result = await refresh(client, session["refreshToken"])
    assert [e["code"] for e in result["errors"]] == ["INVALID_REFRESH_TOKEN"]


async def test_sign_out_by_refresh_token(client: httpx.AsyncClient, partner: FakePartner) -> None:
    session = (await sign_in(client, partner.mint()))["session"]
    out = await gql(client, SIGN_OUT, {"r": session["refreshToken"]})
    assert out["signOut"] == {"ok": True, "errors": []}
    assert error_codes(await gql_raw(client, VIEWER, token=session["accessToken"])) == [
        "UNAUTHENTICATED"
    ]
    again = await gql(client, SIGN_OUT, {"r": "unknown-refresh-token"})
    assert [e["code"] for e in again["signOut"]["errors"]] == ["INVALID_REFRESH_TOKEN"]


async def test_sign_out_without_credentials_is_unauthenticated(client: httpx.AsyncClient) -> None:
    body = await gql_raw(client, SIGN_OUT_CURRENT)
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_viewer_is_null_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await gql(client, VIEWER))["viewer"] is None


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer " + "a" * 9000, "Basic dXNlcjpwYXNz", "Bearer", "Token abc"],
)
async def test_viewer_with_a_bad_token_is_unauthenticated(
    client: httpx.AsyncClient, header: str
) -> None:
    body = await gql_raw(client, VIEWER, headers={"Authorization": header})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_viewer_with_an_expired_token_is_unauthenticated(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = (await signed_in(settings)).user
    session = await Session.filter(user_id=user.id).first()
    assert session is not None
    token, _ = issue_access_token(
        settings,
        user_id=user.id,
        role=Role.CLIENT,
        session_id=session.id,
        now=datetime.now(UTC) - timedelta(minutes=20),
    )
    body = await gql_raw(client, VIEWER, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == Msg.ACCESS_TOKEN_EXPIRED.render()


async def test_an_access_token_for_an_unknown_session_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = (await signed_in(settings)).user
    token, _ = issue_access_token(settings, user_id=user.id, role=Role.CLIENT, session_id="0" * 32)
    assert error_codes(await gql_raw(client, VIEWER, token=token)) == ["UNAUTHENTICATED"]


async def test_signed_in_factory_tokens_are_accepted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    who = await signed_in(settings, Role.CARE_AGENT)
    viewer = (await gql(client, VIEWER, token=who.token))["viewer"]
    assert viewer["role"] == "CARE_AGENT"
    assert viewer["isNewUser"] is False
