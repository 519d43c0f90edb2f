"""Domain exceptions raised by services and translated in one place by the schema.

- ``Refused``: the user's mistake; becomes an entry in the mutation payload's
  ``errors { code message field }``. Its ``code`` is a member of the domain's error
  enum (``BookingErrorCode.SLOT_UNAVAILABLE``): a bare string is a ``TypeError`` at the
  raise site, so a misspelt code cannot reach a client as an internal error.
- ``NotVisible``: the object does not exist *for this caller* (``app.policy``); each
  payload reports it with its own domain's ``NOT_FOUND``.
- ``AuthError``: missing/invalid credentials (``UNAUTHENTICATED``), ``Forbidden``: an
  action the caller's role may not take; ``BadInput``: malformed query arguments
  (cursor, id, page size). These become top-level GraphQL errors with
  ``extensions.code`` (a ``TopLevelCode``).
"""

from __future__ import annotations

import asyncio
import math
from enum import Enum, StrEnum

from graphql import GraphQLError

from app.core.messages import Locale, Message, Msg, Text, for_code, text_of


class Refusal(Exception):
    """Base of payload errors: a catalogue message (``app.core.messages``) and the input
    field at fault. ``message`` is its English text, for logs; clients get ``render``."""

    def __init__(self, message: Message, field: str | None = None) -> None:
        self.text: Text = text_of(message)
        self.message = str(self.text)
        super().__init__(self.message)
        self.field = field

    def render(self, locale: Locale) -> str:
        return self.text.render(locale)


class Refused(Refusal):
    """A payload error with its code; the message defaults to the code's own."""

    def __init__(
        self, code: Enum, message: Message | None = None, field: str | None = None
    ) -> None:
        if not isinstance(code, Enum):
            raise TypeError(f"error codes are enum members, not {type(code).__name__}: {code!r}")
        super().__init__(message if message is not None else for_code(code), field)
        self.code = code


class NotVisible(Refusal):
    """No such object for this caller: mapped to the payload domain's ``NOT_FOUND``."""


class TopLevelCode(StrEnum):
    """``extensions.code`` of top-level errors."""

    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"  # graphql-core's own code
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"  # over the cost budget (schema.cost)
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"  # too many selections or repeats (schema.cost)
    TIMEOUT = "TIMEOUT"  # the operation ran past OPERATION_TIMEOUT_SECONDS
    RATE_LIMITED = "RATE_LIMITED"  # too many attempts: extensions.retryAfter (seconds)
    UNAVAILABLE = "UNAVAILABLE"  # the database cannot be reached: retry (HTTP 503)
    # Automatic persisted queries (app.core.persisted) and trusted documents (app.web.documents)
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"  # as Apollo's router names it
    # HTTP-level refusals of /graphql, before there is a GraphQL request (app.web.dialect)
    BAD_REQUEST = "BAD_REQUEST"  # 400: the body is not a JSON GraphQL request
    NOT_FOUND = "NOT_FOUND"  # 404: GraphiQL is off
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  # 405: not GET/POST, or a mutation over GET
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"  # 406: Accept allows none of our media types
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"  # 413: over MAX_BODY_BYTES
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"  # 415: a POST that is not JSON


class PublicError(Exception):
    """An error whose message is safe to show; carries ``extensions.code`` (and any other
    ``extensions`` given, e.g. ``retryAfter``)."""

    code: TopLevelCode = TopLevelCode.INTERNAL_SERVER_ERROR

    def __init__(
        self, message: Message | None = None, code: TopLevelCode | None = None, **extensions: object
    ) -> None:
        if code is not None:
            self.code = code
        self.text: Text = text_of(message if message is not None else for_code(self.code))
        self.message = str(self.text)  # English, for logs; clients get ``render``
        super().__init__(self.message)
        self.extensions = extensions

    def render(self, locale: Locale) -> str:
        return self.text.render(locale)


class AuthError(PublicError):
    code = TopLevelCode.UNAUTHENTICATED


class Forbidden(PublicError):
    code = TopLevelCode.FORBIDDEN


class BadInput(PublicError):
    code = TopLevelCode.BAD_USER_INPUT


class RateLimited(PublicError):
    code = TopLevelCode.RATE_LIMITED

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(Msg.RATE_LIMITED(seconds=seconds), retryAfter=seconds)


def public_graphql_error(
    message: Message, code: TopLevelCode, locale: Locale, **extensions: object
) -> GraphQLError:
    """A top-level error built outside the schema's error shaping, in the caller's language."""
    return GraphQLError(
        text_of(message).render(locale), extensions={"code": code.value, **extensions}
    )


def raise_if_cancelled(exc: BaseException | None = None) -> None:
    """Raise our task's cancellation if a library swallowed it.

    redis-py (8.2), cancelled mid-command, finishes the command and returns normally (or
    raises its own error) with the task still marked as cancelling: the time limit or the
    client that went away would be ignored and the work would go on. Call this after such
    an await and first thing in a broad ``except Exception`` around one.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc
