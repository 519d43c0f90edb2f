"""Why a catalogue operation was refused: the codes of ``CatalogueEditError`` (an admin's
edit, ``app.catalogue.admin``) and of ``VettingError`` (``app.catalogue.vetting``)."""

from __future__ import annotations

from enum import StrEnum


class CatalogueEditErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_DURATION = "INVALID_DURATION"
    SERVICE_KIND_TAKEN = "SERVICE_KIND_TAKEN"
    SLUG_TAKEN = "SLUG_TAKEN"


class VettingErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    UNKNOWN_METHOD = "UNKNOWN_METHOD"
    UNKNOWN_TOPIC = "UNKNOWN_TOPIC"
    # approvePsychologist / reinstatePsychologist: a rule of the checklist is not met
    VETTING_INCOMPLETE = "VETTING_INCOMPLETE"
    # the state machine has no such move from the psychologist's state
    VETTING_TRANSITION = "VETTING_TRANSITION"
    INTERVISION_ALREADY_RECORDED = "INTERVISION_ALREADY_RECORDED"
