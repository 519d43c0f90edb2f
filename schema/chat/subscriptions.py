"""Care chat subscriptions (graphql-transport-ws): ``messageAdded`` and ``careInbox``.

``messageAdded`` subscribes to the live feed first, then replays the store after
the cursor, then streams: every live event (or a RESYNC after lost events) makes it
read the store after the last message it sent, so there is no gap and no duplicate
whatever order events arrive in. Only ids travel through pub/sub.

A token that expires while connected ends the subscription with an
UNAUTHENTICATED error; the client refreshes and resubscribes with ``after``.
Everything is released in ``finally`` blocks when the client completes or leaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import cast

import strawberry

from app import policy
from app.chat import service as svc
from app.chat.delivery import BATCH, messages_for_delivery
from app.core import pubsub
from app.core.errors import AuthError
from app.identity import authenticate
from app.identity.viewer import Viewer
from models.chat import Conversation
from models.chat import Message as MessageRow
from schema.chat.types import (
    CareConversation,
    CareInboxEvent,
    Message,
    message_edge,
    require_message_cursor,
)
from schema.context import Info
from schema.relay import Edge, decode_id

EXPIRED = "Access token has expired; refresh the session and resubscribe with `after`."


def _seconds_left(viewer: Viewer) -> float:
    return (viewer.expires_at - datetime.now(UTC)).total_seconds()


async def _next_event(events: pubsub.Subscription, viewer: Viewer) -> dict[str, object] | None:
    """The next pub/sub event, or AuthError once the token expires or the session ends."""
    while True:
        left = _seconds_left(viewer)
        if left <= 0:
            raise AuthError(EXPIRED)
        try:
            async with asyncio.timeout(min(left, authenticate.SESSION_RECHECK_SECONDS)):
                return await events.get()
        except TimeoutError:
            if _seconds_left(viewer) <= 0:
                raise AuthError(EXPIRED) from None
            if not await authenticate.session_still_active(viewer.session_id):
                raise AuthError(authenticate.SESSION_ENDED) from None


def _fresh_loaders(info: Info) -> None:
    # The context lives as long as the connection: start every event with empty caches.
    info.context.loaders.clear()


def _require_viewer(info: Info) -> Viewer:
    viewer = info.context.require_viewer()
    if _seconds_left(viewer) <= 0:
        raise AuthError(EXPIRED)
    return viewer


@strawberry.type
class ChatSubscription:
    @strawberry.subscription(
        description="New messages of a conversation (its client and the care team only). "
        "With `after` (a message cursor) it first replays every stored message after it, "
        "then goes live, each message exactly once."
    )
    async def message_added(
        self, info: Info, conversation_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[Edge[Message], None]:
        viewer = _require_viewer(info)
        after_id = require_message_cursor(after)
        pk = decode_id(conversation_id, "CareConversation")
        conversation = policy.require_subscribe_conversation(
            viewer, await Conversation.get_or_none(id=pk) if pk is not None else None
        )
        if after_id is None:
            # "From now on": everything committed after this point, even before the
            # live feed below is open (the first store read picks it up).
            newest = cast(  # Tortoise types flat values_list() as tuples
                "list[int]",
                await MessageRow.filter(conversation_id=conversation.id)
                .order_by("-id")
                .limit(1)
                .values_list("id", flat=True),
            )
            after_id = int(newest[0]) if newest else 0
        last_id = after_id
        async with pubsub.current().subscribe(svc.conversation_channel(conversation.id)) as events:
            # Live first; only then read the store, so nothing falls between the two.
            pending = True  # replay the store (after `after`) before waiting for events
            must_include: int | None = None
            while True:
                if pending:
                    rows = await messages_for_delivery(
                        conversation.id, last_id, must_include=must_include
                    )
                    for delivered in rows:
                        last_id = delivered.message.id
                        _fresh_loaders(info)
                        yield message_edge(delivered.message, delivered.author)
                    pending = len(rows) == BATCH
                    must_include = None
                    if pending:
                        continue
                event = await _next_event(events, viewer)
                if event is None:
                    return  # the broker closed (shutdown)
                message_id = event.get("message_id")
                # A live id we already sent is a duplicate; anything else (a newer id,
                # a RESYNC after lost events) is read from the store after `last_id`.
                if isinstance(message_id, int):
                    pending = message_id > last_id
                    must_include = message_id
                else:
                    pending, must_include = True, None

    @strawberry.subscription(
        description="Everything the care team's screens need, for all conversations: new "
        "client messages, assignments, answers and SLA breaches (care agents and admins)."
    )
    async def care_inbox(self, info: Info) -> AsyncGenerator[CareInboxEvent, None]:
        viewer = _require_viewer(info)
        policy.require_view_care_queue(viewer)
        async with pubsub.current().subscribe(svc.INBOX_CHANNEL) as events:
            while True:
                event = await _next_event(events, viewer)
                if event is None:
                    return
                kind = event.get("kind")
                conversation_id = event.get("conversation_id")
                if (
                    not isinstance(conversation_id, int)
                    or not isinstance(kind, str)
                    or kind not in svc.InboxEventKind.__members__
                ):
                    continue  # RESYNC: the inbox has no history to replay
                conversation = await Conversation.get_or_none(id=conversation_id)
                if conversation is None:
                    continue
                message_id = event.get("message_id")
                message = (
                    await MessageRow.get_or_none(id=message_id)
                    if isinstance(message_id, int)
                    else None
                )
                _fresh_loaders(info)
                yield CareInboxEvent(
                    kind=svc.InboxEventKind(kind),
                    conversation=CareConversation.from_model(conversation),
                    message=Message.from_model(message) if message else None,
                )
