# ruff: noqa: RUF001 - Russian text
"""The rules of the care chat: who may write where, what a message may hold, the SLA.

Every write is committed before anything is published; publications carry ids
only (``{"message_id": ...}``), subscribers read the rows back.
"""

from __future__ import annotations

import logging
import statistics
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import policy
from app.chat.errors import ChatErrorCode
from app.chat.presence import LivePresence
from app.chat.reference import parse_client_reference
from app.core import clock, events
from app.core.errors import BadInput, Refused
from app.core.messages import Msg
from app.core.pubsub import PubSub
from app.core.ratelimit import RateLimiter
from app.identity.events import UserRegistered
from app.identity.viewer import Viewer
from app.notify import outbox
from models.chat import CareParticipant, CareWait, Conversation, Message, ReadMarker

log = logging.getLogger("psyline.chat")

MAX_TEXT_LENGTH = 4000
MAX_CLIENT_MESSAGE_ID_LENGTH = 64
WELCOME_TEXT = (
    "Здравствуйте! Теперь у вас есть личный ассистент: пишите сюда, если не работает "
    "звук или видео, нужна помощь с выбором психолога или есть вопрос о методах. "
    "Мы отвечаем в течение пяти минут."
)
INBOX_CHANNEL = "chat.inbox"
_ALLOWED_CONTROLS = frozenset("\n\t")


class InboxEventKind(StrEnum):
    NEW_MESSAGE = "NEW_MESSAGE"
    ASSIGNED = "ASSIGNED"
    ANSWERED = "ANSWERED"
    SLA_BREACHED = "SLA_BREACHED"


def conversation_channel(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


# --- conversations ---------------------------------------------------------------


async def ensure_conversation(client_id: int) -> Conversation:
    """The client's care conversation, created with the assistant's welcome if missing.

    Idempotent and safe under concurrency: the unique ``client_id`` decides, the
    loser of a race reads the winner's row.
    """
    conversation = await Conversation.get_or_none(client_id=client_id)
    if conversation is not None:
        return conversation
    try:
        async with in_transaction() as conn:
            conversation = await Conversation.create(
                client_id=client_id, last_message_at=clock.now(), using_db=conn
            )
            await Message.create(
                conversation_id=conversation.id, author_id=None, text=WELCOME_TEXT, using_db=conn
            )
    except IntegrityError:
        return await Conversation.get(client_id=client_id)
    return conversation


@events.on(UserRegistered)
async def _on_user_registered(event: UserRegistered) -> None:
    """A new client gets their conversation with the welcome message at once."""
    user = event.user
    if policy.has_care_conversation(policy.Actor(user_id=user.id, role=user.role)):
        await ensure_conversation(user.id)


async def _participant_conversation(viewer: Viewer, conversation_id: int | None) -> Conversation:
    """A conversation the viewer may post to; anyone else's is NOT_FOUND (``app.policy``)."""
    conversation = (
        await Conversation.get_or_none(id=conversation_id) if conversation_id is not None else None
    )
    return policy.require_post_to_conversation(viewer, conversation)


# --- messages --------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Trimmed text of 1..4000 characters without control characters (newline, tab allowed)."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise Refused(ChatErrorCode.EMPTY_MESSAGE, Msg.EMPTY_MESSAGE, "text")
    if len(text) > MAX_TEXT_LENGTH:
        raise Refused(
            ChatErrorCode.MESSAGE_TOO_LONG,
            Msg.MESSAGE_TOO_LONG(limit=MAX_TEXT_LENGTH),
            "text",
        )
    for char in text:
        if char in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise Refused(
                ChatErrorCode.INVALID_CHARACTERS,
                Msg.INVALID_CHARACTERS,
                "text",
            )
    return text


def clean_client_message_id(value: str) -> str:
    if (
        not value
        or len(value) > MAX_CLIENT_MESSAGE_ID_LENGTH
        or not value.isprintable()
        or value != value.strip()
    ):
        raise Refused(
            ChatErrorCode.INVALID_CLIENT_MESSAGE_ID,
            Msg.INVALID_CLIENT_MESSAGE_ID(limit=MAX_CLIENT_MESSAGE_ID_LENGTH),
            "clientMessageId",
        )
    return value


@dataclass
class _Publication:
    channel: str
    payload: dict[str, Any]


async def send_message(
    viewer: Viewer,
    conversation_id: int | None,
    text: str,
    client_message_id: str,
    *,
    sla_seconds: int,
    broker: PubSub,
    limiter: RateLimiter,
    presence: LivePresence | None = None,
) -> Message:
    """Store a message (committed) and publish it; a resend returns the stored one.

    A care-team reply while the client follows no live feed of their conversation
    (``presence``, asked now, at the reply) writes a CARE_REPLY push in the message's
    transaction. Without ``presence`` (a tool, a test) the client counts as away."""
    conversation = await _participant_conversation(viewer, conversation_id)
    cmid = clean_client_message_id(client_message_id)
    existing = await Message.get_or_none(author_id=viewer.user_id, client_message_id=cmid)
    if existing is not None:
        return existing
    body = clean_text(text)
    if await limiter.hit("chat_message", str(viewer.user_id)) is not None:
        raise Refused(
            ChatErrorCode.RATE_LIMITED,
            Msg.CHAT_TOO_FAST,
        )
    try:
        client_away = presence is None or not presence.is_live(conversation.client_id)
        message, publications = await _store_message(
            viewer, conversation.id, body, cmid, sla_seconds, push_reply=client_away
        )
    except IntegrityError:
        # A concurrent resend with the same clientMessageId won: return its message.
        existing = await Message.get_or_none(author_id=viewer.user_id, client_message_id=cmid)
        if existing is None:
            raise
        return existing
    for publication in publications:
        await broker.publish(publication.channel, publication.payload)
    return message


async def _store_message(
    viewer: Viewer,
    conversation_id: int,
    body: str,
    cmid: str,
    sla_seconds: int,
    *,
    push_reply: bool = False,
) -> tuple[Message, list[_Publication]]:
    async with in_transaction() as conn:
        # Lock the conversation first: senders of one conversation are serialised, so
        # message ids are committed in increasing order (cursors never skip a late row).
        conversation = (
            await Conversation.select_for_update(no_key=True).using_db(conn).get(id=conversation_id)
        )
        message = await Message.create(
            conversation_id=conversation_id,
            author_id=viewer.user_id,
            text=body,
            client_message_id=cmid,
            using_db=conn,
        )
        now = message.created_at or clock.now()
        publications = [
            _Publication(conversation_channel(conversation_id), {"message_id": message.id})
        ]
        conversation.last_message_at = now
        changed: list[str] = ["last_message_at"]
        inbox_kind: InboxEventKind | None = None
        care_team = policy.writes_as_care_team(viewer)
        # The assignee's part was recorded when they took it (or first replied).
        if care_team and conversation.assignee_id != viewer.user_id:
            await _took_part(conversation_id, viewer.user_id, conn)
        if care_team and push_reply and conversation.client_id != viewer.user_id:
            await outbox.care_reply(conversation.client_id, message.id, now=now, using_db=conn)
        if not care_team:
            inbox_kind = InboxEventKind.NEW_MESSAGE
            if conversation.waiting_since is None:
                conversation.waiting_since = now
                conversation.sla_due_at = now + timedelta(seconds=sla_seconds)
                conversation.sla_breach_notified = False
                changed += ["waiting_since", "sla_due_at", "sla_breach_notified"]
                await CareWait.create(
                    conversation_id=conversation_id,
                    started_at=now,
                    sla_due_at=conversation.sla_due_at,
                    using_db=conn,
                )
        elif conversation.waiting_since is not None:
            inbox_kind = InboxEventKind.ANSWERED
            seconds = max(0, int((now - conversation.waiting_since).total_seconds()))
            conversation.first_response_at = now
            conversation.first_response_seconds = seconds
            conversation.waiting_since = None
            conversation.sla_due_at = None
            conversation.sla_breach_notified = False
            changed += [
                "first_response_at",
                "first_response_seconds",
                "waiting_since",
                "sla_due_at",
                "sla_breach_notified",
            ]
            if conversation.assignee_id is None:
                conversation.assignee_id = viewer.user_id
                changed.append("assignee_id")
            await (
                CareWait.filter(conversation_id=conversation_id, answered_at__isnull=True)
                .using_db(conn)
                .update(answered_at=now, response_seconds=seconds, answered_by_id=viewer.user_id)
            )
        await conversation.save(using_db=conn, update_fields=[*changed, "updated_at"])
        if inbox_kind is not None:
            publications.append(
                _Publication(
                    INBOX_CHANNEL,
                    {
                        "kind": inbox_kind.value,
                        "conversation_id": conversation_id,
                        "message_id": message.id,
                    },
                )
            )
    return message, publications


async def messages_after(conversation_id: int, after_id: int, limit: int = 100) -> list[Message]:
    return (
        await Message.filter(conversation_id=conversation_id, id__gt=after_id)
        .order_by("id")
        .limit(limit)
    )


# --- read markers and unread counts -------------------------------------------------


async def mark_read(viewer: Viewer, conversation_id: int | None, up_to: int | None) -> Conversation:
    """Move the viewer's read marker forward to message ``up_to`` (never backwards)."""
    conversation = await _participant_conversation(viewer, conversation_id)
    if (
        up_to is None
        or not await Message.filter(id=up_to, conversation_id=conversation.id).exists()
    ):
        raise Refused(
            ChatErrorCode.INVALID_CURSOR,
            Msg.INVALID_CURSOR,
            "upTo",
        )
    marker, created = await ReadMarker.get_or_create(
        conversation_id=conversation.id,
        user_id=viewer.user_id,
        defaults={"last_read_message_id": up_to},
    )
    if not created:
        await ReadMarker.filter(id=marker.id, last_read_message_id__lt=up_to).update(
            last_read_message_id=up_to
        )
    return conversation


# --- the care team's side ---------------------------------------------------------------


async def assign_conversation(
    viewer: Viewer, conversation_id: int | None, broker: PubSub
) -> Conversation:
    """The agent takes the conversation; a conversation another agent holds is refused."""
    policy.require_assign_conversation(viewer)
    conversation = await _participant_conversation(viewer, conversation_id)
    async with in_transaction() as conn:
        taken = (
            await Conversation.filter(id=conversation.id, assignee_id__isnull=True)
            .using_db(conn)
            .update(assignee_id=viewer.user_id)
        )
        if taken:
            await _took_part(conversation.id, viewer.user_id, conn)
    if not taken:
        current = await Conversation.get(id=conversation.id)
        if current.assignee_id != viewer.user_id:
            raise Refused(
                ChatErrorCode.ALREADY_ASSIGNED,
                Msg.ALREADY_ASSIGNED,
                "conversationId",
            )
        return current
    await broker.publish(
        INBOX_CHANNEL,
        {"kind": InboxEventKind.ASSIGNED.value, "conversation_id": conversation.id},
    )
    return await Conversation.get(id=conversation.id)


async def care_queue(
    viewer: Viewer, limit: int, after: tuple[datetime, int] | None
) -> list[Conversation]:
    """Waiting conversations, the longest wait first, after ``(waiting_since, id)``."""
    policy.require_view_care_queue(viewer)
    query = _waiting()
    if after is not None:
        since, pk = after
        query = query.filter(Q(waiting_since__gt=since) | Q(waiting_since=since, id__gt=pk))
    return await query.order_by("waiting_since", "id").limit(limit)


async def _took_part(conversation_id: int, agent_id: int, conn: Any) -> None:
    """Record that a care-team member took part (once; a repeat is ignored)."""
    await CareParticipant.bulk_create(
        [CareParticipant(conversation_id=conversation_id, agent_id=agent_id)],
        ignore_conflicts=True,
        using_db=conn,
    )


MAX_SEARCH_LENGTH = 100


async def care_conversations(
    viewer: Viewer, limit: int, after: tuple[datetime, int] | None, search: str | None
) -> list[Conversation]:
    """ "My conversations": those the viewer was assigned or replied in (admins: all),
    the most recent message first, after ``(last_message_at, id)``; ``search`` is a
    client's short reference or part of their display name (case-insensitive)."""
    policy.require_view_care_queue(viewer)
    query = _care_conversations(viewer, search)
    if after is not None:
        at, pk = after
        query = query.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, id__lt=pk))
    return await query.order_by("-last_message_at", "-id").limit(limit)


async def care_conversations_count(viewer: Viewer, search: str | None) -> int:
    return await _care_conversations(viewer, search).count()


def _care_conversations(viewer: Viewer, search: str | None) -> QuerySet[Conversation]:
    query = Conversation.filter(last_message_at__isnull=False)
    if not policy.sees_every_conversation(viewer):
        query = query.filter(participants__agent_id=viewer.user_id)
    text = (search or "").strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadInput(Msg.SEARCH_TOO_LONG(limit=MAX_SEARCH_LENGTH))
    if text:
        by_name = Q(client__display_name__icontains=text)
        client_id = parse_client_reference(text)
        query = query.filter(by_name | Q(client_id=client_id) if client_id is not None else by_name)
    return query


async def care_queue_length() -> int:
    return await _waiting().count()


def _waiting() -> QuerySet[Conversation]:
    return Conversation.filter(waiting_since__isnull=False)


@dataclass(frozen=True)
class CareStats:
    waits: int
    answered: int
    answered_within_sla: int
    breached: int
    within_sla_share: float | None
    median_first_response_seconds: float | None


async def care_stats(viewer: Viewer, start: datetime, end: datetime) -> CareStats:
    """Waits that began in ``[start, end)``: the share answered within the SLA and the
    median first-response time. A wait still open and not yet due is not counted."""
    policy.require_care_stats(viewer)
    now = clock.now()
    rows = await CareWait.filter(started_at__gte=start, started_at__lt=end).values_list(
        "sla_due_at", "answered_at", "response_seconds"
    )
    counted = answered = within = 0
    seconds: list[int] = []
    for due, answered_at, response in rows:
        if answered_at is None and due > now:
            continue
        counted += 1
        if answered_at is not None:
            answered += 1
            seconds.append(response or 0)
            if answered_at <= due:
                within += 1
    return CareStats(
        waits=counted,
        answered=answered,
        answered_within_sla=within,
        breached=counted - within,
        within_sla_share=(within / counted) if counted else None,
        median_first_response_seconds=float(statistics.median(seconds)) if seconds else None,
    )
