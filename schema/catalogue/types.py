"""GraphQL types of the catalogue: psychologists, methods, topics, services, reviews."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry

from app import policy
from app.booking.availability import SlotInfo
from app.booking.service import SlotRef
from app.core import clock
from app.core.cursors import CursorCodec
from models import catalogue as m
from schema.booking.dataloaders import MAX_NEXT_SLOTS, availability, next_slots
from schema.catalogue.dataloaders import (
    AnyPsychologistById,
    CredentialsByPsychologist,
    MethodsByPsychologist,
    MissedIntervisionByPsychologist,
    ReviewPageByPsychologist,
    ServicesByPsychologist,
    TopicsByPsychologist,
)
from schema.common import ClientType, CredentialKind, Money, ServiceKind, VettingStatus
from schema.context import Info
from schema.cost import list_of, page
from schema.relay import (
    MAX_PAGE_SIZE,
    MAX_PK,
    PAGE_SIZE_DOC,
    Connection,
    Node,
    PageArgs,
    build_connection,
    parse_global_id,
    to_global_id,
)

CURRENT_YEAR_FIELD = "experienceYears counts whole years since the first documented practice."


@strawberry.type(description="A therapy school, e.g. CBT, gestalt, psychoanalysis.")
class Method(Node):
    name: str
    description: str
    slug: str

    @classmethod
    def from_model(cls, row: m.Method) -> Method:
        return cls(
            id=to_global_id("Method", row.id),
            name=row.name,
            description=row.description,
            slug=row.slug,
        )


@strawberry.type(description="A client's request a psychologist works with: anxiety, burnout...")
class Topic(Node):
    name: str
    slug: str

    @classmethod
    def from_model(cls, row: m.Topic) -> Topic:
        return cls(id=to_global_id("Topic", row.id), name=row.name, slug=row.slug)


@strawberry.type(description="A vetted document: diploma, method certificate, therapy hours...")
class Credential:
    kind: CredentialKind
    title: str
    institution: str
    hours: int | None
    year: int | None
    _row: strawberry.Private[m.Credential]

    @classmethod
    def from_model(cls, row: m.Credential) -> Credential:
        return cls(
            kind=row.kind,
            title=row.title,
            institution=row.institution,
            hours=row.hours,
            year=row.year,
            _row=row,
        )


@strawberry.type(description="What can be booked with a psychologist.")
class Service(Node):
    kind: ServiceKind
    title: str
    duration_minutes: int
    price: Money
    is_active: bool = strawberry.field(
        description="False once withdrawn: not bookable (lists show active services only)."
    )
    _row: strawberry.Private[m.Service]

    @classmethod
    def from_model(cls, row: m.Service) -> Service:
        return cls(
            id=to_global_id("Service", row.id),
            kind=row.kind,
            title=row.title,
            duration_minutes=row.duration_minutes,
            price=Money.of(row.price, row.currency),
            is_active=row.is_active,
            _row=row,
        )


@strawberry.type(description="An anonymous review left after a completed session.")
class Review(Node):
    rating: int = strawberry.field(description="1 to 5.")
    text: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: m.Review) -> Review:
        return cls(
            id=to_global_id("Review", row.id),
            rating=row.rating,
            text=row.text,
            created_at=row.created_at,
        )


@strawberry.type(
    description="A psychologist: clients only ever see approved ones; admins, who vet them, "
    "see any (node, the vetting mutations and lists)."
)
class Psychologist(Node):
    full_name: str
    stored_photo_url: strawberry.Private[str]
    bio: str
    experience_years: int = strawberry.field(description=CURRENT_YEAR_FIELD)
    rating: float | None = strawberry.field(description="Average review rating, 1-5; null if none.")
    review_count: int
    client_types: list[ClientType]
    languages: list[str]
    timezone: str = strawberry.field(description="IANA time zone the psychologist works in.")
    price_from: Money | None = strawberry.field(
        description="The cheapest active session (checkups excluded); null without services."
    )
    _row: strawberry.Private[m.Psychologist]

    @classmethod
    def from_model(cls, row: m.Psychologist) -> Psychologist:
        return cls(
            id=to_global_id("Psychologist", row.id),
            full_name=row.full_name,
            stored_photo_url=row.photo_url,
            bio=row.bio,
            experience_years=max(0, clock.now().year - row.practice_since),
            rating=float(row.rating_avg) if row.rating_avg is not None else None,
            review_count=row.review_count,
            client_types=row.client_types,
            languages=list(row.languages or []),
            timezone=row.timezone,
            price_from=Money.maybe(row.price_from, row.price_currency),
            _row=row,
        )

    @strawberry.field(
        description="Absolute URL of the photo (our own placeholder avatars are served "
        "by this service under /avatars/)."
    )
    def photo_url(self, info: Info) -> str:
        url = self.stored_photo_url
        if not url.startswith("/"):
            return url
        return info.context.absolute_url(url)

    @strawberry.field(description="The date of the first documented practice.")
    def practice_since(self) -> date | None:
        return self._row.practice_started_on

    @strawberry.field(
        description="Where the psychologist is in vetting. Admins only: null for everyone "
        "else (clients only ever see APPROVED psychologists)."
    )
    def vetting_status(self, info: Info) -> VettingStatus | None:
        viewer = info.context.viewer
        if viewer is None or not policy.can_vet_psychologists(viewer):
            return None
        return VettingStatus(self._row.vetting_status)

    @strawberry.field(
        description="The reason given for the last suspension or rejection. Admins only: "
        "null for everyone else."
    )
    def vetting_note(self, info: Info) -> str | None:
        viewer = info.context.viewer
        if viewer is None or not policy.can_vet_psychologists(viewer):
            return None
        return self._row.vetting_note

    @strawberry.field(
        description="Months (YYYY-MM, oldest first) wholly after the approval and over, in "
        "the last 12, without recorded intervision: an approved psychologist attends "
        "monthly. Admins only: null for everyone else; empty before approval.",
        directives=list_of(12),
    )
    async def missed_intervision_months(self, info: Info) -> list[str] | None:
        viewer = info.context.viewer
        if viewer is None or not policy.can_vet_psychologists(viewer):
            return None
        return await info.context.loaders[MissedIntervisionByPsychologist].load(self._row.id)

    @strawberry.field(description="Therapy schools the psychologist practises.")
    async def methods(self, info: Info) -> list[Method]:
        rows = await info.context.loaders[MethodsByPsychologist].load(self._row.id)
        return [Method.from_model(r) for r in rows]

    @strawberry.field(description="Requests the psychologist works with.")
    async def topics(self, info: Info) -> list[Topic]:
        rows = await info.context.loaders[TopicsByPsychologist].load(self._row.id)
        return [Topic.from_model(r) for r in rows]

    @strawberry.field(description="Vetted documents, oldest first.")
    async def credentials(self, info: Info) -> list[Credential]:
        rows = await info.context.loaders[CredentialsByPsychologist].load(self._row.id)
        return [Credential.from_model(r) for r in rows]

    @strawberry.field(description="Active services, cheapest first.")
    async def services(self, info: Info) -> list[Service]:
        rows = await info.context.loaders[ServicesByPsychologist].load(self._row.id)
        return [Service.from_model(r) for r in rows]

    @strawberry.field(
        description=f"Published reviews, newest first. {PAGE_SIZE_DOC}",
        directives=page(MAX_PAGE_SIZE, weight=2),
    )
    async def reviews(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Connection[Review]:
        page = PageArgs.parse(first, after, default=10)
        seek = REVIEW_CURSOR.read(page.cursor)
        after_id = seek[0] if seek else None
        rows = await info.context.loaders[ReviewPageByPsychologist].load(
            (self._row.id, page.size + 1, after_id)
        )
        return build_connection(
            rows,
            page,
            cursor_of=lambda r: REVIEW_CURSOR.encode(r.id),
            convert=Review.from_model,
            count=self._review_count,
        )

    async def _review_count(self) -> int:
        return self._row.review_count

    @strawberry.field(
        description="The next bookable slots (at most 20), soonest first.",
        directives=page(MAX_NEXT_SLOTS, weight=2, connection=False),
    )
    async def next_slots(
        self, info: Info, first: int = 3, service_kind: ServiceKind = ServiceKind.SESSION
    ) -> list[Slot]:
        return Slot.all_of(await next_slots(info, self._row, first, service_kind))

    @strawberry.field(
        description="Free slots starting in [from, to) (at most 31 days), soonest first; "
        "all active services unless `serviceKind` is given.",
        directives=list_of(300, weight=20),
    )
    async def availability(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        service_kind: ServiceKind | None = None,
    ) -> list[Slot]:
        return Slot.all_of(await availability(info, self._row, from_, to, service_kind))


REVIEW_CURSOR = CursorCodec("R", (int,))


MAX_EPOCH = 10**11


def slot_id(psychologist_id: int, service_id: int, starts_at: datetime) -> strawberry.ID:
    """Opaque and self-describing: ``Slot:<psychologist>:<service>:<start epoch>``."""
    return to_global_id("Slot", f"{psychologist_id}:{service_id}:{int(starts_at.timestamp())}")


def parse_slot_id(value: str) -> SlotRef | None:
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != "Slot":
        return None
    parts = parsed[1].split(":")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 12 for p in parts):
        return None
    pid, sid, epoch = (int(p) for p in parts)
    if epoch >= MAX_EPOCH or pid > MAX_PK or sid > MAX_PK:
        return None
    return SlotRef(pid, sid, datetime.fromtimestamp(epoch, UTC))


@strawberry.type(
    description="A bookable start time of one psychologist's service. Computed, not stored: "
    "pass its `id` to `bookSlot`; the server re-checks it then."
)
class Slot:
    id: strawberry.ID = strawberry.field(description="Opaque; all `bookSlot` needs.")
    starts_at: datetime
    ends_at: datetime
    # Loaded with the slot; a plain field (no resolver call per slot: a profile has ~700).
    service: Service = strawberry.field(description="What is booked: kind, duration and price.")
    _info: strawberry.Private[SlotInfo]

    @classmethod
    def all_of(cls, found: Iterable[tuple[SlotInfo, m.Service]]) -> list[Slot]:
        """The slots, sharing one ``Service`` object per service row."""
        services: dict[int, Service] = {}
        out = []
        for info, row in found:
            service = services.get(row.id)
            if service is None:
                service = services[row.id] = Service.from_model(row)
            out.append(
                cls(
                    id=slot_id(info.psychologist_id, info.service_id, info.starts_at),
                    starts_at=info.starts_at,
                    ends_at=info.ends_at,
                    service=service,
                    _info=info,
                )
            )
        return out

    @strawberry.field(description="Whom the slot is with.")
    async def psychologist(self, info: Info) -> Psychologist:
        row = await info.context.loaders[AnyPsychologistById].load(self._info.psychologist_id)
        assert row is not None  # slots are computed from existing psychologists
        return Psychologist.from_model(row)
