"""Root fields that belong to no domain: ``node(id:)``."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.relay import Node, resolve_node


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Fetches any object by its global ID; null when it does not exist "
        "or is not visible to the viewer."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)  # type: ignore[no-any-return]
