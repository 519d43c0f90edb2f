"""One message to many subscribers: executed once per group, the same frame for all
(``schema.sharing``), against a real uvicorn."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
from graphql import GraphQLObjectType, parse

from app.core.settings import Settings
from schema import build_schema
from schema.sharing import VIEWER_INDEPENDENT, Stats, _shape
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.chat.ws import ws_session
from tests.helpers import op

ONLY_IDS = """
subscription OnlyIds($conversationId: ID!) {
  messageAdded(conversationId: $conversationId) { node { id } }
}
"""


async def test_one_message_is_executed_once_per_group_of_subscribers(
    client: httpx.AsyncClient, settings: Settings, live_server: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings, "Мария")
    cid = conversation["id"]
    async with AsyncExitStack() as stack:
        subscribed = []
        for token in (person.token, person.token, staff.token, staff.token):
            ws = await stack.enter_async_context(ws_session(live_server, token))
            subscribed.append((ws, await ws.subscribe(op("MessageAdded"), {"conversationId": cid})))
        other = await stack.enter_async_context(ws_session(live_server, staff.token))
        other_id = await other.subscribe(ONLY_IDS, {"conversationId": cid})
        await asyncio.sleep(0.3)  # every feed is live (no replay without `after`)
        executed, shared = Stats.executed, Stats.shared
        await send_ok(client, person.token, cid, "Нет звука")
        received = [(await ws.data(op_id))["messageAdded"] for ws, op_id in subscribed]
        only_ids = (await other.data(other_id))["messageAdded"]
    # Two documents, two groups: the contract's (4 subscribers, both sides) and ids only.
    assert Stats.executed - executed == 2
    assert Stats.shared - shared == 3
    assert all(r == received[0] for r in received)
    assert received[0]["node"]["text"] == "Нет звука"
    assert received[0]["node"]["author"] == {"role": "CLIENT", "displayName": "Анна"}
    assert only_ids == {"node": {"id": received[0]["node"]["id"]}}


def test_a_selection_outside_the_list_is_grouped_per_viewer() -> None:
    schema = build_schema()._schema
    contract = parse(op("MessageAdded"))
    shape = _shape(schema, contract.definitions[0], {})  # type: ignore[arg-type]
    assert shape.independent
    assert shape.variables == frozenset()  # conversationId shapes the feed, not the event
    inbox = parse(
        "subscription ($x: Boolean!) { careInbox { kind conversation { unreadCount } "
        "message @include(if: $x) { id } } }"
    )
    shape = _shape(schema, inbox.definitions[0], {})  # type: ignore[arg-type]
    assert not shape.independent
    assert shape.variables == {"x"}


def test_every_listed_field_exists() -> None:
    schema = build_schema()._schema
    for type_name, field in VIEWER_INDEPENDENT:
        named = schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType), type_name
        assert field in named.fields, (type_name, field)
