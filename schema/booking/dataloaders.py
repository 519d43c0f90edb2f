"""Per-request loaders for slots and bookings.

``NextSlotsByPsychologist`` batches every card of a catalogue page into one availability search:
a constant number of SQL statements whatever the number of cards (see
``app.booking.availability``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from app.booking.availability import SlotInfo, search, slots_in_window
from app.core import clock
from models.booking import Booking
from models.catalogue import Psychologist as PsychologistRow
from models.enums import ServiceKind
from schema.context import Info, Loader
from schema.loader import index_by

MAX_NEXT_SLOTS = 20

NextSlotsKey = tuple[PsychologistRow, ServiceKind, int]  # model rows hash by primary key


class NextSlotsByPsychologist(Loader[NextSlotsKey, list[SlotInfo]]):
    async def load_batch(self, keys: list[NextSlotsKey]) -> list[list[SlotInfo]]:
        now = clock.now()
        groups: dict[ServiceKind, dict[int, str]] = defaultdict(dict)
        most: dict[ServiceKind, int] = defaultdict(int)
        for row, kind, first in keys:
            groups[kind][row.id] = row.timezone
            most[kind] = max(most[kind], first)
        found: dict[ServiceKind, dict[int, list[SlotInfo]]] = {}
        for kind, zones in groups.items():
            found[kind] = await search(list(zones.items()), kind, now, per_psychologist=most[kind])
        return [found[kind].get(row.id, [])[:first] for row, kind, first in keys]


class BookingById(Loader[int, Booking | None]):
    """Unfiltered: callers check visibility (``app.policy.can_view_booking``)."""

    async def load_batch(self, keys: list[int]) -> list[Booking | None]:
        return index_by(await Booking.filter(id__in=keys), keys)


async def next_slots(
    info: Info, row: PsychologistRow, first: int, kind: ServiceKind
) -> list[SlotInfo]:
    first = max(0, min(first, MAX_NEXT_SLOTS))
    if first == 0:
        return []
    return await info.context.loaders[NextSlotsByPsychologist].load((row, kind, first))


async def availability(
    info: Info, row: PsychologistRow, start: datetime, end: datetime, kind: ServiceKind | None
) -> list[SlotInfo]:
    return await slots_in_window(row.id, row.timezone, kind, start, end, clock.now())
