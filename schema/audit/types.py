"""GraphQL types of the audit log: entries, their changes and who made them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry

from models.audit import AuditAction
from models.audit import AuditEntry as Row
from models.identity import User
from schema.audit.dataloaders import StaffById
from schema.common import Role
from schema.context import Info
from schema.relay import Connection, to_global_id

strawberry.enum(AuditAction, description="What an admin change did.")

# Subjects that are Nodes: their subjectId is the global ID ``node(id:)`` takes.
NODE_SUBJECTS = frozenset({"Psychologist", "Service", "Method", "Topic"})


@strawberry.type(description="A member of staff, as the audit log names them.")
class StaffMember:
    display_name: str = strawberry.field(description="The name the staff account shows.")
    email: str | None = strawberry.field(description="The staff account's sign-in email.")
    role: Role = strawberry.field(description="Their role now (it may have changed since).")

    @classmethod
    def from_user(cls, user: User) -> StaffMember:
        return cls(display_name=user.display_name, email=user.email, role=user.role)


def as_text(value: Any) -> str | None:
    """A recorded value as text: strings as they are, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@strawberry.type(description="One changed field of an audit entry.")
class AuditChange:
    field: str = strawberry.field(description="The field as the API names it (camelCase).")
    before: str | None = strawberry.field(
        description="The value before, as text (a string as it is, anything else as JSON: "
        '`3500.00`, `true`, `["cbt","gestalt"]`); null when it had none (a creation).'
    )
    after: str | None = strawberry.field(description="The value after, in the same form.")


def subject_global_id(subject_type: str, subject_id: str) -> strawberry.ID:
    if subject_type in NODE_SUBJECTS:
        return to_global_id(subject_type, subject_id)
    return strawberry.ID(subject_id)


@strawberry.type(description="One admin change: who, what, when and which fields.")
class AuditEntry:
    action: AuditAction = strawberry.field(description="What was done.")
    subject_type: str = strawberry.field(
        description="What was changed: a type name (Psychologist, Service, Method, Topic...)."
    )
    subject_id: strawberry.ID = strawberry.field(
        description="Which one: for a Node type the global ID its `id` field carries (the "
        "`id` of the Service, Psychologist...), else its key as text."
    )
    changes: list[AuditChange] = strawberry.field(description="The changed fields, by name.")
    at: datetime = strawberry.field(description="When the change was made.")
    _row: strawberry.Private[Row]

    @classmethod
    def from_model(cls, row: Row) -> AuditEntry:
        recorded: dict[str, Any] = row.changes or {}
        return cls(
            action=AuditAction(row.action),
            subject_type=row.subject_type,
            subject_id=subject_global_id(row.subject_type, row.subject_id),
            changes=[
                AuditChange(field=name, before=as_text(pair[0]), after=as_text(pair[1]))
                for name, pair in sorted(recorded.items())
            ],
            at=row.created_at,
            _row=row,
        )

    @strawberry.field(
        description="Who made the change; null for the system itself or a deleted account."
    )
    async def actor(self, info: Info) -> StaffMember | None:
        actor_id = self._row.actor_id
        if actor_id is None:
            return None
        user = await info.context.loaders[StaffById].load(actor_id)
        return StaffMember.from_user(user) if user else None


@strawberry.type(description="The audit log, newest first (a Relay connection).")
class AuditLogConnection(Connection[AuditEntry]):
    pass
