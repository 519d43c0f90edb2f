"""Why a vetting operation was refused: the stable codes of ``VettingError``."""

from __future__ import annotations

from enum import StrEnum


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
