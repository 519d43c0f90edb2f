"""Catalogue rules: how the list (``app.catalogue.filters``) is ordered and paged.

Paging is keyset (seek) paging over non-null sort keys, so pages never skip or repeat
rows while the data changes underneath; the rating and price keys are denormalised by
``refresh_stats``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Min, Sum

from app.booking.availability import RankKey
from app.catalogue import soonest
from app.catalogue.filters import CatalogueFilter, filtered
from app.core.cursors import CursorCodec
from app.core.messages import Msg
from models.catalogue import Psychologist, Review, Service, search_key
from models.enums import ServiceKind

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


def _seek(spec: OrderSpec, value: int, last_id: int) -> Q:
    """Rows strictly after the cursor ``(sort value, id)`` in (key, id ASC) order."""
    cmp = "lt" if spec.descending else "gt"
    beyond: dict[str, Any] = {f"{spec.key}__{cmp}": value}
    tie: dict[str, Any] = {spec.key: value, "id__gt": last_id}
    return Q(**beyond) | Q(**tie)


async def with_availability(flt: CatalogueFilter, now: datetime) -> CatalogueFilter:
    """Turn ``available_before`` into ``only_ids`` (one batched availability search)."""
    if flt.available_before is None:
        return flt
    unbounded = replace(flt, available_before=None)
    ids = await soonest.available_before_ids(unbounded, flt.available_before, now)
    if flt.only_ids is not None:
        allowed = set(flt.only_ids)
        ids = [i for i in ids if i in allowed]
    return replace(flt, available_before=None, only_ids=ids)


WRONG_CURSOR = Msg.WRONG_ORDER_CURSOR
# One cursor kind per ordering: (sort value, id); SOONEST_AVAILABLE: (slot epoch, id).
CURSORS = {order: CursorCodec(order.value, (int, int), WRONG_CURSOR) for order in PsychologistOrder}


Keyed = tuple[str, Psychologist]  # (cursor, row)


async def page_psychologists(
    flt: CatalogueFilter,
    order: PsychologistOrder,
    size: int,
    after: Any,
    now: datetime,
) -> list[Keyed]:
    """``size + 1`` rows after the cursor (``after``: its decoded payload; the extra row
    tells hasNextPage), each with its cursor.

    One SQL statement for the column orderings. ``SOONEST_AVAILABLE`` instead ranks the
    candidates by their next free slot (a best-first availability search,
    ``app.catalogue.soonest``) and pages by the keyset ``(slot start, id)``.
    """
    codec = CURSORS[order]
    seek = codec.read(after)
    if order is PsychologistOrder.SOONEST_AVAILABLE:
        start: RankKey | None = (seek[0], seek[1]) if seek else None
        keys = await soonest.page_by_soonest(flt, size, start, now)
        found = {p.id: p for p in await Psychologist.filter(id__in=[pid for _, pid in keys])}
        return [(codec.encode(*key), found[key[1]]) for key in keys if key[1] in found]
    spec = ORDER_SPECS[order]
    qs = filtered(flt)
    if seek is not None:
        qs = qs.filter(_seek(spec, *seek))
    direction = "-" if spec.descending else ""
    rows = await qs.order_by(f"{direction}{spec.key}", "id").limit(size + 1)
    return [(codec.encode(getattr(p, spec.key), p.id), p) for p in rows]


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
