"""Catalogue rules: who is visible, how the list is filtered, ordered and paged.

Only ``APPROVED`` psychologists are ever visible to clients. Paging is keyset
(seek) paging over non-null sort keys, so pages never skip or repeat rows while
the data changes underneath.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Min, Sum
from tortoise.queryset import QuerySet

from app.errors import BadInput
from models.catalogue import Psychologist, Review, Service, search_key
from models.enums import ClientType, ServiceKind, VettingStatus

MAX_SEARCH_LENGTH = 100
NO_PRICE_SORT = 9_999_999_999  # kopecks: psychologists without a price sort last


class PsychologistOrder(Enum):
    RATING_DESC = "RATING_DESC"
    PRICE_ASC = "PRICE_ASC"
    EXPERIENCE_DESC = "EXPERIENCE_DESC"
    # By the next free session slot (computed by app.booking.availability, paged in memory).
    SOONEST_AVAILABLE = "SOONEST_AVAILABLE"


@dataclass(frozen=True)
class OrderSpec:
    key: str  # an integer column, never null
    descending: bool


ORDER_SPECS: dict[PsychologistOrder, OrderSpec] = {
    PsychologistOrder.RATING_DESC: OrderSpec("sort_rating", descending=True),
    PsychologistOrder.PRICE_ASC: OrderSpec("sort_price", descending=False),
    PsychologistOrder.EXPERIENCE_DESC: OrderSpec("practice_since", descending=False),
}


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
            raise BadInput("`maxPrice` must not be negative.")
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
            raise BadInput(f"`search` is at most {MAX_SEARCH_LENGTH} characters.")
        if term:
            qs = qs.filter(search_name__contains=search_key(term))
    if flt.only_ids is not None:
        qs = qs.filter(id__in=flt.only_ids)
    return qs


def _seek(spec: OrderSpec, cursor: Any) -> Q:
    """Rows strictly after ``cursor = [sort value, id]`` in (key, id ASC) order."""
    try:
        value, last_id = cursor
        last_id = int(last_id)
        value = int(value)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise BadInput("Invalid cursor: use a cursor returned by this connection.") from exc
    cmp = "lt" if spec.descending else "gt"
    beyond: dict[str, Any] = {f"{spec.key}__{cmp}": value}
    tie: dict[str, Any] = {spec.key: value, "id__gt": last_id}
    return Q(**beyond) | Q(**tie)


async def with_availability(flt: CatalogueFilter) -> CatalogueFilter:
    """Turn ``available_before`` into ``only_ids`` (one batched availability search)."""
    if flt.available_before is None:
        return flt
    from app.booking.availability import available_before_ids

    now = datetime.now(UTC)
    ids = await available_before_ids(replace(flt, available_before=None), flt.available_before, now)
    if flt.only_ids is not None:
        allowed = set(flt.only_ids)
        ids = [i for i in ids if i in allowed]
    return replace(flt, available_before=None, only_ids=ids)


def _soonest_cursor(after: Any) -> tuple[int, int] | None:
    if after is None:
        return None
    try:
        name, epoch, last_id = after
        if name != PsychologistOrder.SOONEST_AVAILABLE.value:
            raise ValueError(name)
        return (int(epoch), int(last_id))
    except (TypeError, ValueError) as exc:
        raise BadInput("Invalid cursor: it belongs to another ordering or list.") from exc


async def page_psychologists(
    flt: CatalogueFilter, order: PsychologistOrder, size: int, after: Any
) -> list[Psychologist]:
    """One SQL statement: ``size + 1`` rows after the cursor (the extra one tells hasNextPage).

    ``SOONEST_AVAILABLE`` instead ranks the candidates by their next free slot (a best-first
    availability search, ``app.booking.availability.rank_by_first_slot``) and pages by
    the keyset ``(slot start, id)``.
    """
    if order is PsychologistOrder.SOONEST_AVAILABLE:
        from app.booking.availability import page_by_soonest

        keyed = await page_by_soonest(flt, size, _soonest_cursor(after), datetime.now(UTC))
        found = {p.id: p for p in await Psychologist.filter(id__in=[pid for _, pid in keyed])}
        rows = []
        for key, pid in keyed:
            if pid in found:
                found[pid].soonest_key = key  # read by cursor_for
                rows.append(found[pid])
        return rows
    spec = ORDER_SPECS[order]
    qs = filtered(flt)
    if after is not None:
        if not isinstance(after, list) or len(after) != 3 or after[0] != order.value:
            raise BadInput("Invalid cursor: it belongs to another ordering or list.")
        qs = qs.filter(_seek(spec, after[1:]))
    direction = "-" if spec.descending else ""
    return await qs.order_by(f"{direction}{spec.key}", "id").limit(size + 1)


def cursor_for(order: PsychologistOrder, p: Psychologist) -> list[Any]:
    if order is PsychologistOrder.SOONEST_AVAILABLE:
        return [order.value, *p.soonest_key]  # type: ignore[attr-defined]
    spec = ORDER_SPECS[order]
    return [order.value, getattr(p, spec.key), p.id]


async def count_psychologists(flt: CatalogueFilter) -> int:
    return await filtered(flt).count()


async def refresh_stats(psychologist_ids: list[int] | None = None) -> None:
    """Recompute the denormalised rating, review count and price-from of psychologists."""
    ps = Psychologist.all()
    if psychologist_ids is not None:
        ps = ps.filter(id__in=psychologist_ids)
    people = {
        r["id"]: r
        for r in await ps.values(
            "id", "full_name", "search_name", "rating_avg", "review_count", "price_from"
        )
    }
    ids = list(people)
    ratings = {
        r["psychologist_id"]: r
        for r in await Review.filter(psychologist_id__in=ids, is_published=True)
        .group_by("psychologist_id")
        # Sum / count, not Avg: Tortoise casts Avg to the column's type (an integer).
        .annotate(total=Sum("rating"), n=Count("id"))
        .values("psychologist_id", "total", "n")
    }
    prices = {
        r["psychologist_id"]: r["low"]
        for r in await Service.filter(psychologist_id__in=ids, is_active=True)
        .exclude(kind=ServiceKind.CHECKUP)
        .group_by("psychologist_id")
        .annotate(low=Min("price"))
        .values("psychologist_id", "low")
    }
    for pid in ids:
        rating = ratings.get(pid)
        avg = (
            (Decimal(rating["total"]) / rating["n"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if rating and rating["n"]
            else None
        )
        price = prices.get(pid)
        price = Decimal(price).quantize(Decimal("0.01")) if price is not None else None
        current = people[pid]
        values = {
            "rating_avg": avg,
            "review_count": rating["n"] if rating else 0,
            "price_from": price,
            "search_name": search_key(current["full_name"]),
        }
        if all(_same(current[k], v) for k, v in values.items()):
            continue  # unchanged: no write (re-running the seed is cheap)
        await Psychologist.filter(id=pid).update(
            **values,
            sort_rating=int(avg * 100) if avg is not None else 0,
            sort_price=int(price * 100) if price is not None else NO_PRICE_SORT,
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (Decimal, float, int)) and isinstance(b, Decimal):
        return Decimal(str(a)) == b
    return bool(a == b)
