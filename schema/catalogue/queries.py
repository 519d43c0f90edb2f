"""Catalogue queries: methods, topics and the psychologist list with filters and ordering."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app import policy
from app.catalogue import service as svc
from app.catalogue.filters import CatalogueFilter
from app.core import clock
from app.core.errors import BadInput
from app.core.messages import Msg
from schema.catalogue.dataloaders import (
    AllMethods,
    AllTopics,
    AnyPsychologistById,
    PsychologistById,
)
from schema.catalogue.types import Method, Psychologist, Topic
from schema.common import ClientType, ServiceKind
from schema.context import Info
from schema.cost import SOONEST_WEIGHT, list_of, page
from schema.relay import (
    MAX_PAGE_SIZE,
    PAGE_SIZE_DOC,
    Connection,
    NodeResolver,
    PageArgs,
    build_connection,
    decode_id,
)

PsychologistOrder = svc.PsychologistOrder
strawberry.enum(
    PsychologistOrder,
    description="How the catalogue is ordered. Ties are broken by a stable internal order.",
)


@strawberry.input(description="Narrows the catalogue; all given conditions must hold.")
class PsychologistFilter:
    method_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Practises any of these methods."
    )
    topic_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Works with any of these topics."
    )
    client_type: ClientType | None = None
    max_price: Decimal | None = strawberry.field(
        default=None,
        description="Has a service (of `serviceKind`, else any but a checkup) at most this price.",
    )
    service_kind: ServiceKind | None = strawberry.field(
        default=None, description="Offers this kind of service."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the name, case-insensitive (at most 100 characters)."
    )
    available_before: datetime | None = strawberry.field(
        default=None,
        description="Has a free slot (of `serviceKind`, else a session) starting before this time.",
    )


def _ids(values: list[strawberry.ID] | None, type_name: str, field: str) -> list[int]:
    out = []
    for value in values or []:
        pk = decode_id(value, type_name)
        if pk is None:
            raise BadInput(Msg.WRONG_ID_TYPE(field=field, type_name=type_name))
        out.append(pk)
    return out


def to_catalogue_filter(flt: PsychologistFilter | None) -> CatalogueFilter:
    if flt is None:
        return CatalogueFilter()
    return CatalogueFilter(
        method_ids=_ids(flt.method_ids, "Method", "methodIds"),
        topic_ids=_ids(flt.topic_ids, "Topic", "topicIds"),
        client_type=flt.client_type,
        max_price=flt.max_price,
        service_kind=flt.service_kind,
        search=flt.search,
        available_before=flt.available_before,
    )


async def _psychologist_node(info: Info, pk: int) -> Psychologist | None:
    """Clients (and anyone but admins) reach approved psychologists only; admins, who vet
    them, any psychologist."""
    viewer = info.context.viewer
    loader = (
        AnyPsychologistById
        if viewer is not None and policy.can_vet_psychologists(viewer)
        else PsychologistById
    )
    row = await info.context.loaders[loader].load(pk)
    return Psychologist.from_model(row) if row else None


NODES: dict[str, NodeResolver] = {"Psychologist": _psychologist_node}


@strawberry.type
class CatalogueQuery:
    @strawberry.field(description="All therapy methods, in display order.", directives=list_of(30))
    async def methods(self, info: Info) -> list[Method]:
        return [Method.from_model(r) for r in await info.context.loaders[AllMethods].load("all")]

    @strawberry.field(
        description="All topics (client requests), in display order.", directives=list_of(30)
    )
    async def topics(self, info: Info) -> list[Topic]:
        return [Topic.from_model(r) for r in await info.context.loaders[AllTopics].load("all")]

    @strawberry.field(
        description=f"The catalogue of vetted psychologists. {PAGE_SIZE_DOC}",
        # Ordered by SOONEST_AVAILABLE or filtered by availableBefore it ranks the whole
        # catalogue by availability (as costly as soonestSlots): priced for that case.
        directives=page(MAX_PAGE_SIZE, weight=SOONEST_WEIGHT),
    )
    async def psychologists(
        self,
        info: Info,
        filter: PsychologistFilter | None = None,  # the GraphQL argument name
        order_by: PsychologistOrder = svc.PsychologistOrder.RATING_DESC,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Psychologist]:
        page = PageArgs.parse(first, after)
        now = clock.now()
        flt = await svc.with_availability(to_catalogue_filter(filter), now)
        rows = await svc.page_psychologists(flt, order_by, page.size, page.cursor, now)
        return build_connection(
            rows,
            page,
            cursor_of=lambda keyed: keyed[0],
            convert=lambda keyed: Psychologist.from_model(keyed[1]),
            count=lambda: svc.count_psychologists(flt),
        )
