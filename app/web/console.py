"""The care team's web console: a static page served at ``/console``.

Everything it needs comes from this service (no CDN): ``index.html``,
``console.js``, ``console.css`` from ``app/web/static/console/`` and the pinned
``graphql-ws`` UMD client that ``python -m app fetch-assets`` puts under
``app/web/static/vendor/``. The page runs under a strict Content-Security-Policy:
scripts, styles and connections only from this origin, no inline code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from app.contract import contract_operations
from app.web.assets import VENDOR_DIR

STATIC_DIR = Path(__file__).resolve().parent / "static"
CONSOLE_DIR = STATIC_DIR / "console"
GRAPHQL_WS_JS = VENDOR_DIR / "graphql-ws" / "umd" / "graphql-ws.min.js"

# 'self' in connect-src also covers ws:/wss: to the same host (CSP Level 3).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_FILES: dict[str, tuple[Path, str]] = {
    "console.js": (CONSOLE_DIR / "console.js", "text/javascript; charset=utf-8"),
    "console.css": (CONSOLE_DIR / "console.css", "text/css; charset=utf-8"),
    "graphql-ws.min.js": (GRAPHQL_WS_JS, "text/javascript; charset=utf-8"),
}


HASHED = ("console.js", "console.css", "graphql-ws.min.js")

# What console.js sends, by name: the contract's own documents (app/contract), verbatim,
CONSOLE_OPERATIONS = (
    "StaffSignIn",
    "RefreshSession",
    "CareQueue",
    "CareInbox",
    "AssignConversation",
    "ConversationHistory",
    "AgentReply",
    "MessageAdded",
)
# and the console's own, which no contract file holds (the contract is not ours to edit):
# "my conversations" and the header of the open conversation, with the client's reference.
CONSOLE_OWN_DOCUMENT = CONSOLE_DIR / "console.graphql"


@cache
def console_operations() -> str:
    """``/console/operations.graphql``: the console's operations, taken from the contract
    (console.graphql and mobile.graphql) with their comments and fragments, then the
    console's own (``console.graphql`` beside the page)."""
    by_name = {operation.name: operation for operation in contract_operations()}
    contract = [by_name[name].text for name in CONSOLE_OPERATIONS]
    return "\n".join([*contract, CONSOLE_OWN_DOCUMENT.read_text(encoding="utf-8")])


def _static_path(name: str) -> str:
    return _FILES[name][0].relative_to(STATIC_DIR).as_posix()


async def console_page(request: Request) -> Response:
    headers = {
        **_COMMON_HEADERS,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",  # revalidated by its ETag (app.web.caching)
    }
    page = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
    for name in HASHED:  # the page loads the content-hashed, immutable URLs
        url = request.app.state.static.url("/static/" + _static_path(name))
        page = page.replace(f'"/console/{name}"', f'"{url}"')
    return HTMLResponse(page, headers=headers)


async def console_asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name == "operations.graphql":
        return Response(
            console_operations(),
            media_type="application/graphql; charset=utf-8",
            headers={**_COMMON_HEADERS, "Cache-Control": "no-cache"},
        )
    entry = _FILES.get(name)
    if entry is None:
        return PlainTextResponse("not found", status_code=404, headers=_COMMON_HEADERS)
    path, media_type = entry
    if not path.exists():
        # Only the vendored client can be missing: assets are fetched at build time.
        return PlainTextResponse(
            "asset missing: run `python -m app fetch-assets`",
            status_code=503,
            headers=_COMMON_HEADERS,
        )
    headers = {**_COMMON_HEADERS, "Cache-Control": "no-cache"}
    return FileResponse(path, media_type=media_type, headers=headers)


def console_routes() -> list[BaseRoute]:
    """``/console`` and its four static files (a fixed list: no path traversal)."""
    return [
        Route("/console", console_page, methods=["GET", "HEAD"]),
        Route("/console/{name:str}", console_asset, methods=["GET", "HEAD"]),
    ]
