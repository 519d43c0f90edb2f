"""People: clients (signed in by a partner), psychologists' and staff accounts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import Role


class User(Model):
    """One person. Clients are one per E.164 phone number across partners."""

    id = fields.IntField(primary_key=True)
    role = fields.CharEnumField(Role, max_length=16, default=Role.CLIENT)
    phone_e164 = fields.CharField(max_length=20, null=True, unique=True)
    email = fields.CharField(max_length=254, null=True, unique=True)
    display_name = fields.CharField(max_length=120, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"

    def __str__(self) -> str:  # never the phone: this may end up in a log line
        return f"User#{self.id}"
