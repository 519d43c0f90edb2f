"""Relay plumbing: opaque global IDs, the Node interface, connections and cursors.

Global IDs are ``base64url("TypeName:pk")`` without padding: opaque to clients,
stable, and decodable without a database round trip. Cursors are base64url JSON.
"""

from __future__ import annotations

import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from app.core.cursors import b64decode, b64encode, decode_cursor
from app.core.errors import BadInput
from app.core.messages import Msg

T = TypeVar("T")

MAX_PAGE_SIZE = 100
PAGE_SIZE_DOC = f"At most {MAX_PAGE_SIZE}; larger values are capped at {MAX_PAGE_SIZE}."

# Primary keys are 32-bit integers (IntField: ``integer`` on PostgreSQL) except the
# types listed here (BigIntField): a larger pk is no row of ours, and must not reach
# the driver, which refuses it with an error (tests/test_malformed_input.py).
MAX_PK = 2**31 - 1
WIDE_PK_TYPES = frozenset({"Message"})


def _pk(type_name: str, raw: str) -> int | None:
    if not raw.isdigit() or len(raw) > 19:
        return None
    pk = int(raw)
    limit = 2**63 - 1 if type_name in WIDE_PK_TYPES else MAX_PK
    return pk if pk <= limit else None


def to_global_id(type_name: str, pk: int | str) -> strawberry.ID:
    return strawberry.ID(b64encode(f"{type_name}:{pk}".encode()))


def parse_global_id(global_id: str) -> tuple[str, str] | None:
    """Return ``(type_name, pk)`` or None when the ID is not one of ours."""
    try:
        type_name, _, pk = b64decode(global_id).decode("utf-8").partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not type_name or not pk:
        return None
    return type_name, pk


def decode_id(global_id: str, expected: str | Sequence[str]) -> int | None:
    """The integer pk of a global ID of the expected type(s), or None."""
    parsed = parse_global_id(global_id)
    allowed = (expected,) if isinstance(expected, str) else tuple(expected)
    if parsed is None or parsed[0] not in allowed:
        return None
    return _pk(*parsed)


@strawberry.interface(description="An object with a globally unique, opaque ID (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique, opaque ID.")


# Fetches one type for ``node(id:)`` (doing its own visibility check). Each domain
# exports ``NODES = {type name: resolver}``; ``schema.root`` merges them.
NodeResolver = Callable[[Info, int], Awaitable[Any]]


async def resolve_node(info: Info, global_id: str, resolvers: dict[str, NodeResolver]) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None:
        raise BadInput(Msg.MALFORMED_ID)
    type_name, pk = parsed
    resolver = resolvers.get(type_name)
    number = _pk(type_name, pk)
    if resolver is None or number is None:
        return None
    return await resolver(info, number)


# --- connections ---------------------------------------------------------


@strawberry.type(description="Paging state of a connection (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="How many items the whole list holds (all pages).")
    async def total_count(self) -> int:
        if self._count is None:
            return len(self.edges)
        return await self._count()


@dataclass(frozen=True)
class PageArgs:
    """Validated ``first/after/last/before``: ``size`` rows in ``forward`` direction."""

    size: int
    forward: bool
    cursor: Any

    @classmethod
    def parse(
        cls,
        first: int | None,
        after: str | None,
        last: int | None = None,
        before: str | None = None,
        *,
        default: int = 20,
    ) -> PageArgs:
        if first is not None and last is not None:
            raise BadInput(Msg.FIRST_OR_LAST)
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise BadInput(Msg.NEGATIVE_ARGUMENT(name=name))
        if last is not None or (before is not None and first is None):
            size = default if last is None else last
            return cls(min(size, MAX_PAGE_SIZE), False, decode_cursor(before))
        if before is not None:
            raise BadInput(Msg.BEFORE_WITH_LAST)
        size = default if first is None else first
        return cls(min(size, MAX_PAGE_SIZE), True, decode_cursor(after))


def build_connection(
    rows: Sequence[T],
    page: PageArgs,
    cursor_of: Callable[[T], str],
    convert: Callable[[T], Any],
    count: Callable[[], Awaitable[int]] | None = None,
) -> Connection[Any]:
    """Build a connection from ``page.size + 1`` rows fetched in page direction.

    ``rows`` come in traversal order (forward: ascending, backward: from the
    cursor backwards); the extra row only tells whether there is another page.
    """
    more = len(rows) > page.size
    rows = list(rows[: page.size])
    if not page.forward:
        rows.reverse()
    edges = [Edge(cursor=cursor_of(r), node=convert(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if page.forward else False,
            has_previous_page=more if not page.forward else page.cursor is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )
