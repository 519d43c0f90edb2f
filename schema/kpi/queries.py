"""The admins' ``partnerMetrics`` and ``node(Partner)``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.kpi import metrics as svc
from schema.context import Info
from schema.cost import cost, list_of
from schema.kpi.types import Partner, PartnerMetrics
from schema.relay import NodeResolver, decode_id


async def _partner_node(info: Info, pk: int) -> Partner | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    row = await svc.visible_partner(viewer, pk)
    return Partner.from_model(row) if row is not None else None


NODES: dict[str, NodeResolver] = {"Partner": _partner_node}


@strawberry.type
class KpiQuery:
    @strawberry.field(
        description="The partner's figures over `[from, to)` (at most "
        f"{svc.MAX_PERIOD_DAYS} days; `to` later than `from`, both with a UTC offset, else "
        "BAD_USER_INPUT). Admins only (FORBIDDEN otherwise). An admin scoped to a partner "
        "sees that partner: `partnerId` omitted means theirs, another partner's is "
        "FORBIDDEN. An unscoped admin sees the partner `partnerId` names, or every partner "
        "together without it. An unknown or malformed `partnerId` is BAD_USER_INPUT.",
        directives=[cost(20)],
    )
    async def partner_metrics(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        partner_id: strawberry.ID | None = None,
    ) -> PartnerMetrics:
        viewer = info.context.require_viewer()
        pk = decode_id(partner_id, "Partner") if partner_id is not None else None
        result = await svc.partner_metrics(
            viewer,
            from_,
            to,
            pk,
            malformed_partner_id=partner_id is not None and pk is None,
        )
        return PartnerMetrics.from_result(result)

    @strawberry.field(
        description="The partners whose figures the viewer may ask for (`partnerMetrics`), "
        "by name: an admin scoped to a partner gets that one, an unscoped admin every "
        f"partner (at most {svc.MAX_PARTNERS}). Admins only (FORBIDDEN otherwise).",
        directives=list_of(svc.MAX_PARTNERS, weight=5),
    )
    async def partners(self, info: Info) -> list[Partner]:
        rows = await svc.visible_partners(info.context.require_viewer())
        return [Partner.from_model(row) for row in rows]
