"""Why a sign-in, refresh or sign-out was refused: the stable codes of ``IdentityError``."""

# ruff: noqa: S105  (codes, not passwords)

from __future__ import annotations

from enum import StrEnum


class IdentityErrorCode(StrEnum):
    # signInWithPartner
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_TOO_LARGE = "TOKEN_TOO_LARGE"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_NOT_YET_VALID = "TOKEN_NOT_YET_VALID"
    TOKEN_LIFETIME_TOO_LONG = "TOKEN_LIFETIME_TOO_LONG"
    TOKEN_REPLAYED = "TOKEN_REPLAYED"
    INVALID_PHONE = "INVALID_PHONE"
    # refreshSession / signOut
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    # signInStaff
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
