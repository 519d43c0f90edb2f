"""GraphQL of vetting (admins): the checklist, the payload error, the back office's lists.

The rules live in ``app.catalogue.vetting``; the mutations are ``schema.catalogue.mutations``.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

import strawberry

from app import policy
from app.booking import service as bookings
from app.catalogue import vetting
from app.catalogue.errors import VettingErrorCode
from app.core import clock
from app.core.cursors import CursorCodec
from app.core.errors import BadInput
from app.core.messages import Msg, Text
from models.catalogue import Psychologist as PsychologistRow
from schema.booking.types import Booking, BookingConnection
from schema.catalogue.types import Psychologist
from schema.common import PayloadError, VettingStatus
from schema.context import Info
from schema.cost import page
from schema.relay import (
    MAX_PAGE_SIZE,
    PAGE_SIZE_DOC,
    Connection,
    PageArgs,
    build_connection,
    decode_id,
)

strawberry.enum(VettingErrorCode, description="Why a vetting operation was refused (stable codes).")
VettingRule = vetting.VettingRule
strawberry.enum(
    VettingRule,
    description="The admission rules: DIPLOMA (one diploma in psychology of at least 1,100 h), "
    "METHOD_CERTIFICATE (one certificate in a method of at least 700 h), PRACTICE_YEARS (at "
    "least 3 full years since practiceSince), TEST_SESSION (a test session passed before an "
    "expert panel), PERSONAL_THERAPY (at least 150 h of personal therapy, summed over the "
    "records).",
)


@strawberry.type(description="A refused vetting operation: code, message, input field at fault.")
class VettingError(PayloadError):
    code_enum: ClassVar[type[Enum]] = VettingErrorCode
    code: VettingErrorCode = strawberry.field(description="Stable: branch on this.")
    message: str = strawberry.field(description="For developers; not for end users.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault (camelCase)."
    )


@strawberry.type(description="One admission rule, judged on the psychologist's record today.")
class ChecklistItem:
    rule: VettingRule = strawberry.field(description="Which admission rule.")
    met: bool = strawberry.field(description="Whether the record meets it today.")
    _detail: strawberry.Private[Text]

    @strawberry.field(description="What the record shows, in the caller's language.")
    def detail(self, info: Info) -> str:
        return self._detail.render(info.context.locale)

    @classmethod
    def all_of(cls, checks: vetting.Checklist) -> list[ChecklistItem]:
        return [cls(rule=c.rule, met=c.met, _detail=c.detail) for c in checks]


PSYCHOLOGIST_CURSOR = CursorCodec("VQ", (int,))
BOOKING_CURSOR = CursorCodec("PB", (int, int, int))


def _admin(info: Info) -> None:
    policy.require_vet_psychologists(info.context.require_viewer())


def _psychologist_pk(value: strawberry.ID) -> int:
    pk = decode_id(value, "Psychologist")
    if pk is None:
        raise BadInput(Msg.WRONG_ID_TYPE(field="psychologistId", type_name="Psychologist"))
    return pk


@strawberry.type
class VettingQuery:
    @strawberry.field(
        description=f"Admins: psychologists in a vetting state, by application (id). "
        f"{PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE),
    )
    async def vetting_queue(
        self,
        info: Info,
        status: VettingStatus,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Psychologist]:
        _admin(info)
        page_args = PageArgs.parse(first, after)
        seek = PSYCHOLOGIST_CURSOR.read(page_args.cursor)
        qs = PsychologistRow.filter(vetting_status=status)
        if seek is not None:
            qs = qs.filter(id__gt=seek[0])
        rows = await qs.order_by("id").limit(page_args.size + 1)
        return build_connection(
            rows,
            page_args,
            cursor_of=lambda r: PSYCHOLOGIST_CURSOR.encode(r.id),
            convert=Psychologist.from_model,
            count=PsychologistRow.filter(vetting_status=status).count,
        )

    @strawberry.field(
        description="Admins: the bookings with one psychologist (whatever their vetting "
        "state, e.g. to decide on a suspension): upcoming first (soonest first), then the "
        f"rest (latest first); `upcomingOnly` leaves out the rest. {PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE),
    )
    async def psychologist_bookings(
        self,
        info: Info,
        psychologist_id: strawberry.ID,
        first: int | None = 20,
        after: str | None = None,
        upcoming_only: bool = False,
    ) -> BookingConnection:
        _admin(info)
        pk = _psychologist_pk(psychologist_id)
        page_args = PageArgs.parse(first, after)
        cursor = BOOKING_CURSOR.read(page_args.cursor)
        keyed = await bookings.page_client_bookings(
            {"psychologist_id": pk}, min(page_args.size, MAX_PAGE_SIZE), cursor, clock.now()
        )
        if upcoming_only:  # upcoming come first: the rest, and only it, is cut off
            keyed = [kb for kb in keyed if kb[0][0] == bookings.UPCOMING]
        conn = build_connection(
            keyed,
            page_args,
            cursor_of=lambda kb: BOOKING_CURSOR.encode(*kb[0]),
            convert=lambda kb: Booking.from_model(kb[1]),
        )
        return BookingConnection(edges=conn.edges, page_info=conn.page_info)
