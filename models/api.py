"""The API surface's own records: trusted documents (operations shipped apps may send) and
who still uses deprecated fields."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class TrustedDocument(Model):
    """One registered operation: by the SHA-256 of its text as registered (what Apollo's
    manifests and persisted-query links send) and of its canonical print (so a client
    that sends the same operation formatted otherwise matches too)."""

    id = fields.CharField(max_length=64, primary_key=True, description="SHA-256 of body")
    canonical_hash = fields.CharField(max_length=64, db_index=True)
    name = fields.CharField(max_length=128, null=True)
    operation = fields.CharField(max_length=16, description="query, mutation, subscription")
    body = fields.TextField()
    source = fields.CharField(max_length=255, description="The file it was registered from")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trusted_documents"


class DeprecatedFieldUsage(Model):
    """How often an operation of a client selected a deprecated field (``app.core.usage``)."""

    id = fields.IntField(primary_key=True)
    coordinate = fields.CharField(max_length=255, description="Type.field or Enum.VALUE")
    operation_name = fields.CharField(max_length=64, description="'' for an unnamed one")
    client_name = fields.CharField(max_length=64, description="apollographql-client-name")
    count = fields.BigIntField()
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "deprecated_field_usage"
        unique_together = (("coordinate", "operation_name", "client_name"),)
