"""Live feeds of the care chat, GraphQL-free: a worker or a CLI could stream them too.

``conversation_feed`` subscribes to the live channel first, then replays the store after
the cursor, then streams: every live event (or a RESYNC after lost events) makes it read
the store after the last message it yielded, so there is no gap and no duplicate
whatever order events arrive in. Only ids travel through pub/sub.

Both return when the broker closes; everything is released when the consumer stops
iterating. Who may follow a feed, and for how long, is the caller's to decide: over a
socket, every operation is authorized as it starts and the socket ends with its
session (``app.web.sockets``, ``app.identity.sockets``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import cast

from app.chat.delivery import BATCH, Delivered, SharedReads
from app.chat.service import INBOX_CHANNEL, InboxEventKind, conversation_channel
from app.core.pubsub import PubSub
from models.chat import Conversation, Message


async def _newest_id(conversation_id: int) -> int:
    newest = cast(  # Tortoise types flat values_list() as tuples
        "list[int]",
        await Message.filter(conversation_id=conversation_id)
        .order_by("-id")
        .limit(1)
        .values_list("id", flat=True),
    )
    return int(newest[0]) if newest else 0


async def conversation_feed(
    broker: PubSub,
    reads: SharedReads,
    conversation: Conversation,
    after_id: int | None,
) -> AsyncGenerator[Delivered, None]:
    """Every message after ``after_id`` (None: from now on), then each new one, once."""
    # "From now on": everything committed after this point, even before the live feed
    # below is open (the first store read picks it up).
    last_id = await _newest_id(conversation.id) if after_id is None else after_id
    async with broker.subscribe(conversation_channel(conversation.id)) as events:
        # Live first; only then read the store, so nothing falls between the two.
        pending = True  # replay the store (after `after`) before waiting for events
        must_include: int | None = None
        while True:
            if pending:
                rows = await reads.messages_for_delivery(
                    conversation.id, last_id, must_include=must_include
                )
                for delivered in rows:
                    last_id = delivered.message.id
                    yield delivered
                pending = len(rows) == BATCH
                must_include = None
                if pending:
                    continue
            event = await events.get()
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


@dataclass(frozen=True)
class InboxEvent:
    kind: InboxEventKind
    conversation: Conversation
    message: Message | None


async def inbox_feed(broker: PubSub) -> AsyncGenerator[InboxEvent, None]:
    """The care team's events for all conversations (no history: RESYNC is skipped)."""
    async with broker.subscribe(INBOX_CHANNEL) as events:
        while True:
            event = await events.get()
            if event is None:
                return
            kind = event.get("kind")
            conversation_id = event.get("conversation_id")
            if (
                not isinstance(conversation_id, int)
                or not isinstance(kind, str)
                or kind not in InboxEventKind.__members__
            ):
                continue  # RESYNC: the inbox has no history to replay
            conversation = await Conversation.get_or_none(id=conversation_id)
            if conversation is None:
                continue
            message_id = event.get("message_id")
            message = (
                await Message.get_or_none(id=message_id) if isinstance(message_id, int) else None
            )
            yield InboxEvent(InboxEventKind(kind), conversation, message)
