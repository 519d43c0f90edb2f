"""GraphQL types of checkups: results, promo codes, review statistics."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.checkup import promo as promos
from app.core import clock
from models import checkup as m
from models.checkup import DiscountKind
from schema.catalogue.dataloaders import AllMethods, AnyPsychologistById, PsychologistById
from schema.catalogue.types import Method, Psychologist
from schema.common import Money, ServiceKind
from schema.context import Info
from schema.cost import list_of
from schema.relay import Node, to_global_id

PromoCodeState = strawberry.enum(
    promos.PromoState,
    description="ACTIVE until used or expired; USED once a booking took it (a free "
    "cancellation makes it ACTIVE again); EXPIRED after `validUntil`.",
)


@strawberry.type(description="A single-use discount on sessions, issued by a checkup.")
class PromoCode:
    code: str = strawberry.field(description="As typed at booking: XXXXX-XXXXX (any case).")
    discount_percent: int | None = strawberry.field(
        description="Percent off, for a percentage code; null for a fixed amount."
    )
    discount_amount: Money | None = strawberry.field(
        description="Roubles off, for a fixed-amount code; null for a percentage."
    )
    applies_to: ServiceKind = strawberry.field(description="The service kind it discounts.")
    valid_until: datetime
    state: PromoCodeState  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, row: m.PromoCode) -> PromoCode:
        percent = row.discount_kind == DiscountKind.PERCENT
        return cls(
            code=promos.formatted(row.code),
            discount_percent=row.percent if percent else None,
            discount_amount=None if percent else Money.maybe(row.amount, row.currency),
            applies_to=row.applies_to,
            valid_until=row.valid_until,
            state=promos.state(row, clock.now()),
        )


@strawberry.type(description="What a checkup concluded, for the client who had it.")
class CheckupResult(Node):
    recommendations: str
    created_at: datetime
    _row: strawberry.Private[m.CheckupResult]

    @classmethod
    def from_model(cls, row: m.CheckupResult) -> CheckupResult:
        return cls(
            id=to_global_id("CheckupResult", row.id),
            recommendations=row.recommendations,
            created_at=row.created_at,
            _row=row,
        )

    @strawberry.field(description="The psychologist who held the checkup.")
    async def psychologist(self, info: Info) -> Psychologist | None:
        row = await info.context.loaders[AnyPsychologistById].load(self._row.psychologist_id)
        return Psychologist.from_model(row) if row else None

    @strawberry.field(
        description="Methods the psychologist suggests (at most 10).",
        directives=list_of(10),
    )
    async def suggested_methods(self, info: Info) -> list[Method]:
        methods = {m.id: m for m in await info.context.loaders[AllMethods].load("all")}
        ids = self._row.suggested_method_ids
        return [Method.from_model(methods[i]) for i in ids if i in methods]

    @strawberry.field(
        description="Psychologists suggested for sessions (at most 10; those no longer "
        "taking bookings are left out).",
        directives=list_of(10),
    )
    async def suggested_psychologists(self, info: Info) -> list[Psychologist]:
        rows = await info.context.loaders[PsychologistById].load_many(
            self._row.suggested_psychologist_ids
        )
        return [Psychologist.from_model(r) for r in rows if r is not None]

    @strawberry.field(description="The promo code it issued, with its state.")
    async def promo_code(self, info: Info) -> PromoCode | None:
        from schema.checkup.dataloaders import PromoCodeByCheckup

        row = await info.context.loaders[PromoCodeByCheckup].load(self._row.id)
        return PromoCode.from_model(row) if row else None


@strawberry.type(description="Published reviews in numbers (admins).")
class ReviewStats:
    count: int
    positive_share: float | None = strawberry.field(
        description="The share of ratings 4 and 5, 0 to 1; null without reviews."
    )
    average_rating: float | None
    by_rating: list[int] = strawberry.field(description="How many of each rating, 1 to 5.")
