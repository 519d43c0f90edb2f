"""What every HTTP answer gets on its way out: security headers and one access-log line.

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` on everything;
  ``Strict-Transport-Security`` when ``HSTS_SECONDS`` is set (behind TLS);
  ``Cache-Control: no-store`` on ``/graphql`` (its answers carry tokens and personal
  data) unless the handler chose a policy. Headers a handler set are kept.
- The access log (``psyline.access``) records method, path, status and milliseconds:
  never the query string (a GET carries variables and could carry a token) nor a body,
  and a path that is a secret itself (``/calendar/{token}.ics``) only as its route.
  uvicorn's own access log is off (``python -m app serve``) because it prints both.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.booking import calendar_link
from app.web import calendar

access = logging.getLogger("psyline.access")

NO_STORE_PATHS = ("/graphql",)
# Paths whose last segment is a credential: logged as the route, never as requested.
SECRET_PATHS = ((calendar_link.PATH_PREFIX, calendar.ROUTE),)


def loggable_path(path: str) -> str:
    for prefix, route in SECRET_PATHS:
        if path.startswith(prefix):
            return route
    return path


class Edge:
    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        self.app = app
        self.headers = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
        if hsts_seconds > 0:
            self.headers["strict-transport-security"] = f"max-age={hsts_seconds}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        status = 500  # if the handler never answers

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if path in NO_STORE_PATHS:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            access.info(
                "%s %s %d %.1f ms",
                scope.get("method", "-"),
                loggable_path(path),
                status,
                (time.perf_counter() - started) * 1000,
            )
