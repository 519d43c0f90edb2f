"""Care chat queries: the agents' queue and the admins' SLA statistics."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

import strawberry

from app.chat import service as svc
from app.core.cursors import CursorCodec
from app.core.errors import BadInput
from app.core.messages import Msg
from models.chat import Conversation
from schema.chat.types import CareConversation, CareStats
from schema.context import Info
from schema.cost import cost, page
from schema.relay import MAX_PAGE_SIZE, PAGE_SIZE_DOC, Connection, PageArgs, build_connection

QUEUE_CURSOR = CursorCodec("Q", (datetime, int), Msg.INVALID_QUEUE_CURSOR)
CONVERSATIONS_CURSOR = CursorCodec("A", (datetime, int), Msg.INVALID_CONVERSATIONS_CURSOR)


def _conversations_cursor(row: Conversation) -> str:
    assert row.last_message_at is not None
    return CONVERSATIONS_CURSOR.encode(row.last_message_at, row.id)


def _queue_cursor(row: Conversation) -> str:
    assert row.waiting_since is not None
    return QUEUE_CURSOR.encode(row.waiting_since, row.id)


@strawberry.type
class ChatQuery:
    @strawberry.field(
        description="Conversations waiting for the care team, the longest wait first "
        f"(care agents and admins only). {PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE, weight=5),
    )
    async def care_queue(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[CareConversation]:
        viewer = info.context.require_viewer()
        page = PageArgs.parse(first, after)
        seek = QUEUE_CURSOR.read(page.cursor)
        rows = await svc.care_queue(viewer, page.size + 1, (seek[0], seek[1]) if seek else None)
        return build_connection(
            rows,
            page,
            cursor_of=_queue_cursor,
            convert=CareConversation.from_model,
            count=svc.care_queue_length,
        )

    @strawberry.field(
        description='"My conversations": the ones the viewer was assigned or replied in '
        "(admins: every conversation), the most recent message first, answered ones "
        "included. `search` finds a client by short reference (CareClient.reference) or "
        f"by part of the display name, case-insensitively. Care team only. {PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE, weight=5),
    )
    async def care_conversations(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[CareConversation]:
        viewer = info.context.require_viewer()
        page = PageArgs.parse(first, after)
        seek = CONVERSATIONS_CURSOR.read(page.cursor)
        rows = await svc.care_conversations(
            viewer, page.size + 1, (seek[0], seek[1]) if seek else None, search
        )
        return build_connection(
            rows,
            page,
            cursor_of=_conversations_cursor,
            convert=CareConversation.from_model,
            count=lambda: svc.care_conversations_count(viewer, search),
        )

    @strawberry.field(
        description="First-response statistics of the waits that began in [from, to) "
        "(admins only).",
        directives=[cost(20)],
    )
    async def care_stats(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> CareStats:
        viewer = info.context.require_viewer()
        if from_.tzinfo is None or to.tzinfo is None:
            raise BadInput(Msg.CARE_STATS_RANGE)
        return CareStats(**dataclasses.asdict(await svc.care_stats(viewer, from_, to)))
