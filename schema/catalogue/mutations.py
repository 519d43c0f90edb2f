"""Catalogue mutations of the back office: vetting psychologists (admins only).

Thin: each decodes its input and calls ``app.catalogue.vetting``, whose refusals become
the payload's ``errors`` (``schema.common.mutation``); a caller who is not an admin gets a
top-level FORBIDDEN.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from app.catalogue import vetting
from app.core.errors import Refusal
from schema.catalogue.types import Credential, Psychologist
from schema.catalogue.vetting import ChecklistItem, VettingError
from schema.common import CredentialKind, mutation, payload
from schema.context import Info
from schema.relay import decode_id


def _pk(value: strawberry.ID) -> int | None:
    return decode_id(value, "Psychologist")


@strawberry.input(description="A new psychologist, who starts vetting in APPLIED.")
class CreatePsychologistInput:
    full_name: str = strawberry.field(description="1 to 160 characters.")
    bio: str = strawberry.field(description="At most 4,000 characters.")
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Moscow.")
    practice_since: date = strawberry.field(
        description="First documented practice: not in the future."
    )
    method_ids: list[strawberry.ID] = strawberry.field(description="At most 20 methods.")
    topic_ids: list[strawberry.ID] = strawberry.field(description="At most 20 topics.")


@payload(VettingError, description="The result of createPsychologist.")
class CreatePsychologistPayload:
    psychologist: Psychologist | None = None


@strawberry.input(description="A vetted document of a psychologist.")
class RecordCredentialInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The psychologist vetted.")
    kind: CredentialKind = strawberry.field(
        description="Intervision is recorded month by month with recordIntervision."
    )
    title: str = strawberry.field(description="1 to 255 characters.")
    hours: int = strawberry.field(description="1 to 20,000.")
    method_id: strawberry.ID | None = strawberry.field(
        default=None, description="The method certified: required for METHOD_CERTIFICATE only."
    )
    institution: str | None = strawberry.field(default=None, description="At most 255 characters.")
    year: int | None = strawberry.field(default=None, description="Year issued.")


@payload(VettingError, description="The result of recordCredential.")
class RecordCredentialPayload:
    credential: Credential | None = None
    psychologist: Psychologist | None = strawberry.field(
        default=None, description="With its vetting state after the record."
    )


@strawberry.input(description="A test session judged by an expert panel.")
class RecordTestSessionInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The psychologist vetted.")
    passed: bool = strawberry.field(description="The panel's verdict.")
    panel: list[str] = strawberry.field(
        description="The experts' names: 1 to 10, each 1 to 120 characters."
    )
    held_on: date = strawberry.field(description="Not in the future.")


@payload(VettingError, description="The result of recordTestSession.")
class RecordTestSessionPayload:
    psychologist: Psychologist | None = None


@strawberry.input(description="Names a psychologist.")
class PsychologistIdInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The psychologist vetted.")


def _checklist_of(exc: Refusal) -> dict[str, Any]:
    checks = getattr(exc, "checklist", None)
    return {"checklist": ChecklistItem.all_of(checks)} if checks is not None else {}


@payload(VettingError, description="The result of approvePsychologist or reinstatePsychologist.")
class ApprovePsychologistPayload:
    psychologist: Psychologist | None = None
    checklist: list[ChecklistItem] = strawberry.field(
        default_factory=list,
        description="Every admission rule, met or not, also when approval is refused "
        "(empty only when the psychologist was not found).",
    )

    refusal_fields = staticmethod(_checklist_of)

    @classmethod
    def of(cls, done: vetting.Outcome) -> ApprovePsychologistPayload:
        return cls(
            psychologist=Psychologist.from_model(done.psychologist),
            checklist=ChecklistItem.all_of(done.checklist),
        )


@strawberry.input(description="Suspend or reject a psychologist.")
class PsychologistReasonInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The psychologist vetted.")
    reason: str = strawberry.field(description="1 to 500 characters; admins see it.")


@payload(VettingError, description="The result of suspendPsychologist or rejectPsychologist.")
class PsychologistVettingPayload:
    psychologist: Psychologist | None = None


@strawberry.input(description="Intervision attended in one month.")
class RecordIntervisionInput:
    psychologist_id: strawberry.ID = strawberry.field(description="The psychologist vetted.")
    month: str = strawberry.field(description="YYYY-MM; not in the future.")


@payload(VettingError, description="The result of recordIntervision.")
class RecordIntervisionPayload:
    psychologist: Psychologist | None = None


@strawberry.type
class VettingMutation:
    @mutation(
        description="Admins: adds a psychologist in APPLIED (hidden from clients), with a "
        "unique slug made from the name."
    )
    async def create_psychologist(
        self, info: Info, input: CreatePsychologistInput
    ) -> CreatePsychologistPayload:
        row = await vetting.create_psychologist(
            info.context.require_viewer(),
            full_name=input.full_name,
            bio=input.bio,
            time_zone=input.time_zone,
            practice_since=input.practice_since,
            method_ids=[decode_id(i, "Method") for i in input.method_ids],
            topic_ids=[decode_id(i, "Topic") for i in input.topic_ids],
        )
        return CreatePsychologistPayload(psychologist=Psychologist.from_model(row))

    @mutation(
        description="Admins: records a document; APPLIED becomes DOCUMENTS_VERIFIED once the "
        "document rules (diploma, method certificate, practice, personal therapy) hold."
    )
    async def record_credential(
        self, info: Info, input: RecordCredentialInput
    ) -> RecordCredentialPayload:
        given = input.method_id is not None
        credential, row = await vetting.record_credential(
            info.context.require_viewer(),
            _pk(input.psychologist_id),
            kind=input.kind,
            title=input.title,
            hours=input.hours,
            method_id=decode_id(input.method_id, "Method") if given else None,  # type: ignore[arg-type]
            method_given=given,
            institution=input.institution,
            year=input.year,
        )
        return RecordCredentialPayload(
            credential=Credential.from_model(credential), psychologist=Psychologist.from_model(row)
        )

    @mutation(
        description="Admins: records a test session and its verdict; a passed one moves "
        "DOCUMENTS_VERIFIED to TEST_SESSION_PASSED."
    )
    async def record_test_session(
        self, info: Info, input: RecordTestSessionInput
    ) -> RecordTestSessionPayload:
        row = await vetting.record_test_session(
            info.context.require_viewer(),
            _pk(input.psychologist_id),
            passed=input.passed,
            panel=input.panel,
            held_on=input.held_on,
        )
        return RecordTestSessionPayload(psychologist=Psychologist.from_model(row))

    @mutation(
        description="Admins: checks every admission rule again and approves "
        "(TEST_SESSION_PASSED -> APPROVED: visible to clients). The checklist comes back "
        "either way; an unmet rule refuses with VETTING_INCOMPLETE."
    )
    async def approve_psychologist(
        self, info: Info, input: PsychologistIdInput
    ) -> ApprovePsychologistPayload:
        done = await vetting.approve(info.context.require_viewer(), _pk(input.psychologist_id))
        return ApprovePsychologistPayload.of(done)

    @mutation(
        description="Admins: SUSPENDED -> APPROVED again, only if every admission rule holds "
        "(VETTING_INCOMPLETE with the checklist otherwise)."
    )
    async def reinstate_psychologist(
        self, info: Info, input: PsychologistIdInput
    ) -> ApprovePsychologistPayload:
        done = await vetting.reinstate(info.context.require_viewer(), _pk(input.psychologist_id))
        return ApprovePsychologistPayload.of(done)

    @mutation(
        description="Admins: APPROVED -> SUSPENDED: hidden from clients at once (catalogue, "
        "soonest slots, profile, new bookings); existing bookings stay as they are "
        "(psychologistBookings lists them)."
    )
    async def suspend_psychologist(
        self, info: Info, input: PsychologistReasonInput
    ) -> PsychologistVettingPayload:
        row = await vetting.suspend(
            info.context.require_viewer(), _pk(input.psychologist_id), input.reason
        )
        return PsychologistVettingPayload(psychologist=Psychologist.from_model(row))

    @mutation(description="Admins: rejects a psychologist in any state before approval.")
    async def reject_psychologist(
        self, info: Info, input: PsychologistReasonInput
    ) -> PsychologistVettingPayload:
        row = await vetting.reject(
            info.context.require_viewer(), _pk(input.psychologist_id), input.reason
        )
        return PsychologistVettingPayload(psychologist=Psychologist.from_model(row))

    @mutation(
        description="Admins: records a month's intervision attendance (once per month); a "
        "month without one shows in missedIntervisionMonths."
    )
    async def record_intervision(
        self, info: Info, input: RecordIntervisionInput
    ) -> RecordIntervisionPayload:
        _attendance, row = await vetting.record_intervision(
            info.context.require_viewer(), _pk(input.psychologist_id), input.month
        )
        return RecordIntervisionPayload(psychologist=Psychologist.from_model(row))
