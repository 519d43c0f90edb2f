"""Shared steps of the chat tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.core.settings import Settings
from models.enums import Role
from tests.factories import SignedIn, signed_in
from tests.helpers import gql, op


async def client_with_conversation(
    client: httpx.AsyncClient, settings: Settings, name: str = "Анна"
) -> tuple[SignedIn, dict[str, Any]]:
    """A signed-in client and their care conversation (opened through CareChat)."""
    person = await signed_in(settings, Role.CLIENT, display_name=name)
    data = await gql(client, op("CareChat"), {"last": 20}, token=person.token)
    return person, data["viewer"]["careConversation"]


async def agent(settings: Settings, name: str = "Мария") -> SignedIn:
    return await signed_in(settings, Role.CARE_AGENT, display_name=name)


async def send(
    client: httpx.AsyncClient,
    token: str,
    conversation_id: str,
    text: str,
    client_message_id: str | None = None,
    operation: str = "SendMessage",
) -> dict[str, Any]:
    """sendMessage's payload (message, errors)."""
    data = await gql(
        client,
        op(operation),
        {
            "conversationId": conversation_id,
            "text": text,
            "clientMessageId": uuid.uuid4().hex if client_message_id is None else client_message_id,
        },
        token=token,
    )
    payload: dict[str, Any] = data["sendMessage"]
    return payload


async def send_ok(
    client: httpx.AsyncClient, token: str, conversation_id: str, text: str, **kwargs: Any
) -> dict[str, Any]:
    payload = await send(client, token, conversation_id, text, **kwargs)
    assert payload["errors"] == [], payload
    message: dict[str, Any] = payload["message"]
    return message
