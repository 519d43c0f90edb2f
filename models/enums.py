"""Closed sets shared by the models and the GraphQL schema."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLIENT = "CLIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"
    CARE_AGENT = "CARE_AGENT"
    ADMIN = "ADMIN"


class ClientType(StrEnum):
    ADULT = "ADULT"
    CHILD = "CHILD"
    COUPLE = "COUPLE"
    BUSINESS = "BUSINESS"


class VettingStatus(StrEnum):
    """Vetting states (``app.catalogue.vetting`` holds the transitions): the record moves a
    psychologist APPLIED -> DOCUMENTS_VERIFIED -> TEST_SESSION_PASSED, an admin approves."""

    APPLIED = "APPLIED"
    DOCUMENTS_VERIFIED = "DOCUMENTS_VERIFIED"
    TEST_SESSION_PASSED = "TEST_SESSION_PASSED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


class ServiceKind(StrEnum):
    SESSION = "SESSION"
    COUPLE_SESSION = "COUPLE_SESSION"
    CHILD_SESSION = "CHILD_SESSION"
    CHECKUP = "CHECKUP"


class CredentialKind(StrEnum):
    DIPLOMA = "DIPLOMA"
    METHOD_CERTIFICATE = "METHOD_CERTIFICATE"
    PERSONAL_THERAPY = "PERSONAL_THERAPY"
    SUPERVISION = "SUPERVISION"
    INTERVISION = "INTERVISION"
