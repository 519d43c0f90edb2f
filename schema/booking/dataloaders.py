"""Per-request loaders for slots and bookings.

``NextSlotsByPsychologist`` batches every card of a catalogue page into one availability search:
a constant number of SQL statements whatever the number of cards (see
``app.booking.availability``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from app.booking.availability import ServiceLite, SlotInfo, search, slots_in_window
from app.core import clock
from models.booking import Booking
from models.catalogue import Psychologist as PsychologistRow
from models.catalogue import Service as ServiceRow
from models.enums import ServiceKind
from models.identity import User
from schema.catalogue.dataloaders import ServicesByPsychologist
from schema.context import Info, Loader
from schema.loader import index_by

MAX_NEXT_SLOTS = 20

NextSlotsKey = tuple[PsychologistRow, ServiceKind, int]  # model rows hash by primary key
SlotWithService = tuple[SlotInfo, ServiceRow]  # the service as the slot's field shows it


class NextSlotsByPsychologist(Loader[NextSlotsKey, list[SlotWithService]]):
    """The cards' next slots, with their services: the rows come from the request's
    ``ServicesByPsychologist`` (shared with ``Psychologist.services``), so the search loads
    none itself and ``Slot.service`` is a plain field."""

    async def load_batch(self, keys: list[NextSlotsKey]) -> list[list[SlotWithService]]:
        now = clock.now()
        ids = list(dict.fromkeys(row.id for row, _, _ in keys))
        loaded = await self.context.loaders[ServicesByPsychologist].load_many(ids)
        rows = dict(zip(ids, loaded, strict=True))
        groups: dict[ServiceKind, dict[int, str]] = defaultdict(dict)
        most: dict[ServiceKind, int] = defaultdict(int)
        for row, kind, first in keys:
            groups[kind][row.id] = row.timezone
            most[kind] = max(most[kind], first)
        found: dict[ServiceKind, dict[int, list[SlotInfo]]] = {}
        for kind, zones in groups.items():
            services = {
                pid: [ServiceLite.of(r) for r in rows[pid] if r.kind == kind] for pid in zones
            }
            found[kind] = await search(
                list(zones.items()), kind, now, per_psychologist=most[kind], services=services
            )
        by_id = {r.id: r for mine in rows.values() for r in mine}
        return [
            [(s, by_id[s.service_id]) for s in found[kind].get(row.id, [])[:first]]
            for row, kind, first in keys
        ]


class BookingById(Loader[int, Booking | None]):
    """Unfiltered: callers check visibility (``app.policy.can_view_booking``)."""

    async def load_batch(self, keys: list[int]) -> list[Booking | None]:
        return index_by(await Booking.filter(id__in=keys), keys)


class ClientNameById(Loader[int, str | None]):
    """Clients' display names only (``Booking.clientDisplayName``): the phone is not read."""

    async def load_batch(self, keys: list[int]) -> list[str | None]:
        names = dict(await User.filter(id__in=keys).values_list("id", "display_name"))
        return [names.get(k) or None for k in keys]


async def next_slots(
    info: Info, row: PsychologistRow, first: int, kind: ServiceKind
) -> list[SlotWithService]:
    first = max(0, min(first, MAX_NEXT_SLOTS))
    if first == 0:
        return []
    return await info.context.loaders[NextSlotsByPsychologist].load((row, kind, first))


async def availability(
    info: Info, row: PsychologistRow, start: datetime, end: datetime, kind: ServiceKind | None
) -> list[SlotWithService]:
    """A profile's free slots; its services from the request's loader (``services`` of the
    same profile reads the same rows)."""
    mine = [
        r
        for r in await info.context.loaders[ServicesByPsychologist].load(row.id)
        if kind is None or r.kind == kind
    ]
    lite = [ServiceLite.of(r) for r in mine]
    slots = await slots_in_window(row.id, row.timezone, kind, start, end, clock.now(), lite)
    by_id = {r.id: r for r in mine}
    return [(s, by_id[s.service_id]) for s in slots]
