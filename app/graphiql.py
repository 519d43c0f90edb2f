"""GraphiQL served from the service's own static files (no CDN). Filled in by the foundation work."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


def render_graphiql(request: Request) -> Response:
    return HTMLResponse("<!doctype html><title>psyline</title><p>GraphiQL assets missing.</p>")
