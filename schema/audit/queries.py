"""``auditLog``: the admins' record of every back-office change, newest first."""

from __future__ import annotations

import strawberry

from app import audit, policy
from app.core.cursors import CursorCodec
from app.core.errors import BadInput
from app.core.messages import Msg
from schema.audit.types import NODE_SUBJECTS, AuditEntry, AuditLogConnection
from schema.context import Info
from schema.cost import page
from schema.relay import MAX_PAGE_SIZE, PAGE_SIZE_DOC, PageArgs, build_connection, parse_global_id

AUDIT_CURSOR = CursorCodec("A", (int,))
MAX_SUBJECT_TYPE = 40
MAX_SUBJECT_ID = 64


def _subject(
    subject_type: str | None, subject_id: str | None
) -> tuple[str | None, str | None] | None:
    """The (type, key) filter; None when the two arguments contradict each other."""
    if subject_type is not None and not 0 < len(subject_type) <= MAX_SUBJECT_TYPE:
        raise BadInput(Msg.AUDIT_SUBJECT_TYPE(limit=MAX_SUBJECT_TYPE))
    if subject_id is None:
        return subject_type, None
    parsed = parse_global_id(subject_id)
    if parsed is not None and parsed[0] in NODE_SUBJECTS:
        kind, key = parsed
        if subject_type is not None and subject_type != kind:
            return None
        return kind, key
    if not 0 < len(subject_id) <= MAX_SUBJECT_ID:
        raise BadInput(Msg.MALFORMED_ID)
    return subject_type, subject_id


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Every admin change (who, when, what changed), newest first; narrowed "
        "to one type of subject (`subjectType`) or one subject (`subjectId`, the global ID "
        f"of a Node). Admins only. {PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE, weight=2),
    )
    async def audit_log(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        subject_type: str | None = None,
        subject_id: strawberry.ID | None = None,
    ) -> AuditLogConnection:
        policy.require_audit_log(info.context.require_viewer())
        args = PageArgs.parse(first, after)
        seek = AUDIT_CURSOR.read(args.cursor)
        subject = _subject(subject_type, subject_id)
        if subject is None:
            rows = []
            kind = key = None
        else:
            kind, key = subject
            rows = await audit.page(
                args.size + 1, seek[0] if seek else None, subject_type=kind, subject_id=key
            )

        async def total() -> int:
            return 0 if subject is None else await audit.count(subject_type=kind, subject_id=key)

        conn = build_connection(
            rows,
            args,
            cursor_of=lambda r: AUDIT_CURSOR.encode(r.id),
            convert=AuditEntry.from_model,
            count=total,
        )
        return AuditLogConnection(edges=conn.edges, page_info=conn.page_info, _count=total)
