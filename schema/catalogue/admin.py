"""The admins' catalogue mutations: profiles, methods, topics, services and prices.

Thin: IDs are decoded here (one that is not ours reaches the service as ``None`` and
comes back as NOT_FOUND with its field), the rules and the audit row are
``app.catalogue.admin``'s; refusals become the payload's ``errors`` in one place
(``schema.common.mutation``). Other roles get a top-level FORBIDDEN.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import ClassVar

import strawberry

from app.catalogue import admin as svc
from app.catalogue.errors import CatalogueEditErrorCode
from schema.catalogue.types import Method, Psychologist, Service, Topic
from schema.common import ClientType, PayloadError, ServiceKind, mutation, payload
from schema.context import Info
from schema.relay import decode_id

strawberry.enum(
    CatalogueEditErrorCode, description="Why a catalogue edit was refused (stable codes)."
)


@strawberry.type(description="A refused catalogue edit: code, message, input field at fault.")
class CatalogueEditError(PayloadError):
    code_enum: ClassVar[type[Enum]] = CatalogueEditErrorCode
    code: CatalogueEditErrorCode = strawberry.field(description="Stable: branch on this.")
    message: str = strawberry.field(description="For developers; not for end users.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault (camelCase)."
    )


def _ids(values: list[strawberry.ID] | None, type_name: str) -> list[int | None] | None:
    return None if values is None else [decode_id(v, type_name) for v in values]


# --- prices and services ----------------------------------------------------------------


@strawberry.input(description="A service's price from now on (bookings made keep theirs).")
class SetServicePriceInput:
    service_id: strawberry.ID = strawberry.field(description="The `id` of a Service.")
    amount: Decimal = strawberry.field(
        description="0 (free) to 1,000,000 in the service's currency, at most two decimal "
        'places, e.g. "3900.00".'
    )


@payload(CatalogueEditError, description="The result of setServicePrice.")
class SetServicePricePayload:
    service: Service | None = strawberry.field(
        default=None, description="The service with its new price; null when refused."
    )


@strawberry.input(description="A new service of a psychologist: one per kind.")
class CreateServiceInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The `id` of a Psychologist.")
    kind: ServiceKind = strawberry.field(description="A kind the psychologist has no service of.")
    title: str = strawberry.field(description="1 to 160 characters.")
    duration_minutes: int = strawberry.field(description="15 to 240, a multiple of 5.")
    price: Decimal = strawberry.field(description="0 to 1,000,000, at most two decimal places.")


@strawberry.input(description="Change a service; omitted fields stay as they are.")
class UpdateServiceInput:
    service_id: strawberry.ID = strawberry.field(description="The `id` of a Service.")
    title: str | None = strawberry.field(default=None, description="1 to 160 characters.")
    duration_minutes: int | None = strawberry.field(
        default=None, description="15 to 240, a multiple of 5; booked sessions keep their times."
    )
    is_active: bool | None = strawberry.field(
        default=None, description="false withdraws it from booking; true offers it again."
    )


@payload(CatalogueEditError, description="The result of createService / updateService.")
class ServiceEditPayload:
    service: Service | None = strawberry.field(
        default=None, description="The service as saved; null when refused."
    )


# --- psychologists ----------------------------------------------------------------------


@strawberry.input(description="Edit a psychologist's profile; omitted fields stay as they are.")
class UpdatePsychologistInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The `id` of a Psychologist.")
    full_name: str | None = strawberry.field(default=None, description="1 to 160 characters.")
    bio: str | None = strawberry.field(default=None, description="At most 4,000 characters.")
    photo_url: str | None = strawberry.field(
        default=None,
        description='An https:// URL or a path on this service ("/avatars/..."); "" for none.',
    )
    languages: list[str] | None = strawberry.field(
        default=None, description='1 to 10 ISO 639 codes, e.g. ["ru", "en"].'
    )
    client_types: list[ClientType] | None = strawberry.field(
        default=None, description="At least one."
    )
    method_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The methods practised, replacing the current ones (at most 30)."
    )
    topic_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The topics worked with, replacing the current ones (at most 30)."
    )


@payload(CatalogueEditError, description="The result of updatePsychologist.")
class UpdatePsychologistPayload:
    psychologist: Psychologist | None = strawberry.field(
        default=None, description="The profile as saved; null when refused."
    )


# --- methods and topics -----------------------------------------------------------------

SLUG_DOC = "1 to 64 lower-case Latin letters and digits, words joined by hyphens; unique."


@strawberry.input(description="A new therapy method.")
class CreateMethodInput:
    slug: str = strawberry.field(description=SLUG_DOC)
    name: str = strawberry.field(description="1 to 120 characters.")
    description: str = strawberry.field(default="", description="At most 2,000 characters.")
    position: int = strawberry.field(default=0, description="Display order, 0 to 10,000.")


@strawberry.input(description="Change a method; omitted fields stay as they are.")
class UpdateMethodInput:
    method_id: strawberry.ID = strawberry.field(description="The `id` of a Method.")
    slug: str | None = strawberry.field(default=None, description=SLUG_DOC)
    name: str | None = strawberry.field(default=None, description="1 to 120 characters.")
    description: str | None = strawberry.field(
        default=None, description="At most 2,000 characters."
    )
    position: int | None = strawberry.field(default=None, description="Display order, 0 to 10,000.")


@payload(CatalogueEditError, description="The result of createMethod / updateMethod.")
class MethodEditPayload:
    method: Method | None = strawberry.field(
        default=None, description="The method as saved; null when refused."
    )


@strawberry.input(description="A new topic (a client's request).")
class CreateTopicInput:
    slug: str = strawberry.field(description=SLUG_DOC)
    name: str = strawberry.field(description="1 to 120 characters.")
    position: int = strawberry.field(default=0, description="Display order, 0 to 10,000.")


@strawberry.input(description="Change a topic; omitted fields stay as they are.")
class UpdateTopicInput:
    topic_id: strawberry.ID = strawberry.field(description="The `id` of a Topic.")
    slug: str | None = strawberry.field(default=None, description=SLUG_DOC)
    name: str | None = strawberry.field(default=None, description="1 to 120 characters.")
    position: int | None = strawberry.field(default=None, description="Display order, 0 to 10,000.")


@payload(CatalogueEditError, description="The result of createTopic / updateTopic.")
class TopicEditPayload:
    topic: Topic | None = strawberry.field(
        default=None, description="The topic as saved; null when refused."
    )


# --- the mutations ----------------------------------------------------------------------

AUDITED = "Admins only; recorded in the audit log."


@strawberry.type
class CatalogueAdminMutation:
    @mutation(
        description="Sets a service's price for new bookings; bookings made keep the price "
        f"they were made at. The catalogue's price-from and its order follow at once. {AUDITED}"
    )
    async def set_service_price(
        self, info: Info, input: SetServicePriceInput
    ) -> SetServicePricePayload:
        viewer = info.context.require_viewer()
        row = await svc.set_service_price(
            viewer, decode_id(input.service_id, "Service"), input.amount
        )
        return SetServicePricePayload(service=Service.from_model(row))

    @mutation(description=f"Adds a service to a psychologist (one per kind). {AUDITED}")
    async def create_service(self, info: Info, input: CreateServiceInput) -> ServiceEditPayload:
        viewer = info.context.require_viewer()
        row = await svc.create_service(
            viewer,
            decode_id(input.psychologist_id, "Psychologist"),
            input.kind,
            input.title,
            input.duration_minutes,
            input.price,
        )
        return ServiceEditPayload(service=Service.from_model(row))

    @mutation(description=f"Renames, resizes, withdraws or re-offers a service. {AUDITED}")
    async def update_service(self, info: Info, input: UpdateServiceInput) -> ServiceEditPayload:
        viewer = info.context.require_viewer()
        row = await svc.update_service(
            viewer,
            decode_id(input.service_id, "Service"),
            title=input.title,
            duration_minutes=input.duration_minutes,
            is_active=input.is_active,
        )
        return ServiceEditPayload(service=Service.from_model(row))

    @mutation(
        description="Edits a psychologist's profile (not the vetting status). "
        f"Clients see the change at once. {AUDITED}"
    )
    async def update_psychologist(
        self, info: Info, input: UpdatePsychologistInput
    ) -> UpdatePsychologistPayload:
        viewer = info.context.require_viewer()
        changes = svc.ProfileChanges(
            full_name=input.full_name,
            bio=input.bio,
            photo_url=input.photo_url,
            languages=input.languages,
            client_types=input.client_types,
            method_ids=_ids(input.method_ids, "Method"),
            topic_ids=_ids(input.topic_ids, "Topic"),
        )
        row = await svc.update_psychologist(
            viewer, decode_id(input.psychologist_id, "Psychologist"), changes
        )
        return UpdatePsychologistPayload(psychologist=Psychologist.from_model(row))

    @mutation(description=f"Adds a therapy method. {AUDITED}")
    async def create_method(self, info: Info, input: CreateMethodInput) -> MethodEditPayload:
        viewer = info.context.require_viewer()
        row = await svc.create_method(
            viewer, input.slug, input.name, input.description, input.position
        )
        return MethodEditPayload(method=Method.from_model(row))

    @mutation(description=f"Changes a therapy method. {AUDITED}")
    async def update_method(self, info: Info, input: UpdateMethodInput) -> MethodEditPayload:
        viewer = info.context.require_viewer()
        row = await svc.update_method(
            viewer,
            decode_id(input.method_id, "Method"),
            slug=input.slug,
            name=input.name,
            description=input.description,
            position=input.position,
        )
        return MethodEditPayload(method=Method.from_model(row))

    @mutation(description=f"Adds a topic. {AUDITED}")
    async def create_topic(self, info: Info, input: CreateTopicInput) -> TopicEditPayload:
        viewer = info.context.require_viewer()
        row = await svc.create_topic(viewer, input.slug, input.name, input.position)
        return TopicEditPayload(topic=Topic.from_model(row))

    @mutation(description=f"Changes a topic. {AUDITED}")
    async def update_topic(self, info: Info, input: UpdateTopicInput) -> TopicEditPayload:
        viewer = info.context.require_viewer()
        row = await svc.update_topic(
            viewer,
            decode_id(input.topic_id, "Topic"),
            slug=input.slug,
            name=input.name,
            position=input.position,
        )
        return TopicEditPayload(topic=Topic.from_model(row))
