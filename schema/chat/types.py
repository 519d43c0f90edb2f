"""GraphQL types of the care chat: conversations, messages, inbox events, SLA statistics."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

import strawberry

from app import policy
from app.chat import service as svc
from app.chat.errors import ChatErrorCode
from app.chat.reference import client_reference
from app.core.cursors import CursorCodec, Int64, decode_cursor
from app.core.errors import BadInput
from app.core.messages import Msg
from app.identity.privacy import mask_phone
from models import chat as m
from models.enums import Role
from models.identity import User
from schema.chat.dataloaders import (
    ChatUserById,
    ConversationByClient,
    ConversationById,
    LastMessageByConversation,
    MessageById,
    MessagePageByConversation,
    PartnerById,
    UnreadCountByConversation,
)
from schema.common import PayloadError
from schema.context import Info
from schema.cost import page
from schema.relay import (
    MAX_PAGE_SIZE,
    PAGE_SIZE_DOC,
    Connection,
    Edge,
    Node,
    NodeResolver,
    PageArgs,
    build_connection,
    decode_id,
    to_global_id,
)

ASSISTANT_NAME = "Ассистент Psyline"
NOT_LOADED: Any = object()

InboxEventKind = svc.InboxEventKind
strawberry.enum(ChatErrorCode, description="Why a chat action was refused.")
strawberry.enum(InboxEventKind, description="What happened in the care inbox.")


@strawberry.enum(description="Who wrote a message: a person's role, or the assistant.")
class MessageAuthorRole(Enum):
    CLIENT = "CLIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"
    CARE_AGENT = "CARE_AGENT"
    ADMIN = "ADMIN"
    ASSISTANT = "ASSISTANT"


@strawberry.type(description="A chat mistake: code, human-readable message, offending input.")
class ChatError(PayloadError):
    code_enum: ClassVar[type[Enum]] = ChatErrorCode
    code: ChatErrorCode
    message: str
    field: str | None = strawberry.field(description="The input field at fault (camelCase).")


# --- cursors ----------------------------------------------------------------------


MESSAGE_CURSOR = CursorCodec("M", (Int64,), Msg.INVALID_MESSAGE_CURSOR)


def message_cursor(message_id: int) -> str:
    return MESSAGE_CURSOR.encode(message_id)


def message_id_from(value: str | None) -> int | None:
    """A message cursor (or a Message ID) as an integer id; None when it is neither."""
    if value is None:
        return None
    pk = decode_id(value, "Message")
    if pk is not None:
        return pk
    try:
        values = MESSAGE_CURSOR.match(decode_cursor(value))
    except BadInput:
        return None
    return values[0] if values else None


def require_message_cursor(value: str | None) -> int | None:
    if value is None:
        return None
    pk = message_id_from(value)
    if pk is None:
        raise BadInput(MESSAGE_CURSOR.message)
    return pk


# --- people -------------------------------------------------------------------------


@strawberry.type(description="Who wrote a message, as the other side sees them.")
class MessageAuthor:
    role: MessageAuthorRole
    display_name: str

    @classmethod
    def of(cls, user: User | None) -> MessageAuthor:
        if user is None:
            return cls(role=MessageAuthorRole.ASSISTANT, display_name=ASSISTANT_NAME)
        return cls(role=MessageAuthorRole(Role(user.role).value), display_name=user.display_name)


@strawberry.type(description="The client of a care conversation (for the care team).")
class CareClient:
    display_name: str
    masked_phone: str = strawberry.field(
        description="The phone number with the middle digits hidden, e.g. +7 999 ***-**-67."
    )
    reference: str = strawberry.field(
        description="A stable short reference derived from the client's id (e.g. 1EY-XKK6): "
        "tells clients apart without their phone number; careConversations(search:) finds it."
    )
    _partner_id: strawberry.Private[int | None]

    @strawberry.field(description="The partner (clinic network) the client last came from.")
    async def partner_name(self, info: Info) -> str | None:
        if self._partner_id is None:
            return None
        partner = await info.context.loaders[PartnerById].load(self._partner_id)
        return partner.name if partner else None

    @classmethod
    def from_user(cls, user: User) -> CareClient:
        return cls(
            display_name=user.display_name,
            masked_phone=mask_phone(user.phone_e164),
            reference=client_reference(user.id),
            _partner_id=user.latest_partner_id,
        )


@strawberry.type(description="A member of the care team.")
class CareAgent:
    display_name: str


# --- messages ---------------------------------------------------------------------------


@strawberry.type(name="Message", description="One message of a care conversation.")
class Message(Node):
    text: str
    sent_at: datetime = strawberry.field(description="When the server stored the message.")
    _row: strawberry.Private[m.Message]
    # The author when already loaded (live delivery); NOT_LOADED: use the loader.
    _author: strawberry.Private[Any] = NOT_LOADED

    @classmethod
    def from_model(cls, row: m.Message, author: object = NOT_LOADED) -> Message:
        return cls(
            id=to_global_id("Message", row.id),
            text=row.text,
            sent_at=row.created_at,
            _row=row,
            _author=author,
        )

    @strawberry.field(description="Who wrote it; the assistant for system messages.")
    async def author(self, info: Info) -> MessageAuthor:
        if self._author is not NOT_LOADED:
            return MessageAuthor.of(self._author)
        author_id = self._row.author_id
        if author_id is None:
            return MessageAuthor.of(None)
        return MessageAuthor.of(await info.context.loaders[ChatUserById].load(author_id))

    @strawberry.field(description="The message's cursor (for `after`, `before`, `upTo`).")
    def cursor(self) -> str:
        return message_cursor(self._row.id)


def message_edge(row: m.Message, author: object = NOT_LOADED) -> Edge[Message]:
    """The ``MessageEdge`` of connections, also what ``messageAdded`` streams."""
    return Edge(cursor=message_cursor(row.id), node=Message.from_model(row, author))


# --- conversations ------------------------------------------------------------------------


@strawberry.type(description="A client's conversation with the care team.")
class CareConversation(Node):
    waiting_since: datetime | None = strawberry.field(
        description="The oldest client message not yet answered by the care team; "
        "null when nobody is waiting."
    )
    sla_due_at: datetime | None = strawberry.field(
        description="waitingSince + the first-response promise (5 minutes by default)."
    )
    first_response_at: datetime | None = strawberry.field(
        description="When the care team first answered the latest wait."
    )
    first_response_seconds: int | None = strawberry.field(
        description="How long the latest answered wait lasted, in seconds."
    )
    last_message_at: datetime | None = strawberry.field(
        description="When the newest message (anyone's) was sent: the order of careConversations."
    )
    _row: strawberry.Private[m.Conversation]

    @classmethod
    def from_model(cls, row: m.Conversation) -> CareConversation:
        return cls(
            id=to_global_id("CareConversation", row.id),
            waiting_since=row.waiting_since,
            sla_due_at=row.sla_due_at,
            first_response_at=row.first_response_at,
            first_response_seconds=row.first_response_seconds,
            last_message_at=row.last_message_at,
            _row=row,
        )

    @strawberry.field(description="The client (display name and masked phone).")
    async def client(self, info: Info) -> CareClient | None:
        user = await info.context.loaders[ChatUserById].load(self._row.client_id)
        if user is None:
            return None
        return CareClient.from_user(user)

    @strawberry.field(description="The agent who took the conversation; null if nobody yet.")
    async def assignee(self, info: Info) -> CareAgent | None:
        assignee_id = self._row.assignee_id
        if assignee_id is None:
            return None
        user = await info.context.loaders[ChatUserById].load(assignee_id)
        return CareAgent(display_name=user.display_name) if user else None

    @strawberry.field(description="The latest message.")
    async def last_message(self, info: Info) -> Message | None:
        found = await info.context.loaders[LastMessageByConversation].load(self._row.id)
        return Message.from_model(*found) if found else None

    @strawberry.field(
        description="Messages the viewer has not read (their own excluded); "
        "markConversationRead moves the marker."
    )
    async def unread_count(self, info: Info) -> int:
        return await info.context.loaders[UnreadCountByConversation].load(self._row.id)

    @strawberry.field(
        description="Messages, oldest first within a page; page backwards with `last` and "
        f"`before` (cursors are stable, ordered by message id). {PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE, weight=2, slicing="last"),
    )
    async def messages(
        self, info: Info, last: int | None = 20, before: str | None = None
    ) -> Connection[Message]:
        # Message cursors (or Message IDs) are not generic cursors: validate the size only.
        size = PageArgs.parse(None, None, 20 if last is None else last).size
        before_id = require_message_cursor(before)
        rows = await info.context.loaders[MessagePageByConversation].load(
            (self._row.id, size + 1, before_id)
        )
        return build_connection(
            rows,
            PageArgs(size=size, forward=False, cursor=before_id),
            cursor_of=lambda r: message_cursor(r[0].id),
            convert=lambda r: Message.from_model(*r),
        )


@strawberry.type(description="Something the care team's screens should show now.")
class CareInboxEvent:
    kind: InboxEventKind
    conversation: CareConversation
    message: Message | None = strawberry.field(
        description="The message concerned (NEW_MESSAGE, ANSWERED); null otherwise."
    )


@strawberry.type(description="How well the 5-minute first-response promise was kept.")
class CareStats:
    waits: int = strawberry.field(
        description="Waits that began in the period and are answered or overdue."
    )
    answered: int
    answered_within_sla: int
    breached: int = strawberry.field(description="Waits answered late or not at all.")
    within_sla_share: float | None = strawberry.field(
        description="answeredWithinSla / waits, 0..1; null without waits."
    )
    median_first_response_seconds: float | None


# --- node(id:) and viewer.careConversation ----------------------------------------------------


async def _conversation_node(info: Info, pk: int) -> CareConversation | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    row = await info.context.loaders[ConversationById].load(pk)
    if row is None or not policy.can_read_conversation(viewer, row):
        return None
    return CareConversation.from_model(row)


async def _message_node(info: Info, pk: int) -> Message | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    row = await info.context.loaders[MessageById].load(pk)
    if row is None:
        return None
    conversation = await info.context.loaders[ConversationById].load(row.conversation_id)
    if conversation is None or not policy.can_read_conversation(viewer, conversation):
        return None
    return Message.from_model(row)


NODES: dict[str, NodeResolver] = {
    "CareConversation": _conversation_node,
    "Message": _message_node,
}


async def resolve_viewer_conversation(info: Info, user: User) -> CareConversation | None:
    """The client's own conversation, created (with the welcome) on first use."""
    if not policy.has_care_conversation(policy.Actor(user_id=user.id, role=user.role)):
        return None
    row = await info.context.loaders[ConversationByClient].load(user.id)
    if row is None:
        row = await svc.ensure_conversation(user.id)
        info.context.loaders[ConversationByClient].clear(user.id).prime(user.id, row)
    return CareConversation.from_model(row)
