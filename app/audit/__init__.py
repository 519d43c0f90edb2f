"""The audit log: ``record`` one admin change inside the caller's transaction; ``page``
reads the log newest first.

``changes`` is ``{field: [before, after]}``. Values are made JSON-safe here (a
``Decimal`` or a date becomes its string, an enum its value, a set or tuple a list), so
every caller writes the same shapes. Field names that could carry personal data or
secrets (phone numbers, tokens, passwords, message texts) are refused outright: an audit
row is read by every admin and kept for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core import clock
from app.policy import Principal
from models.audit import AuditAction, AuditEntry

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

# Substrings of field names that never go into the log (whatever the value).
FORBIDDEN_FIELDS = ("phone", "token", "password", "secret")
FORBIDDEN_EXACT = frozenset({"text", "message", "messages"})


def json_safe(value: Any) -> JsonValue:
    """``value`` as plain JSON: decimals and dates as strings, enums as their values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, set | frozenset):
        return [json_safe(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    raise TypeError(f"not recordable in the audit log: {type(value).__name__}")


def _check_field(name: str) -> None:
    lowered = name.lower()
    if lowered in FORBIDDEN_EXACT or any(word in lowered for word in FORBIDDEN_FIELDS):
        raise ValueError(f"the audit log never records {name!r}")


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` of the fields of ``after`` whose JSON form changed."""
    out: dict[str, list[Any]] = {}
    for name, new in after.items():
        old_safe, new_safe = json_safe(before.get(name)), json_safe(new)
        if old_safe != new_safe:
            out[name] = [old_safe, new_safe]
    return out


async def record(
    actor: Principal | None,
    action: AuditAction,
    subject_type: str,
    subject_id: int | str,
    changes: Mapping[str, Any],
    *,
    using_db: BaseDBAsyncClient | None = None,
) -> AuditEntry:
    """Write one audit row (in the caller's transaction: ``using_db``, or the transaction
    the caller has open). ``changes``: ``{field: [before, after]}``; a ``None`` actor is
    the system itself (a command-line import)."""
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit actions are AuditAction members, not {action!r}")
    safe: dict[str, Any] = {}
    for name, pair in changes.items():
        _check_field(name)
        before, after = pair
        safe[name] = [json_safe(before), json_safe(after)]
    return await AuditEntry.create(
        actor_id=actor.user_id if actor is not None else None,
        action=action.value,
        subject_type=subject_type,
        subject_id=str(subject_id),
        changes=safe,
        created_at=clock.now(),
        using_db=using_db,
    )


async def page(
    size: int,
    after_id: int | None,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> list[AuditEntry]:
    """``size`` entries newest first (by id: the order they were written), after the
    entry ``after_id``; narrowed to one kind of subject, or one subject. One statement."""
    qs = AuditEntry.all()
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    return await qs.order_by("-id").limit(size)


async def count(*, subject_type: str | None = None, subject_id: str | None = None) -> int:
    qs = AuditEntry.all()
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    return await qs.count()
