"""Why a catalogue edit (an admin's, ``app.catalogue.admin``) was refused: the codes of
``CatalogueEditError``."""

from __future__ import annotations

from enum import StrEnum


class CatalogueEditErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_DURATION = "INVALID_DURATION"
    SERVICE_KIND_TAKEN = "SERVICE_KIND_TAKEN"
    SLUG_TAKEN = "SLUG_TAKEN"
