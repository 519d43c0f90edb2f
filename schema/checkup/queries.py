"""Checkup queries: ``viewer.checkupResults``, ``node(CheckupResult)`` and the admins'
``reviewStats``."""

from __future__ import annotations

import strawberry

from app import policy
from app.catalogue import reviews
from app.checkup import service as svc
from models.checkup import CheckupResult as CheckupRow
from models.enums import Role
from models.identity import User
from schema.checkup.types import CheckupResult, ReviewStats
from schema.context import Info
from schema.relay import NodeResolver, decode_id

MAX_RESULTS = 20


async def viewer_checkup_results(info: Info, user: User) -> list[CheckupResult]:
    """The signed-in client's own results, newest first (none for staff)."""
    if user.role != Role.CLIENT:
        return []
    return [CheckupResult.from_model(r) for r in await svc.client_results(user.id, MAX_RESULTS)]


async def _result_node(info: Info, pk: int) -> CheckupResult | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    row = await CheckupRow.get_or_none(id=pk)
    if row is None or not policy.can_view_checkup_result(viewer, row):
        return None
    return CheckupResult.from_model(row)


NODES: dict[str, NodeResolver] = {"CheckupResult": _result_node}


@strawberry.type
class CheckupQuery:
    @strawberry.field(
        description="Published reviews in numbers: of one psychologist, or of everyone "
        "without `psychologistId`. Admins only."
    )
    async def review_stats(
        self, info: Info, psychologist_id: strawberry.ID | None = None
    ) -> ReviewStats:
        policy.require_review_stats(info.context.require_viewer())
        pid = None
        if psychologist_id is not None:
            pid = decode_id(psychologist_id, "Psychologist")
            if pid is None:
                return ReviewStats(
                    count=0, positive_share=None, average_rating=None, by_rating=[0] * 5
                )
        stats = await reviews.review_stats(pid)
        return ReviewStats(
            count=stats.count,
            positive_share=stats.positive_share,
            average_rating=stats.average,
            by_rating=[stats.by_rating[r] for r in range(1, 6)],
        )
