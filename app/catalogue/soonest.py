"""The catalogue by the next free slot: ``soonestSlots``, ``SOONEST_AVAILABLE`` and
``availableBefore``, all read from the derived next free slots (``app.booking.next_free``,
equal to ``app.booking.availability.rank_by_first_slot``'s computation)."""

from __future__ import annotations

from datetime import datetime

from app.booking import next_free
from app.booking.availability import RankKey, SlotInfo, require_aware
from app.catalogue.filters import CatalogueFilter, filtered
from models.enums import ServiceKind


def _kind(flt: CatalogueFilter) -> ServiceKind:
    return flt.service_kind or ServiceKind.SESSION


async def soonest_slots(flt: CatalogueFilter, first: int, now: datetime) -> list[SlotInfo]:
    """The ``first`` earliest slots across the catalogue, one per psychologist."""
    if first <= 0:
        return []
    ranked = await next_free.ranked(filtered(flt), _kind(flt), now, limit=first)
    return [slot for _, slot in ranked if slot is not None]


async def page_by_soonest(
    flt: CatalogueFilter,
    size: int,
    after: RankKey | None,
    now: datetime,
) -> list[RankKey]:
    """``size + 1`` keys ``(first slot epoch, psychologist id)`` after the cursor."""
    ranked = await next_free.ranked(
        filtered(flt),
        _kind(flt),
        now,
        limit=size + 1,
        after=after,
        everyone=True,
    )
    return [key for key, _ in ranked]


async def available_before_ids(flt: CatalogueFilter, before: datetime, now: datetime) -> list[int]:
    """IDs of the filtered psychologists with a free slot starting before ``before``."""
    if require_aware(before, "availableBefore") <= now:
        return []
    ranked = await next_free.ranked(filtered(flt), _kind(flt), now, limit=None, until=before)
    return sorted(key[1] for key, slot in ranked if slot is not None)
