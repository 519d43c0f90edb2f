"""Booking queries: soonest slots across the catalogue, `viewer.bookings`, `node(Booking)`."""

from __future__ import annotations

import strawberry

from app import policy
from app.booking import service as svc
from app.catalogue import service as catalogue
from app.catalogue import soonest
from app.core import clock
from app.core.cursors import CursorCodec
from app.core.errors import BadInput
from app.core.messages import Msg
from models.identity import User
from schema.booking.dataloaders import BookingById
from schema.booking.types import Booking, BookingConnection, psychologist_user_id_for
from schema.catalogue.dataloaders import ServiceById
from schema.catalogue.queries import PsychologistFilter, to_catalogue_filter
from schema.catalogue.types import Slot
from schema.context import Info
from schema.cost import SOONEST_WEIGHT, page
from schema.relay import MAX_PAGE_SIZE, NodeResolver, PageArgs, build_connection

MAX_SOONEST = 50


@strawberry.type
class BookingQuery:
    @strawberry.field(
        description="The earliest free slots across the catalogue, at most one per "
        f"psychologist (of `filter.serviceKind`, else sessions). `first` at most {MAX_SOONEST}.",
        directives=page(MAX_SOONEST, weight=SOONEST_WEIGHT, connection=False),
    )
    async def soonest_slots(
        self,
        info: Info,
        first: int,
        filter: PsychologistFilter | None = None,
    ) -> list[Slot]:
        if first < 0:
            raise BadInput(Msg.NEGATIVE_ARGUMENT(name="first"))
        now = clock.now()
        flt = await catalogue.with_availability(to_catalogue_filter(filter), now)
        found = await soonest.soonest_slots(flt, min(first, MAX_SOONEST), now)
        rows = await info.context.loaders[ServiceById].load_many([s.service_id for s in found])
        return Slot.all_of((s, row) for s, row in zip(found, rows, strict=True) if row is not None)


BOOKING_CURSOR = CursorCodec("B", (int, int, int))


async def viewer_bookings(
    info: Info, user: User, first: int | None, after: str | None
) -> BookingConnection:
    """``viewer.bookings``: upcoming first (soonest first), then the rest (latest first).

    Which bookings are the viewer's is ``app.policy.own_bookings_scope``."""
    page = PageArgs.parse(first, after, default=10)
    cursor = BOOKING_CURSOR.read(page.cursor)
    scope = policy.own_bookings_scope(policy.Actor(user_id=user.id, role=user.role))
    keyed = await svc.page_client_bookings(
        scope, min(page.size, MAX_PAGE_SIZE), cursor, clock.now()
    )
    conn = build_connection(
        keyed,
        page,
        cursor_of=lambda kb: BOOKING_CURSOR.encode(*kb[0]),
        convert=lambda kb: Booking.from_model(kb[1]),
    )
    return BookingConnection(edges=conn.edges, page_info=conn.page_info)


async def _booking_node(info: Info, pk: int) -> Booking | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    row = await info.context.loaders[BookingById].load(pk)
    if row is None:
        return None
    owner_user_id = await psychologist_user_id_for(info, viewer, row)
    return Booking.from_model(row) if policy.can_view_booking(viewer, row, owner_user_id) else None


NODES: dict[str, NodeResolver] = {"Booking": _booking_node}
