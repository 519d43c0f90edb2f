# ruff: noqa: RUF001 - Russian text
"""Care chat over HTTP: the contract operations, validation, idempotency, SLA, unread counts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.chat import service as svc
from app.core import events
from app.core.settings import Settings
from app.identity.events import UserRegistered
from models.chat import CareWait, Conversation, Message
from models.enums import Role
from models.identity import Partner
from schema.relay import decode_id
from tests.chat.support import agent, client_with_conversation, send, send_ok
from tests.factories import signed_in
from tests.helpers import count_sql, error_codes, gql, gql_raw, op


async def test_registration_opens_the_conversation_with_a_welcome_once(settings: Settings) -> None:
    person = await signed_in(settings, Role.CLIENT)
    # The identity service emits this after committing a new client; a retry repeats it.
    partner = Partner(name="unsaved", issuer="https://unsaved.example")
    await events.emit(UserRegistered(user=person.user, partner=partner))
    await events.emit(UserRegistered(user=person.user, partner=partner))
    conversations = await Conversation.filter(client_id=person.user.id)
    assert len(conversations) == 1
    messages = await Message.filter(conversation_id=conversations[0].id)
    assert [m.text for m in messages] == [svc.WELCOME_TEXT]
    assert messages[0].author_id is None


async def test_concurrent_first_opens_create_one_conversation(settings: Settings) -> None:
    person = await signed_in(settings, Role.CLIENT)
    rows = await asyncio.gather(*(svc.ensure_conversation(person.user.id) for _ in range(5)))
    assert len({r.id for r in rows}) == 1
    assert await Message.filter(conversation_id=rows[0].id).count() == 1


async def test_care_chat_opens_lazily_with_the_assistant_welcome(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, conversation = await client_with_conversation(client, settings)
    assert decode_id(conversation["id"], "CareConversation") is not None
    assert conversation["unreadCount"] == 1
    edges = conversation["messages"]["edges"]
    assert len(edges) == 1
    assert edges[0]["node"]["text"].startswith("Здравствуйте! Теперь у вас есть личный ассистент")
    assert edges[0]["node"]["author"] == {"role": "ASSISTANT", "displayName": "Ассистент Psyline"}
    assert conversation["messages"]["pageInfo"]["hasPreviousPage"] is False


async def test_staff_have_no_care_conversation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    data = await gql(client, op("CareChat"), {"last": 5}, token=staff.token)
    assert data["viewer"]["careConversation"] is None


async def test_history_pages_backwards_with_stable_cursors(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    for i in range(5):
        await send_ok(client, person.token, conversation["id"], f"сообщение {i}")
    page1 = (await gql(client, op("CareChat"), {"last": 2}, token=person.token))["viewer"]
    messages = page1["careConversation"]["messages"]
    assert [e["node"]["text"] for e in messages["edges"]] == ["сообщение 3", "сообщение 4"]
    assert messages["pageInfo"]["hasPreviousPage"] is True
    assert messages["edges"][0]["node"]["author"] == {"role": "CLIENT", "displayName": "Анна"}
    page2 = await gql(
        client,
        op("CareChat"),
        {"last": 3, "before": messages["pageInfo"]["startCursor"]},
        token=person.token,
    )
    older = page2["viewer"]["careConversation"]["messages"]
    assert [e["node"]["text"] for e in older["edges"]] == [
        "сообщение 0",
        "сообщение 1",
        "сообщение 2",
    ]
    assert older["pageInfo"]["hasPreviousPage"] is True  # the welcome is older still
    # A new message does not shift the cursors of the older pages.
    await send_ok(client, person.token, conversation["id"], "сообщение 5")
    again = await gql(
        client,
        op("CareChat"),
        {"last": 3, "before": messages["pageInfo"]["startCursor"]},
        token=person.token,
    )
    assert again["viewer"]["careConversation"]["messages"] == older


async def test_bad_cursor_is_a_top_level_bad_input(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, _ = await client_with_conversation(client, settings)
    body = await gql_raw(client, op("CareChat"), {"last": 2, "before": "nonsense!"}, person.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_send_message_trims_and_keeps_newlines(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    message = await send_ok(
        client, person.token, conversation["id"], "  Нет звука\n\tпосле обновления  \r\n"
    )
    assert message["text"] == "Нет звука\n\tпосле обновления"
    assert datetime.fromisoformat(message["sentAt"]).tzinfo is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "EMPTY_MESSAGE"),
        (" \n\t ", "EMPTY_MESSAGE"),
        ("я" * 4001, "MESSAGE_TOO_LONG"),
        # (A NUL is refused before the request is read: tests/test_malformed_input.py.)
        ("\x1b[31mкрасный", "INVALID_CHARACTERS"),
        ("звонок\x07", "INVALID_CHARACTERS"),
        ("del\x7f", "INVALID_CHARACTERS"),
        ("c1\x85c1", "INVALID_CHARACTERS"),
    ],
)
async def test_invalid_text_is_a_payload_error(
    client: httpx.AsyncClient, settings: Settings, text: str, code: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    payload = await send(client, person.token, conversation["id"], text)
    assert payload["message"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, "text")]
    assert await Message.filter(author_id=person.user.id).count() == 0


async def test_exactly_4000_characters_is_accepted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    message = await send_ok(client, person.token, conversation["id"], "я" * 4000)
    assert len(message["text"]) == 4000


@pytest.mark.parametrize("cmid", ["", "x" * 65, "tab\tinside"])
async def test_invalid_client_message_id(
    client: httpx.AsyncClient, settings: Settings, cmid: str
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    payload = await send(client, person.token, conversation["id"], "привет", client_message_id=cmid)
    assert [e["code"] for e in payload["errors"]] == ["INVALID_CLIENT_MESSAGE_ID"]


async def test_resend_with_the_same_client_message_id_returns_the_same_message(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    cmid = uuid.uuid4().hex
    first = await send_ok(client, person.token, conversation["id"], "раз", client_message_id=cmid)
    again = await send_ok(client, person.token, conversation["id"], "раз", client_message_id=cmid)
    assert again == first
    # Concurrent resends (a flaky network): still one message.
    cmid2 = uuid.uuid4().hex
    results = await asyncio.gather(
        *(
            send_ok(client, person.token, conversation["id"], "два", client_message_id=cmid2)
            for _ in range(6)
        )
    )
    assert len({r["id"] for r in results}) == 1
    assert await Message.filter(author_id=person.user.id).count() == 2


async def test_the_database_holds_one_message_per_client_message_id(settings: Settings) -> None:
    from tortoise.exceptions import IntegrityError

    person = await signed_in(settings, Role.CLIENT)
    conversation = await svc.ensure_conversation(person.user.id)
    await Message.create(
        conversation_id=conversation.id, author_id=person.user.id, text="a", client_message_id="k"
    )
    with pytest.raises(IntegrityError):
        await Message.create(
            conversation_id=conversation.id,
            author_id=person.user.id,
            text="b",
            client_message_id="k",
        )


async def test_rate_limit_is_a_payload_error(client: httpx.AsyncClient, settings: Settings) -> None:
    person, conversation = await client_with_conversation(client, settings)
    sent = [
        await send_ok(client, person.token, conversation["id"], f"m{i}", client_message_id=f"c{i}")
        for i in range(20)
    ]
    payload = await send(client, person.token, conversation["id"], "one too many")
    assert [e["code"] for e in payload["errors"]] == ["RATE_LIMITED"]
    assert payload["message"] is None
    # A resend of a stored message is not a new message: still answered.
    again = await send_ok(client, person.token, conversation["id"], "m3", client_message_id="c3")
    assert again == sent[3]
    # Other authors are not affected.
    staff = await agent(settings)
    await send_ok(client, staff.token, conversation["id"], "Мы здесь", operation="AgentReply")


async def test_another_clients_conversation_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, theirs = await client_with_conversation(client, settings)
    intruder, _ = await client_with_conversation(client, settings, name="Борис")
    payload = await send(client, intruder.token, theirs["id"], "привет")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "conversationId")]
    history = await gql(
        client, op("ConversationHistory"), {"id": theirs["id"], "last": 5}, token=intruder.token
    )
    assert history["node"] is None
    marked = await gql(
        client,
        op("MarkConversationRead"),
        {"conversationId": theirs["id"], "upTo": "x"},
        token=intruder.token,
    )
    assert [e["code"] for e in marked["markConversationRead"]["errors"]] == ["NOT_FOUND"]


async def test_without_a_token_chat_mutations_are_unauthenticated(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, conversation = await client_with_conversation(client, settings)
    body = await gql_raw(
        client,
        op("SendMessage"),
        {"conversationId": conversation["id"], "text": "hi", "clientMessageId": "1"},
    )
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_unread_counts_and_mark_read(client: httpx.AsyncClient, settings: Settings) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    cid = conversation["id"]
    await send_ok(client, person.token, cid, "Вопрос")  # own messages are never unread
    await send_ok(client, staff.token, cid, "Ответ 1", operation="AgentReply")
    await send_ok(client, staff.token, cid, "Ответ 2", operation="AgentReply")
    chat = (await gql(client, op("CareChat"), {"last": 10}, token=person.token))["viewer"]
    assert chat["careConversation"]["unreadCount"] == 3  # welcome + two answers
    edges = chat["careConversation"]["messages"]["edges"]
    up_to = edges[-2]["cursor"]  # "Ответ 1"
    marked = await gql(
        client, op("MarkConversationRead"), {"conversationId": cid, "upTo": up_to}, person.token
    )
    assert marked["markConversationRead"] == {
        "conversation": {"id": cid, "unreadCount": 1},
        "errors": [],
    }
    # Never backwards.
    marked = await gql(
        client,
        op("MarkConversationRead"),
        {"conversationId": cid, "upTo": edges[0]["cursor"]},
        person.token,
    )
    assert marked["markConversationRead"]["conversation"]["unreadCount"] == 1
    # The agent has their own marker: the client's question is unread for them.
    history = await gql(
        client, op("ConversationHistory"), {"id": cid, "last": 10}, token=staff.token
    )
    assert history["node"]["client"]["displayName"] == "Анна"
    unread = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on CareConversation { unreadCount } } }",
        {"id": cid},
        token=staff.token,
    )
    assert unread["node"]["unreadCount"] == 2  # the welcome and the question
    bad = await gql(
        client, op("MarkConversationRead"), {"conversationId": cid, "upTo": "zzz"}, person.token
    )
    assert [e["code"] for e in bad["markConversationRead"]["errors"]] == ["INVALID_CURSOR"]


async def test_masked_phone_for_the_care_team(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    staff = await agent(settings)
    history = await gql(
        client, op("ConversationHistory"), {"id": conversation["id"], "last": 1}, staff.token
    )
    masked = history["node"]["client"]["maskedPhone"]
    phone = person.user.phone_e164
    assert phone is not None
    assert masked.endswith(phone[-2:])
    assert phone[4:10] not in masked.replace(" ", "")


async def test_sla_bookkeeping_queue_assign_and_first_response(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    cid = conversation["id"]
    first = await send_ok(client, person.token, cid, "Не работает звук")
    await send_ok(client, person.token, cid, "Совсем")
    row = await Conversation.get(id=decode_id(cid, "CareConversation"))
    assert row.waiting_since is not None
    assert row.waiting_since == datetime.fromisoformat(first["sentAt"])  # the oldest one
    assert row.sla_due_at == row.waiting_since + timedelta(seconds=settings.care_sla_seconds)

    # Clients cannot see the queue.
    body = await gql_raw(client, op("CareQueue"), {"first": 5}, person.token)
    assert error_codes(body) == ["FORBIDDEN"]

    staff, other = await agent(settings, "Мария"), await agent(settings, "Ольга")
    node = await _find_in_queue(client, staff.token, cid)
    assert node["client"]["displayName"] == "Анна"
    assert node["assignee"] is None
    assert node["lastMessage"]["text"] == "Совсем"
    assert node["slaDueAt"] == row.sla_due_at.isoformat()

    assigned = await gql(client, op("AssignConversation"), {"conversationId": cid}, staff.token)
    assert assigned["assignConversation"] == {
        "conversation": {"id": cid, "assignee": {"displayName": "Мария"}},
        "errors": [],
    }
    taken = await gql(client, op("AssignConversation"), {"conversationId": cid}, other.token)
    assert [e["code"] for e in taken["assignConversation"]["errors"]] == ["ALREADY_ASSIGNED"]
    body = await gql_raw(client, op("AssignConversation"), {"conversationId": cid}, person.token)
    assert error_codes(body) == ["FORBIDDEN"]

    reply = await send_ok(client, staff.token, cid, "Проверьте разрешения", operation="AgentReply")
    assert reply["author"] == {"role": "CARE_AGENT", "displayName": "Мария"}
    row = await Conversation.get(id=row.id)
    assert row.waiting_since is None
    assert row.sla_due_at is None
    assert row.first_response_at is not None
    assert row.first_response_seconds is not None
    assert row.first_response_seconds < 60
    wait = await CareWait.get(conversation_id=row.id)
    assert wait.answered_at is not None
    assert wait.answered_by_id == staff.user.id
    assert await _find_in_queue(client, staff.token, cid, expect=False) is None


async def test_care_stats_for_admins(client: httpx.AsyncClient, settings: Settings) -> None:
    now = datetime.now(UTC)
    # A period of our own, far in the past, so other tests' waits do not count.
    start = datetime(2001, 1, 1, tzinfo=UTC)
    person = await signed_in(settings, Role.CLIENT)
    conversation = await svc.ensure_conversation(person.user.id)
    sla = timedelta(minutes=5)
    for offset_min, response_s in [(0, 60), (10, 120), (20, 600), (30, None)]:
        started = start + timedelta(minutes=offset_min)
        await CareWait.create(
            conversation_id=conversation.id,
            started_at=started,
            sla_due_at=started + sla,
            answered_at=started + timedelta(seconds=response_s) if response_s else None,
            response_seconds=response_s,
        )
    admin = await signed_in(settings, Role.ADMIN)
    query = (
        "query($from: DateTime!, $to: DateTime!) { careStats(from: $from, to: $to) "
        "{ waits answered answeredWithinSla breached withinSlaShare medianFirstResponseSeconds } }"
    )
    variables = {"from": start.isoformat(), "to": (start + timedelta(hours=1)).isoformat()}
    stats = (await gql(client, query, variables, admin.token))["careStats"]
    assert stats == {
        "waits": 4,
        "answered": 3,
        "answeredWithinSla": 2,
        "breached": 2,
        "withinSlaShare": 0.5,
        "medianFirstResponseSeconds": 120.0,
    }
    staff = await agent(settings)
    assert error_codes(await gql_raw(client, query, variables, staff.token)) == ["FORBIDDEN"]
    assert now  # the period is in the past: nothing "not yet due" is excluded


async def _find_in_queue(
    client: httpx.AsyncClient, token: str, cid: str, expect: bool = True
) -> dict[str, object] | None:
    after = None
    while True:
        data = await gql(client, op("CareQueue"), {"first": 100, "after": after}, token)
        queue = data["careQueue"]
        for edge in queue["edges"]:
            if edge["node"]["id"] == cid:
                node: dict[str, object] = edge["node"]
                return node
        if not queue["pageInfo"]["hasNextPage"]:
            if expect:
                raise AssertionError("conversation not in the queue")
            return None
        after = queue["pageInfo"]["endCursor"]


async def test_care_queue_is_oldest_first_and_pages(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    for _ in range(3):
        person, conversation = await client_with_conversation(client, settings)
        await send_ok(client, person.token, conversation["id"], "Жду")
    seen: list[str] = []
    after = None
    total = None
    while True:
        data = await gql(client, op("CareQueue"), {"first": 2, "after": after}, staff.token)
        queue = data["careQueue"]
        total = queue["totalCount"]
        seen += [e["node"]["waitingSince"] for e in queue["edges"]]
        if not queue["pageInfo"]["hasNextPage"]:
            break
        after = queue["pageInfo"]["endCursor"]
    assert len(seen) == total
    assert seen == sorted(seen, key=datetime.fromisoformat)


QUEUE_WITH_EVERYTHING = """
query Q($first: Int!) {
  careQueue(first: $first) {
    totalCount
    edges { node {
      id waitingSince slaDueAt unreadCount
      client { displayName maskedPhone }
      assignee { displayName }
      lastMessage { text sentAt author { role displayName } }
      messages(last: 3) { edges { cursor node { id text author { role displayName } } } }
    } }
  }
}
"""


async def test_care_queue_sql_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await agent(settings)
    while True:
        total = (await gql(client, op("CareQueue"), {"first": 1}, staff.token))["careQueue"]
        if total["totalCount"] >= 30:
            break
        person, conversation = await client_with_conversation(client, settings)
        await send_ok(client, person.token, conversation["id"], "Жду ответа")
        await gql(
            client, op("AssignConversation"), {"conversationId": conversation["id"]}, staff.token
        )
    counts = {}
    for size in (5, 30):
        with count_sql() as sql:
            data = await gql(client, QUEUE_WITH_EVERYTHING, {"first": size}, staff.token)
        assert len(data["careQueue"]["edges"]) == size
        counts[size] = sql.count
    print(f"careQueue SQL statements: first=5 -> {counts[5]}, first=30 -> {counts[30]}")
    assert counts[5] == counts[30], counts
    assert counts[30] <= 8, counts
