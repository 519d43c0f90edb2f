"""GraphQL types of booking: slots, bookings, video calls, payload errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import ClassVar

import strawberry

from app import policy
from app.booking import calendar_link, video
from app.booking.errors import BookingErrorCode
from app.core import clock
from app.identity.viewer import Viewer
from models import booking as m
from schema.catalogue.dataloaders import AnyPsychologistById, ServiceById
from schema.catalogue.types import Psychologist, Service
from schema.common import Money, PayloadError
from schema.context import Info
from schema.relay import Connection, Node, to_global_id

BookingStatus = strawberry.enum(
    m.BookingStatus,
    description="Where a booking is in its life: CONFIRMED until it happens, then COMPLETED "
    "or NO_SHOW; CANCELLED (free) or LATE_CANCELLED; RESCHEDULED when moved (superseded).",
)
strawberry.enum(BookingErrorCode, description="Why a booking operation was refused (stable codes).")


@strawberry.type(description="The in-app video session of a booking.")
class VideoCall:
    available_from: datetime = strawberry.field(
        description="From when the room can be joined: 10 minutes before the start."
    )
    join_url: str | None = strawberry.field(
        description="Signed, expiring link into the video room; null before `availableFrom`, "
        "after the end, and for bookings that will not take place."
    )


async def psychologist_user_id_for(info: Info, viewer: Viewer, row: m.Booking) -> int | None:
    """The user behind the booking's psychologist, as ``app.policy`` rules need it;
    not loaded (None) when the viewer is the booking's client."""
    if policy.is_booking_client(viewer, row):
        return None
    p = await info.context.loaders[AnyPsychologistById].load(row.psychologist_id)
    return p.user_id if p is not None else None  # type: ignore[attr-defined]


@strawberry.type(description="A client's reservation of a slot.")
class Booking(Node):
    status: BookingStatus  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    price: Money = strawberry.field(description="The price agreed when booking.")
    cancel_reason: str | None
    created_at: datetime
    _row: strawberry.Private[m.Booking]

    @classmethod
    def from_model(cls, row: m.Booking) -> Booking:
        return cls(
            id=to_global_id("Booking", row.id),
            status=row.status,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            price=Money.of(row.price, row.currency),
            cancel_reason=row.cancel_reason,
            created_at=row.created_at,
            _row=row,
        )

    @strawberry.field(description="The psychologist (also after they stop taking bookings).")
    async def psychologist(self, info: Info) -> Psychologist | None:
        row = await info.context.loaders[AnyPsychologistById].load(self._row.psychologist_id)
        return Psychologist.from_model(row) if row else None

    @strawberry.field(description="The booked service.")
    async def service(self, info: Info) -> Service | None:
        row = await info.context.loaders[ServiceById].load(self._row.service_id)
        return Service.from_model(row) if row else None

    @strawberry.field(description="The booking this one was moved from, if it was rescheduled.")
    async def rescheduled_from(self, info: Info) -> Booking | None:
        from schema.booking.dataloaders import BookingById

        pk = self._row.rescheduled_from_id
        if pk is None:
            return None
        row = await info.context.loaders[BookingById].load(pk)
        return Booking.from_model(row) if row else None

    @strawberry.field(
        description="The client's display name (never the phone number): for the booking's "
        "psychologist and admins; null for anyone else."
    )
    async def client_display_name(self, info: Info) -> str | None:
        from schema.booking.dataloaders import ClientNameById

        viewer = info.context.viewer
        if viewer is None:
            return None
        psychologist_user_id = await psychologist_user_id_for(info, viewer, self._row)
        if not policy.can_see_client_name(viewer, psychologist_user_id):
            return None
        return await info.context.loaders[ClientNameById].load(self._row.client_id)

    @strawberry.field(description="The video room; the join link appears 10 minutes early.")
    async def video_call(self, info: Info) -> VideoCall:
        row = self._row
        now = clock.now()
        url = None
        viewer = info.context.viewer
        if row.status == m.BookingStatus.CONFIRMED and viewer is not None:
            psychologist_user_id = await psychologist_user_id_for(info, viewer, row)
            party = policy.booking_party(viewer, row, psychologist_user_id)
            if policy.can_see_video_link(viewer, row, psychologist_user_id):
                url = video.join_url(
                    info.context.settings,
                    room=row.video_room,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    participant=video.Participant(
                        user_id=to_global_id("User", viewer.user_id),
                        # A neutral name: the room shows it to the other side.
                        name="Client" if party == policy.BookingParty.CLIENT else "Psychologist",
                        moderator=policy.is_video_moderator(party),
                    ),
                    now=now,
                )
        return VideoCall(available_from=video.available_from(row.starts_at), join_url=url)

    @strawberry.field(
        description="Absolute link to this booking as an iCalendar file (.ics) to add it to "
        "the phone's calendar. The link is secret (anyone who has it can download the "
        "file; keep it out of logs and analytics) and carries no personal data; the event "
        "has a neutral title and the psychologist's time zone. It stays the same when the "
        "booking is rescheduled (the file then holds the new time, with a higher SEQUENCE) "
        "and after cancellation the file cancels the event (METHOD:CANCEL)."
    )
    def calendar_url(self, info: Info) -> str | None:
        # Whoever sees this Booking may see its link: the type is only built for them.
        token = self._row.calendar_token
        if token is None:
            return None
        return info.context.absolute_url(calendar_link.calendar_path(token))


@strawberry.type(description="A refused booking operation: code, message, input field at fault.")
class BookingError(PayloadError):
    code_enum: ClassVar[type[Enum]] = BookingErrorCode
    code: BookingErrorCode
    message: str = strawberry.field(description="For developers; not for end users.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault (camelCase)."
    )


@strawberry.type(
    description="A page of bookings: upcoming first (soonest first), then past (latest first)."
)
class BookingConnection(Connection[Booking]):
    pass
