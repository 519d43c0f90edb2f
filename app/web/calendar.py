"""``GET /calendar/{token}.ics``: a booking as an iCalendar file (``app.booking.calendar_link``).

The link is its own credential (no ``Authorization``: a phone's calendar opens it as it
is). A malformed and an unknown token get the same bare 404; every answer is
``Cache-Control: private, no-store`` (the file says when someone has a session, and the
link may stop being current at any moment); the access log never holds the token
(``app.web.edge``). Limited per IP like the other public endpoints (``calendar_ip``);
without the database, 503 as ``/graphql`` answers.
"""

from __future__ import annotations

import logging
import math

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.booking.calendar import CONTENT_TYPE
from app.booking.calendar_link import calendar_file
from app.core.db import is_unavailable
from app.core.messages import negotiate
from app.core.net import client_ip
from app.core.settings import Settings
from app.runtime import Runtime

log = logging.getLogger("psyline.calendar")
ROUTE = "/calendar/{token}.ics"
NO_STORE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


def _refusal(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text, status_code=status, headers={**NO_STORE, **(headers or {})})


async def calendar(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    runtime: Runtime = request.app.state.runtime
    peer = request.client.host if request.client else None
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    retry_after = await runtime.limits.hit("calendar_ip", ip)
    if retry_after is not None:
        return _refusal(429, "too many requests", {"Retry-After": str(math.ceil(retry_after))})
    token = str(request.path_params.get("token", ""))
    try:
        found = await calendar_file(token, locale=negotiate(request.headers.get("accept-language")))
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.warning("calendar file: database unavailable (%s)", type(exc).__name__)
        return _refusal(503, "unavailable", {"Retry-After": "5"})
    if found is None:
        return _refusal(404, "not found")
    return Response(
        found.body,
        media_type=CONTENT_TYPE,
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Vary": "Accept-Language",
        },
    )
