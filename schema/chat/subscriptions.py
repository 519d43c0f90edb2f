"""Care chat subscriptions (graphql-transport-ws): ``messageAdded`` and ``careInbox``.

The feeds live in ``app.chat.live`` (replay-then-live without gaps or duplicates); here
each event becomes its GraphQL shape with fresh dataloaders. A session that ends while
connected (expiry, sign-out, revocation) ends the subscription with an UNAUTHENTICATED
error and closes the socket (``app.web.sockets``); the client reconnects with a fresh
token and resubscribes with ``after``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing, nullcontext

import strawberry

from app import policy
from app.chat import live
from models.chat import Conversation
from schema.chat.types import (
    CareConversation,
    CareInboxEvent,
    Message,
    message_edge,
    require_message_cursor,
)
from schema.context import Info
from schema.relay import Edge, decode_id
from schema.sharing import shared_root


def _fresh_loaders(info: Info) -> None:
    # The context lives as long as the subscription: every event starts with empty caches.
    info.context.loaders.clear()


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
        viewer = info.context.require_viewer()
        after_id = require_message_cursor(after)
        pk = decode_id(conversation_id, "CareConversation")
        conversation = policy.require_subscribe_conversation(
            viewer, await Conversation.get_or_none(id=pk) if pk is not None else None
        )
        feed = live.conversation_feed(
            info.context.chat.pubsub, info.context.chat.reads, conversation, after_id
        )
        # The client watching their own conversation: care replies need no push meanwhile.
        watching = (
            info.context.chat.presence.following(viewer.user_id)
            if viewer.user_id == conversation.client_id
            else nullcontext()
        )
        async with aclosing(feed):  # releases the live channel as soon as the client leaves
            with watching:
                async for delivered in feed:
                    _fresh_loaders(info)
                    # Executed once per group of subscribers of this message (schema.sharing).
                    yield shared_root(
                        message_edge(delivered.message, delivered.author), delivered.results
                    )

    @strawberry.subscription(
        description="Everything the care team's screens need, for all conversations: new "
        "client messages, assignments, answers and SLA breaches (care agents and admins)."
    )
    async def care_inbox(self, info: Info) -> AsyncGenerator[CareInboxEvent, None]:
        viewer = info.context.require_viewer()
        policy.require_view_care_queue(viewer)
        feed = live.inbox_feed(info.context.chat.pubsub)
        async with aclosing(feed):
            async for event in feed:
                _fresh_loaders(info)
                yield CareInboxEvent(
                    kind=event.kind,
                    conversation=CareConversation.from_model(event.conversation),
                    message=Message.from_model(event.message) if event.message else None,
                )
