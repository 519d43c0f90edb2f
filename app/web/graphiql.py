"""GraphiQL served entirely by the service: no CDN, works on a closed network.

React, ReactDOM and GraphiQL come from ``/static/vendor/...`` (installed by
``python -m app fetch-assets``, pinned by integrity in ``app/web/assets.py``); the boot
script is our own static file ``/static/graphiql/boot.js``, so the page runs under a
strict Content-Security-Policy (scripts from 'self' only, nothing inline). The page
configuration travels in a non-executable ``application/json`` block.

The page opens with a tab per contract operation (``app.web.graphiql_tabs``), the help
above the first; in development two buttons sign in as the demo client or care agent
(``app.web.demo_sign_in``) and fill the Authorization header of every tab. Headers are
kept across reloads (GraphiQL's ``shouldPersistHeaders``).

Subscriptions use GraphiQL's bundled graphql-ws client (graphql-transport-ws, the
only protocol the server offers); the Headers tab's JSON is sent as the
``connection_init`` payload, so ``{"Authorization": "Bearer ..."}`` signs the socket in.
"""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from app.web import assets
from app.web.demo_sign_in import DEMO_SESSION_PATH
from app.web.graphiql_tabs import DEMO_SIGN_IN_LABELS, HELP

VENDOR = "/static/vendor"
STYLESHEETS = (f"{VENDOR}/graphiql/graphiql.min.css", "/static/graphiql/page.css")
SCRIPTS = (
    f"{VENDOR}/react/umd/react.production.min.js",
    f"{VENDOR}/react-dom/umd/react-dom.production.min.js",
    f"{VENDOR}/graphiql/graphiql.min.js",
    "/static/graphiql/boot.js",
)

CSP = (
    "default-src 'none'; "
    "script-src 'self'; "
    # GraphiQL and CodeMirror set style attributes; no script can come from it.
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; "
    "connect-src 'self' {ws}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)


def _ws_origin(request: Request) -> str:
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{request.url.netloc}"


def render_graphiql(
    request: Request, tabs: list[dict[str, str]], demo_sign_in: bool = False
) -> Response:
    missing = assets.missing()
    if missing:
        return PlainTextResponse(
            "GraphiQL assets are not installed (" + ", ".join(missing) + "). "
            "Run `python -m app fetch-assets` once (it downloads pinned, integrity-checked "
            "packages from the npm registry), then reload this page.\n",
            status_code=503,
        )
    config = {
        "url": str(request.url.replace(query="", fragment="")),
        "subscriptionUrl": str(
            request.url.replace(scheme="wss" if request.url.scheme == "https" else "ws").replace(
                query="", fragment=""
            )
        ),
        "tabs": tabs,  # GraphiQL's defaultTabs (app/web/graphiql_tabs.py)
        "newTabQuery": HELP,
        # Development only: the one-click demo sign-in (app/web/demo_sign_in.py).
        "demoSignIn": (
            {"url": DEMO_SESSION_PATH, "labels": DEMO_SIGN_IN_LABELS} if demo_sign_in else None
        ),
    }
    # JSON inside HTML: "<" escaped so that no "</script>" can end the block early.
    config_json = json.dumps(config).replace("<", "\\u003c")
    url = request.app.state.static.url  # content-hashed, immutable (app.web.caching)
    links = "\n".join(f'<link rel="stylesheet" href="{html.escape(url(h))}">' for h in STYLESHEETS)
    scripts = "\n".join(f'<script src="{html.escape(url(s))}"></script>' for s in SCRIPTS)
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Psyline GraphiQL</title>
<link rel="icon" href="data:,">
{links}
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script id="graphiql-config" type="application/json">{config_json}</script>
{scripts}
</body>
</html>
"""
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": CSP.replace("{ws}", _ws_origin(request)),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",  # revalidated by its ETag (app.web.caching)
        },
    )
