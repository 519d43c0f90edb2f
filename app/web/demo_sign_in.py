"""GraphiQL's demo sign-in, development only: ``POST /dev/demo-session``.

The page's "Войти как демо-клиент" / "Войти как демо-куратор" buttons post
``{"as": "client"}`` or ``{"as": "careAgent"}`` here and put the answer's
``accessToken`` into the Authorization header of every GraphiQL tab.
``app.demo.identity.demo_session`` signs in (the client through the real partner
sign-in with a demo partner token).

The route exists only outside production and while GraphiQL is on (``demo_routes``
returns nothing otherwise, so production answers 404 like any unknown path); the
handler checks again. It takes JSON only (a cross-site form cannot send that without a
CORS preflight) and, when the browser names an ``Origin``, only this service's own.
Tokens never reach the logs: the answer is ``no-store`` and nothing here logs it.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.core.errors import Refusal
from app.core.settings import Settings
from app.demo.identity import demo_session
from models.enums import Role

log = logging.getLogger("psyline.demo")

DEMO_SESSION_PATH = "/dev/demo-session"
DEMO_ROLES = {"client": Role.CLIENT, "careAgent": Role.CARE_AGENT}
SEND_JSON = 'Send JSON: {"as": "client"} or {"as": "careAgent"}.'


def demo_sign_in_enabled(settings: Settings) -> bool:
    return settings.graphiql and not settings.is_production


def _refused(status: int, error: str) -> Response:
    return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})


async def demo_session_endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not demo_sign_in_enabled(settings):  # not routed then; checked again all the same
        return _refused(404, "Not Found")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refused(415, SEND_JSON)
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return _refused(403, "Only GraphiQL on this service may use the demo sign-in.")
    try:
        body = json.loads(await request.body())
        role = DEMO_ROLES[body["as"]]
    except (ValueError, TypeError, KeyError):
        return _refused(400, SEND_JSON)
    try:
        session = await demo_session(settings, request.app.state.runtime.identity, role)
    except (LookupError, FileNotFoundError) as exc:  # the demo data is not there
        return _refused(409, str(exc))
    except Refusal as exc:  # e.g. the demo partner was disabled
        return _refused(409, exc.message)
    log.info("demo sign-in: role=%s", role.value)
    return JSONResponse(
        {
            "accessToken": session.access_token,
            "accessTokenExpiresAt": session.access_token_expires_at.isoformat(),
            "refreshToken": session.refresh_token,
        },
        headers={"Cache-Control": "no-store"},
    )


def demo_routes(settings: Settings) -> list[BaseRoute]:
    if not demo_sign_in_enabled(settings):
        return []
    return [Route(DEMO_SESSION_PATH, demo_session_endpoint, methods=["POST"])]
