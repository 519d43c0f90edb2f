"""Care team chat (issue 5): one care conversation per client, its messages, read markers.

Invariants held by the database:
- one conversation per client (``conversations.client_id`` unique);
- one message per ``(author, client_message_id)`` (a resend returns the stored one);
- one read marker per ``(conversation, user)``.

Message ids are the ordering and the cursor: a sender locks its conversation row
before inserting, so within a conversation ids are committed in increasing order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.identity import User


class Conversation(Model):
    """A client's thread with the care team, with the state of its current wait."""

    id = fields.IntField(primary_key=True)
    client: fields.OneToOneRelation[User] = fields.OneToOneField(
        "identity.User", related_name="care_conversation", on_delete=fields.CASCADE
    )
    client_id: int  # the *_id attributes are set by Tortoise; declared for type checkers
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="assigned_conversations", null=True, on_delete=fields.SET_NULL
    )
    assignee_id: int | None
    # The current wait for the care team: its oldest unanswered client message.
    waiting_since = fields.DatetimeField(null=True)
    sla_due_at = fields.DatetimeField(null=True)
    sla_breach_notified = fields.BooleanField(default=False)
    # The latest answered wait: when and how fast the first agent reply came.
    first_response_at = fields.DatetimeField(null=True)
    first_response_seconds = fields.IntField(null=True)
    # The newest message (any author): the order of the care team's "my conversations".
    last_message_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_conversations"
        indexes = (
            ("waiting_since", "id"),
            ("sla_breach_notified", "sla_due_at"),
            ("last_message_at", "id"),
        )

    def __str__(self) -> str:
        return f"Conversation#{self.id}"


class Message(Model):
    """One chat message. ``author`` null means the assistant (system messages)."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    conversation_id: int
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="care_messages", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    text = fields.TextField()
    client_message_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "care_messages"
        unique_together = (("author", "client_message_id"),)
        indexes = (("conversation_id", "id"),)

    def __str__(self) -> str:  # never the text: this may end up in a log line
        return f"Message#{self.id}"


class ReadMarker(Model):
    """How far one participant has read a conversation (the last read message id)."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="read_markers", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="care_read_markers", on_delete=fields.CASCADE
    )
    last_read_message_id = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_read_markers"
        unique_together = (("conversation", "user"),)


class CareWait(Model):
    """One wait of a client for the care team: the record behind the SLA statistics."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="waits", on_delete=fields.CASCADE
    )
    started_at = fields.DatetimeField()
    sla_due_at = fields.DatetimeField()
    answered_at = fields.DatetimeField(null=True)
    response_seconds = fields.IntField(null=True)
    answered_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="care_answers", null=True, on_delete=fields.SET_NULL
    )
    breached = fields.BooleanField(default=False)

    class Meta:
        table = "care_waits"
        indexes = (("started_at",), ("conversation_id", "answered_at"))


class CareParticipant(Model):
    """A care-team member who took part in a conversation (was assigned it or replied in
    it): what "my conversations" lists. Written in the same transaction as the
    assignment or the reply; one row per ``(conversation, agent)``."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="participants", on_delete=fields.CASCADE
    )
    conversation_id: int
    agent: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="care_participations", on_delete=fields.CASCADE
    )
    agent_id: int
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "care_participants"
        unique_together = (("conversation", "agent"),)
        indexes = (("agent_id", "conversation_id"),)
