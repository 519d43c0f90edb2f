"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/), to the letter.

What ``/graphql`` checks before it reads a body, and how it answers:

- Methods: GET (queries only) and POST; anything else is 405 with ``Allow: GET, POST``.
  A GET that would run a mutation is 405 with ``Allow: POST`` (``app.web.app``).
- ``Accept``: ``application/graphql-response+json`` when the client accepts it,
  ``application/json`` (the legacy media type) otherwise; highest ``q`` first, then
  the more specific range, then the one listed first. ``*/*`` alone, and no ``Accept``
  at all, mean ``application/json``. Nothing acceptable (e.g. ``Accept: text/csv``):
  406, as the specification recommends (a server MUST either 406 or ignore the header).
- ``Content-Type`` of a POST: ``application/json``, UTF-8 (no charset means UTF-8);
  anything else, or none, is 415.
- Answers name the media type with ``charset=utf-8``. With
  ``application/graphql-response+json`` a request error (parse, validation, variables,
  limits, persisted queries: no ``data`` entry) is 400 (503 when the database is
  away) and a response with ``data`` is 200; with ``application/json`` GraphQL
  responses stay 200, as legacy clients expect.
- Refusals before there is a GraphQL request (method, media types, a body that is not a
  JSON request) are ``application/json`` with ``{"errors": [{"message", "extensions":
  {"code"}}]}``, never ``application/graphql-response+json`` (the specification's MUST
  NOT for answers that are not GraphQL responses).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.responses import Response

from app.core.errors import TopLevelCode

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
CHARSET = "; charset=utf-8"
METHODS = ("GET", "POST")
# GET parameters for which the empty string means "not given" (the specification's GET).
OPTIONAL_GET_PARAMETERS = ("operationName", "variables", "extensions")

CODE_BY_STATUS = {
    400: TopLevelCode.BAD_REQUEST,
    404: TopLevelCode.NOT_FOUND,
    405: TopLevelCode.METHOD_NOT_ALLOWED,
    406: TopLevelCode.NOT_ACCEPTABLE,
    413: TopLevelCode.REQUEST_TOO_LARGE,
    415: TopLevelCode.UNSUPPORTED_MEDIA_TYPE,
    503: TopLevelCode.UNAVAILABLE,
}


class HTTPRefusal(HTTPException):
    """An HTTP-level refusal with the headers it needs (``Allow`` for a 405)."""

    def __init__(
        self, status_code: int, reason: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, reason)
        self.headers = dict(headers or {})


def refusal_body(status_code: int, message: str) -> dict[str, Any]:
    code = CODE_BY_STATUS.get(status_code, TopLevelCode.BAD_REQUEST)
    return {"errors": [{"message": message, "extensions": {"code": code.value}}]}


def refusal_response(exc: HTTPException) -> Response:
    """What an ``HTTPException`` (ours or strawberry's) answers: a JSON error list."""
    return Response(
        json.dumps(refusal_body(exc.status_code, exc.reason), separators=(",", ":")),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
        media_type=JSON + CHARSET,
    )


def _accept_ranges(accept: str) -> list[tuple[str, str, float]]:
    """``type``, ``subtype``, ``q`` of each well-formed range; malformed ones are skipped."""
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = "*/*" if media == "*" else media.lower()
        kind, slash, subtype = media.partition("/")
        if not slash or not kind or not subtype:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((kind, subtype, q))
    return ranges


def _quality(media: str, ranges: Sequence[tuple[str, str, float]]) -> tuple[float, int, int]:
    """``q`` of ``media`` by its most specific matching range (RFC 9110, 12.5.1), that
    range's specificity (2 exact, 1 ``type/*``, 0 ``*/*``) and minus its position."""
    kind, _, subtype = media.partition("/")
    best = (0.0, -1, 0)
    for position, (k, s, q) in enumerate(ranges):
        if (k, s) == (kind, subtype):
            specificity = 2
        elif k == kind and s == "*":
            specificity = 1
        elif (k, s) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (q, specificity, -position)
    return best


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither (406)."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _accept_ranges(accept)
    if not ranges:
        return JSON  # nothing readable in the header: as if it were absent
    json_q = _quality(JSON, ranges)
    response_q = _quality(GRAPHQL_RESPONSE, ranges)
    if max(json_q[0], response_q[0]) <= 0:
        return None
    # A tie (both by */* or application/*) goes to application/json: legacy-safe.
    return GRAPHQL_RESPONSE if response_q > json_q else JSON


def check_request(method: str, headers: Mapping[str, str]) -> str:
    """Refuse what no GraphQL request can be (405, 406, 415) before anything is read;
    otherwise the media type of the answer."""
    if method not in METHODS:
        raise HTTPRefusal(
            405, f"/graphql accepts GET and POST, not {method}.", {"Allow": ", ".join(METHODS)}
        )
    media = response_media_type(headers.get("accept"))
    if media is None:
        raise HTTPRefusal(
            406, f"Answers are {GRAPHQL_RESPONSE} or {JSON}: the Accept header allows neither."
        )
    if method == "POST" and not _is_json_utf8(headers.get("content-type")):
        raise HTTPRefusal(415, f"The body must be {JSON} (UTF-8).")
    return media


def _is_json_utf8(content_type: str | None) -> bool:
    media, *params = (p.strip().lower() for p in (content_type or "").split(";"))
    if media != JSON:
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True


def response_status(media: str, response_data: Mapping[str, object], status: int | None) -> int:
    """The status of a GraphQL response. ``status``: one a resolver or the executor chose
    (503 when the database is away)."""
    if media != GRAPHQL_RESPONSE:
        return status or 200  # legacy clients: 200 for every GraphQL response
    if response_data.get("data") is not None:
        return 200  # the specification's MUST: data (even partial) is a 2xx
    if "data" not in response_data:  # a request error: nothing was executed
        return status if status and status >= 400 else 400
    return status or 200  # executed, errors bubbled up to a null data: a field error


def is_request_error(data: object, errors: Sequence[GraphQLError] | None) -> bool:
    """Nothing was executed: no data and only errors without a ``path`` (parse,
    validation, variables, limits, persisted queries), so the answer has no ``data``
    entry. A TIMEOUT was executed (and stopped): its ``data`` stays, null."""
    return (
        data is None
        and bool(errors)
        and all(
            e.path is None and (e.extensions or {}).get("code") != TopLevelCode.TIMEOUT
            for e in errors or ()
        )
    )
