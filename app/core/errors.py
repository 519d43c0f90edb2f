"""Domain exceptions raised by services and translated in one place by the schema.

- ``UserError``: the user's mistake; becomes an entry in the mutation payload's
  ``errors { code message field }``.
- ``AuthError``: missing/invalid credentials (``UNAUTHENTICATED``) or a forbidden
  action (``FORBIDDEN``); becomes a top-level GraphQL error with ``extensions.code``.
- ``BadInput``: malformed arguments of a query (cursor, id, page size); a top-level
  error with ``extensions.code = "BAD_USER_INPUT"``.
"""

from __future__ import annotations


class UserError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class PublicError(Exception):
    """An error whose message is safe to show; carries ``extensions.code``."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class AuthError(PublicError):
    code = "UNAUTHENTICATED"


class Forbidden(PublicError):
    code = "FORBIDDEN"


class BadInput(PublicError):
    code = "BAD_USER_INPUT"
