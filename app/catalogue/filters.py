"""Which psychologists a catalogue request may list: visibility and the filters.

Only ``APPROVED`` psychologists are ever visible to clients. ``filtered`` is one
query set; availability and the orderings build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from app.core.errors import BadInput
from app.core.messages import Msg
from models.catalogue import Psychologist, Service, search_key
from models.enums import ClientType, ServiceKind, VettingStatus

MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True)
class CatalogueFilter:
    method_ids: list[int] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    client_type: ClientType | None = None
    max_price: Decimal | None = None
    service_kind: ServiceKind | None = None
    search: str | None = None
    only_ids: list[int] | None = None  # set by other filters (e.g. availability)
    available_before: datetime | None = None  # resolved into only_ids by with_availability


def visible_psychologists() -> QuerySet[Psychologist]:
    return Psychologist.filter(vetting_status=VettingStatus.APPROVED)


def filtered(flt: CatalogueFilter) -> QuerySet[Psychologist]:
    qs = visible_psychologists()
    if flt.method_ids:
        qs = qs.filter(
            id__in=Subquery(Psychologist.filter(methods__id__in=flt.method_ids).values("id"))
        )
    if flt.topic_ids:
        qs = qs.filter(
            id__in=Subquery(Psychologist.filter(topics__id__in=flt.topic_ids).values("id"))
        )
    if flt.client_type is not None:
        qs = qs.filter(client_types_csv__contains=f",{flt.client_type.value},")
    if flt.service_kind is not None or flt.max_price is not None:
        if flt.max_price is not None and flt.max_price < 0:
            raise BadInput(Msg.NEGATIVE_PRICE)
        services = Service.filter(is_active=True)
        if flt.service_kind is not None:
            services = services.filter(kind=flt.service_kind)
        else:
            services = services.exclude(kind=ServiceKind.CHECKUP)
        if flt.max_price is not None:
            services = services.filter(price__lte=flt.max_price)
        qs = qs.filter(id__in=Subquery(services.values("psychologist_id")))
    if flt.search:
        term = flt.search.strip()
        if len(term) > MAX_SEARCH_LENGTH:
            raise BadInput(Msg.SEARCH_TOO_LONG(limit=MAX_SEARCH_LENGTH))
        if term:
            qs = qs.filter(search_name__contains=search_key(term))
    if flt.only_ids is not None:
        qs = qs.filter(id__in=flt.only_ids)
    return qs
