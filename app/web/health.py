"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: the database, Redis when
configured, the migrations). Both answer ``{"status": ..., "checks": {name: state}}``;
a state is ``ok`` or a short fixed reason, never a URL, a password or an exception's text.

``/readyz``: 503 while the database is unreachable or behind the code (migrations
pending); Redis away only degrades live delivery (replayed when it is back), so the
answer stays 200, "degraded": taking every instance out of rotation would stop sign-in
and booking too. The migrations are one small query, read at most every
``MIGRATIONS_RECHECK_SECONDS`` (they change only when an operator migrates; production
checks them at start too).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from app.core.db import known_migrations, pending_migrations

log = logging.getLogger("psyline")
MIGRATIONS_RECHECK_SECONDS = 10.0
OK = "ok"
UNREACHABLE = "unreachable"


class Readiness:
    """The checks of one app; the migrations' last answer is kept here, not in a global."""

    def __init__(self) -> None:
        self._known: frozenset[str] | None = None
        self._pending: int | None = None
        self._checked_at = 0.0

    async def checks(self, request: Request) -> dict[str, str]:
        checks = {"database": await self._database()}
        redis = await request.app.state.runtime.chat.pubsub.reachable()
        if redis is not None:
            checks["redis"] = OK if redis else UNREACHABLE
        if checks["database"] == OK:
            checks["migrations"] = await self._migrations()
        else:
            checks["migrations"] = "unknown: database unreachable"
        return checks

    async def _database(self) -> str:
        try:
            await connections.get("default").execute_query("SELECT 1")
        except Exception:  # any driver failure means "not ready"
            log.warning("readiness check failed: database unreachable")
            return UNREACHABLE
        return OK

    async def _migrations(self) -> str:
        now = time.monotonic()
        if self._pending is None or now - self._checked_at >= MIGRATIONS_RECHECK_SECONDS:
            if self._known is None:
                self._known = known_migrations()
            try:
                self._pending = len(await pending_migrations(self._known))
            except Exception:  # the database went away between the two checks
                return "unknown: database unreachable"
            self._checked_at = now
        return OK if self._pending == 0 else f"{self._pending} pending: run python -m app migrate"


def status_of(checks: dict[str, str]) -> tuple[str, int]:
    if checks["database"] != OK or checks["migrations"] != OK:
        return "unavailable", 503
    if checks.get("redis", OK) != OK:
        return "degraded", 200
    return "ok", 200


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": OK, "checks": {"process": OK}})


def readyz_endpoint(readiness: Readiness) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        checks = await readiness.checks(request)
        status, code = status_of(checks)
        return JSONResponse({"status": status, "checks": checks}, status_code=code)

    return readyz
