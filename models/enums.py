"""Closed sets shared by the models and the GraphQL schema."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    CLIENT = "CLIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"
    CARE_AGENT = "CARE_AGENT"
    ADMIN = "ADMIN"


class ClientType(str, Enum):
    ADULT = "ADULT"
    CHILD = "CHILD"
    COUPLE = "COUPLE"
    BUSINESS = "BUSINESS"


class VettingStatus(str, Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


class ServiceKind(str, Enum):
    SESSION = "SESSION"
    COUPLE_SESSION = "COUPLE_SESSION"
    CHILD_SESSION = "CHILD_SESSION"
    CHECKUP = "CHECKUP"


class CredentialKind(str, Enum):
    DIPLOMA = "DIPLOMA"
    METHOD_CERTIFICATE = "METHOD_CERTIFICATE"
    PERSONAL_THERAPY = "PERSONAL_THERAPY"
    SUPERVISION = "SUPERVISION"
    INTERVISION = "INTERVISION"
