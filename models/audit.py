"""The audit log: who changed what in the back office, and when (issue 14).

One row per admin change, written in the transaction of the change itself
(``app.audit.record``), so a change and its record commit or roll back together.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.identity import User


class AuditAction(StrEnum):
    """What was done. Stored as plain text (not an enum column), so that a new action is
    a new member here, never a migration. Other parts of the back office add theirs."""

    PSYCHOLOGIST_UPDATED = "PSYCHOLOGIST_UPDATED"
    METHOD_CREATED = "METHOD_CREATED"
    METHOD_UPDATED = "METHOD_UPDATED"
    TOPIC_CREATED = "TOPIC_CREATED"
    TOPIC_UPDATED = "TOPIC_UPDATED"
    SERVICE_CREATED = "SERVICE_CREATED"
    SERVICE_UPDATED = "SERVICE_UPDATED"
    SERVICE_PRICE_SET = "SERVICE_PRICE_SET"
    # vetting (app.catalogue.vetting)
    PSYCHOLOGIST_CREATED = "PSYCHOLOGIST_CREATED"
    CREDENTIAL_RECORDED = "CREDENTIAL_RECORDED"
    TEST_SESSION_RECORDED = "TEST_SESSION_RECORDED"
    INTERVISION_RECORDED = "INTERVISION_RECORDED"
    VETTING_STATUS_CHANGED = "VETTING_STATUS_CHANGED"


class AuditEntry(Model):
    """One change: ``changes`` is ``{field: [before, after]}`` of JSON values (decimals and
    dates as strings); never phone numbers, tokens or message texts."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=48, description="models.audit.AuditAction")
    subject_type = fields.CharField(
        max_length=40, description="What was changed: its GraphQL type name (Service...)"
    )
    subject_id = fields.CharField(max_length=64, description="Its primary key, as text")
    changes: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(description="app.core.clock at the change")

    class Meta:
        table = "audit_entries"
        table_description = "Who changed what in the back office, and when."
        indexes = (("subject_type", "subject_id", "id"),)
