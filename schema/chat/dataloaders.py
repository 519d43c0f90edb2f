"""Per-request loaders for everything a conversation list or a message list reaches."""

from __future__ import annotations

from typing import Any

from app.core.sql import PageKey, fetch, newest_per_parent, param, placeholders
from models.chat import Conversation, Message
from models.identity import Partner, User
from schema.context import Loader
from schema.loader import index_by


class ConversationById(Loader[int, Conversation | None]):
    async def load_batch(self, keys: list[int]) -> list[Conversation | None]:
        return index_by(await Conversation.filter(id__in=keys), keys)


class ConversationByClient(Loader[int, Conversation | None]):
    async def load_batch(self, keys: list[int]) -> list[Conversation | None]:
        return index_by(await Conversation.filter(client_id__in=keys), keys, key="client_id")


class ChatUserById(Loader[int, User | None]):
    """Authors, clients and assignees (only their public fields are ever shown)."""

    async def load_batch(self, keys: list[int]) -> list[User | None]:
        return index_by(await User.filter(id__in=keys), keys)


class PartnerById(Loader[int, Partner | None]):
    """The partner (clinic network) a client came from, shown to the care team."""

    async def load_batch(self, keys: list[int]) -> list[Partner | None]:
        return index_by(await Partner.filter(id__in=keys), keys)


class MessageById(Loader[int, Message | None]):
    async def load_batch(self, keys: list[int]) -> list[Message | None]:
        return index_by(await Message.filter(id__in=keys), keys)


# A message with its author (None: the assistant), read in the same statement.
Authored = tuple[Message, User | None]
_WITH_AUTHOR = "u.role AS author_role, u.display_name AS author_name"


def _authored(row: dict[str, Any]) -> Authored:
    role, name = row.pop("author_role"), row.pop("author_name")
    message = Message._init_from_db(**row)
    author_id = row.get("author_id")
    if author_id is None or role is None:
        return message, None
    return message, User(id=author_id, role=role, display_name=name or "")


class LastMessageByConversation(Loader[int, Authored | None]):
    async def load_batch(self, keys: list[int]) -> list[Authored | None]:
        rows = await fetch(
            f"SELECT m.*, {_WITH_AUTHOR} FROM care_messages m "  # noqa: S608
            "LEFT JOIN users u ON u.id = m.author_id "
            "WHERE m.id IN (SELECT MAX(id) FROM care_messages "
            f"WHERE conversation_id IN ({placeholders(len(keys))}) GROUP BY conversation_id)",
            keys,
        )
        found = {pair[0].conversation_id: pair for pair in map(_authored, rows)}
        return [found.get(k) for k in keys]


class UnreadCountByConversation(Loader[int, int]):
    """Unread messages of each conversation for the request's viewer: after their read
    marker, not their own."""

    async def load_batch(self, keys: list[int]) -> list[int]:
        viewer = self.context.viewer
        if viewer is None:
            return [0 for _ in keys]
        rows = await fetch(
            "SELECT m.conversation_id AS cid, COUNT(*) AS n FROM care_messages m "  # noqa: S608
            "LEFT JOIN care_read_markers r ON r.conversation_id = m.conversation_id "
            f"AND r.user_id = {param(1)} "
            f"WHERE (m.author_id IS NULL OR m.author_id <> {param(2)}) "
            f"AND m.conversation_id IN ({placeholders(len(keys), start=3)}) "
            "AND m.id > COALESCE(r.last_read_message_id, 0) "
            "GROUP BY m.conversation_id",
            [viewer.user_id, viewer.user_id, *keys],
        )
        counts = {row["cid"]: int(row["n"]) for row in rows}
        return [counts.get(k, 0) for k in keys]


MessagePageKey = PageKey  # conversation, size + 1, id before which to start


class MessagePageByConversation(Loader[MessagePageKey, list[Authored]]):
    """Newest-first message pages of many conversations in one statement per page shape."""

    async def load_batch(self, keys: list[MessagePageKey]) -> list[list[Authored]]:
        found = await newest_per_parent(
            keys,
            table="care_messages",
            parent="conversation_id",
            select=f"ranked.*, {_WITH_AUTHOR}",
            join="LEFT JOIN users u ON u.id = ranked.author_id",
        )
        return [[_authored(row) for row in found[k]] for k in keys]
