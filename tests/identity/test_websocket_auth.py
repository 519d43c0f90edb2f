"""WebSocket authentication: the token goes in connection_init; refused before ack (4403)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.core.settings import Settings
from app.identity.sessions import revoke_session
from app.identity.tokens import issue_access_token
from models.enums import Role
from models.identity import Session
from tests.factories import signed_in

PROTOCOL = "graphql-transport-ws"


async def init(base_url: str, payload: Any) -> tuple[dict[str, Any] | None, int | None]:
    """Send connection_init; return (first message or None, close code or None)."""
    url = base_url.replace("http://", "ws://", 1) + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as conn:  # type: ignore[list-item]
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        await conn.send(json.dumps(message))
        try:
            raw = await conn.recv()
        except ConnectionClosed:
            return None, conn.close_code
        reply: dict[str, Any] = json.loads(raw)
        if reply.get("type") == "connection_ack":
            await conn.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "query { viewer { role } }"},
                    }
                )
            )
            reply["viewer"] = json.loads(await conn.recv())
        return reply, None


def expired_token(settings: Settings, user_id: int, session_id: str) -> str:
    token, _ = issue_access_token(
        settings,
        user_id=user_id,
        role=Role.CLIENT,
        session_id=session_id,
        now=datetime.now(UTC) - timedelta(minutes=30),
    )
    return token


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"Authorization": ""}, {"Authorization": "Bearer garbage"}, {"Authorization": 42}],
    ids=["no-payload", "empty", "empty-header", "garbage", "not-a-string"],
)
async def test_connection_without_a_valid_token_is_closed_4403(
    live_server: str, payload: Any
) -> None:
    reply, code = await init(live_server, payload)
    assert reply is None
    assert code == 4403


async def test_expired_token_is_closed_4403(live_server: str, settings: Settings) -> None:
    who = await signed_in(settings)
    session = await Session.filter(user_id=who.user.id).first()
    assert session is not None
    reply, code = await init(
        live_server, {"Authorization": f"Bearer {expired_token(settings, who.user.id, session.id)}"}
    )
    assert (reply, code) == (None, 4403)


async def test_revoked_session_is_closed_4403(live_server: str, settings: Settings) -> None:
    who = await signed_in(settings)
    session = await Session.filter(user_id=who.user.id).first()
    assert session is not None
    await revoke_session(session.id, "test")
    reply, code = await init(live_server, {"Authorization": f"Bearer {who.token}"})
    assert (reply, code) == (None, 4403)


@pytest.mark.parametrize("key", ["Authorization", "authorization"])
async def test_valid_token_is_acknowledged_and_the_viewer_known(
    live_server: str, settings: Settings, key: str
) -> None:
    who = await signed_in(settings, Role.CARE_AGENT)
    reply, code = await init(live_server, {key: f"Bearer {who.token}"})
    assert code is None
    assert reply is not None
    assert reply["type"] == "connection_ack"
    assert reply["viewer"]["payload"]["data"] == {"viewer": {"role": "CARE_AGENT"}}
