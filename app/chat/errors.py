"""Why a chat action was refused: the stable codes of ``ChatError``."""

from __future__ import annotations

from enum import StrEnum


class ChatErrorCode(StrEnum):
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    INVALID_CLIENT_MESSAGE_ID = "INVALID_CLIENT_MESSAGE_ID"
    RATE_LIMITED = "RATE_LIMITED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_CURSOR = "INVALID_CURSOR"
    ALREADY_ASSIGNED = "ALREADY_ASSIGNED"
