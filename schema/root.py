"""Root fields that belong to no domain: ``node(id:)``."""

from __future__ import annotations

import strawberry

from schema.booking import queries as booking
from schema.catalogue import queries as catalogue
from schema.chat import types as chat
from schema.checkup import queries as checkup
from schema.context import Info
from schema.kpi import queries as kpi
from schema.relay import Node, NodeResolver, resolve_node

NODES: dict[str, NodeResolver] = {
    **booking.NODES,
    **catalogue.NODES,
    **chat.NODES,
    **checkup.NODES,
    **kpi.NODES,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Fetches any object by its global ID; null when it does not exist "
        "or is not visible to the viewer."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id, NODES)  # type: ignore[no-any-return]
