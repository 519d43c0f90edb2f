# ruff: noqa: RUF001 - Russian text
"""The care team's "my conversations" (careConversations): who sees which, the order,
search by short reference and name, the client's reference and partner, SQL per page."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.chat.reference import client_reference, parse_client_reference
from app.core.settings import Settings
from models.chat import CareParticipant
from models.enums import Role
from models.identity import Partner, User
from schema.relay import decode_id
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.factories import signed_in
from tests.helpers import console_op, count_sql, error_codes, gql, gql_raw, op

MINE = """
query Mine($first: Int!, $after: String, $search: String) {
  careConversations(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id lastMessageAt waitingSince
      client { displayName maskedPhone reference partnerName }
      assignee { displayName }
      lastMessage { text }
    } }
  }
}
"""


async def _mine(
    client: httpx.AsyncClient, token: str, search: str | None = None, first: int = 50
) -> list[dict[str, Any]]:
    """Every node of careConversations, page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(50):  # bounded
        data = await gql(client, MINE, {"first": first, "after": after, "search": search}, token)
        page = data["careConversations"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("too many pages")


def _name() -> str:
    return f"Клиентка {uuid.uuid4().hex[:8]}"


async def test_an_agent_lists_what_they_took_part_in_newest_first(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    mine, other = await agent(settings), await agent(settings, "Олег")
    replied_person, replied = await client_with_conversation(client, settings, _name())
    assigned_person, assigned = await client_with_conversation(client, settings, _name())
    _, elsewhere = await client_with_conversation(client, settings, _name())
    _, untouched = await client_with_conversation(client, settings, _name())
    await send_ok(client, replied_person.token, replied["id"], "Не работает звук")
    await send_ok(client, mine.token, replied["id"], "Сейчас поможем")
    await gql(client, op("AssignConversation"), {"conversationId": assigned["id"]}, mine.token)
    await send_ok(client, other.token, elsewhere["id"], "Здравствуйте")

    ids = [node["id"] for node in await _mine(client, mine.token)]
    # Answered ones stay; the newest message first (taking one is not a message).
    assert ids == [replied["id"], assigned["id"]]
    assert untouched["id"] not in ids
    assert elsewhere["id"] not in ids

    # The client of the other one writes: their conversation moves to the top.
    await send_ok(client, assigned_person.token, assigned["id"], "Спасибо!")
    nodes = await _mine(client, mine.token)
    assert [node["id"] for node in nodes] == [assigned["id"], replied["id"]]
    assert nodes[0]["lastMessage"]["text"] == "Спасибо!"
    assert nodes[0]["waitingSince"] is not None  # waiting for an answer, and still mine
    assert assigned_person.user.id != replied_person.user.id


async def test_pages_do_not_skip_or_repeat(client: httpx.AsyncClient, settings: Settings) -> None:
    staff = await agent(settings)
    expected = []
    for _ in range(7):
        _, conversation = await client_with_conversation(client, settings, _name())
        await send_ok(client, staff.token, conversation["id"], "Добрый день")
        expected.append(conversation["id"])
    pages = await _mine(client, staff.token, first=3)
    assert [node["id"] for node in pages] == expected[::-1]
    stamps = [node["lastMessageAt"] for node in pages]
    assert stamps == sorted(stamps, reverse=True)
    first = await gql(client, MINE, {"first": 3}, staff.token)
    assert first["careConversations"]["totalCount"] == 7


async def test_admins_see_every_conversation(client: httpx.AsyncClient, settings: Settings) -> None:
    admin = await signed_in(settings, Role.ADMIN)
    name = _name()
    _, conversation = await client_with_conversation(client, settings, name)
    nodes = await _mine(client, admin.token, search=name)
    assert [node["id"] for node in nodes] == [conversation["id"]]


async def test_search_by_reference_and_by_name(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    suffix = uuid.uuid4().hex[:6]
    anna, anna_conv = await client_with_conversation(client, settings, f"Анна Петрова {suffix}")
    boris, boris_conv = await client_with_conversation(client, settings, f"Борис {suffix}")
    for conv in (anna_conv, boris_conv):
        await send_ok(client, staff.token, conv["id"], "Здравствуйте")

    reference = client_reference(anna.user.id)
    for typed in (reference, reference.lower(), reference.replace("-", ""), f" {reference} "):
        found = await _mine(client, staff.token, search=typed)
        assert [n["id"] for n in found] == [anna_conv["id"]], typed
    # Case-insensitive for Cyrillic too (SQLite's own UPPER() folds ASCII only).
    for typed in ("анна петрова", "АННА", "петРова " + suffix):
        found = await _mine(client, staff.token, search=typed)
        assert [n["id"] for n in found] == [anna_conv["id"]], typed
    both = await _mine(client, staff.token, search=suffix)
    assert {n["id"] for n in both} == {anna_conv["id"], boris_conv["id"]}
    assert await _mine(client, staff.token, search="нет такого " + suffix) == []
    # Another agent's search finds nothing of these: search stays within "mine".
    stranger = await agent(settings, "Олег")
    assert await _mine(client, stranger.token, search=reference) == []
    assert boris.user.id != anna.user.id


async def test_the_client_is_told_apart_without_the_phone(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    partner = await Partner.create(
        name=f"Клиника {uuid.uuid4().hex[:6]}", issuer=f"https://{uuid.uuid4().hex}.example"
    )
    person, conversation = await client_with_conversation(client, settings, "")
    await User.filter(id=person.user.id).update(latest_partner_id=partner.id)
    await send_ok(client, staff.token, conversation["id"], "Здравствуйте")

    node = (await _mine(client, staff.token, first=1))[0]
    card = node["client"]
    assert card["reference"] == client_reference(person.user.id)
    assert parse_client_reference(card["reference"]) == person.user.id
    assert card["partnerName"] == partner.name
    assert card["displayName"] == ""
    phone = person.user.phone_e164
    assert phone
    assert phone not in str(node)
    assert phone[-7:] not in str(node)
    assert card["maskedPhone"].endswith(phone[-2:])


def test_references_are_stable_distinct_and_read_back() -> None:
    refs = {client_reference(i) for i in range(1, 5001)}
    assert len(refs) == 5000
    assert client_reference(42) == client_reference(42)
    for i in (0, 1, 41, 42, 2**31, 2**32 - 1):
        assert parse_client_reference(client_reference(i)) == i
    # What people mistype: O for 0, I/L for 1, no dash, lower case.
    ref = client_reference(7).replace("-", "")
    typed = ref.replace("0", "o").replace("1", "l").lower()
    assert parse_client_reference(typed) == 7
    for junk in ("", "abc", "UUUUUUU", "1EY-XKK6X", "Анна"):
        assert parse_client_reference(junk) is None, junk


@pytest.mark.parametrize("role", [None, Role.CLIENT, Role.PSYCHOLOGIST])
async def test_only_the_care_team_lists_conversations(
    client: httpx.AsyncClient, settings: Settings, role: Role | None
) -> None:
    token = (await signed_in(settings, role)).token if role else None
    body = await gql_raw(client, MINE, {"first": 5}, token)
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED" if role is None else "FORBIDDEN"]


async def test_bad_arguments_get_a_clear_answer(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    for variables in (
        {"first": 5, "search": "я" * 101},
        {"first": 5, "after": "not-a-cursor"},
        {"first": -1},
    ):
        body = await gql_raw(client, MINE, variables, staff.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], (variables, body)
        assert "Traceback" not in str(body)
    # Larger pages are capped (as everywhere), not refused.
    capped = await gql(client, MINE, {"first": 1000}, staff.token)
    assert len(capped["careConversations"]["edges"]) <= 100
    # A queue cursor is not a careConversations cursor.
    queue = await gql(client, op("CareQueue"), {"first": 1}, staff.token)
    cursor = queue["careQueue"]["pageInfo"]["endCursor"]
    if cursor:
        body = await gql_raw(client, MINE, {"first": 5, "after": cursor}, staff.token)
        assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_the_console_operation_and_its_sql_do_not_grow_with_the_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    partner = await Partner.create(
        name=f"Клиника {uuid.uuid4().hex[:6]}", issuer=f"https://{uuid.uuid4().hex}.example"
    )
    for _ in range(30):
        person, conversation = await client_with_conversation(client, settings, _name())
        await User.filter(id=person.user.id).update(latest_partner_id=partner.id)
        await send_ok(client, person.token, conversation["id"], "Жду ответа")
        await gql(
            client, op("AssignConversation"), {"conversationId": conversation["id"]}, staff.token
        )
    counts = {}
    for size in (5, 30):
        with count_sql() as sql:
            data = await gql(client, console_op("MyConversations"), {"first": size}, staff.token)
        edges = data["careConversations"]["edges"]
        assert len(edges) == size
        assert all(e["node"]["client"]["partnerName"] == partner.name for e in edges)
        counts[size] = sql.count
    print(f"MyConversations SQL statements: first=5 -> {counts[5]}, first=30 -> {counts[30]}")
    assert counts[5] == counts[30], counts
    assert counts[30] <= 9, counts


async def test_the_header_query_shows_the_client_and_refuses_strangers(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    person, conversation = await client_with_conversation(client, settings, _name())
    header = console_op("ConversationClient")
    data = await gql(client, header, {"id": conversation["id"]}, staff.token)
    assert data["node"]["client"]["reference"] == client_reference(person.user.id)
    stranger, _ = await client_with_conversation(client, settings, _name())
    data = await gql(client, header, {"id": conversation["id"]}, stranger.token)
    assert data["node"] is None


async def test_concurrent_replies_and_taking_record_one_participation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    person, conversation = await client_with_conversation(client, settings, _name())
    await send_ok(client, person.token, conversation["id"], "Жду")
    take = gql(
        client, op("AssignConversation"), {"conversationId": conversation["id"]}, staff.token
    )
    replies = [send_ok(client, staff.token, conversation["id"], f"Ответ {i}") for i in range(5)]
    await asyncio.gather(take, *replies)
    cid = decode_id(conversation["id"], "CareConversation")
    assert await CareParticipant.filter(conversation_id=cid).count() == 1
    assert [n["id"] for n in await _mine(client, staff.token)] == [conversation["id"]]
