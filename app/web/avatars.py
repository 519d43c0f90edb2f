"""Placeholder photos: ``/avatars/{slug}.svg`` draws a psychologist's initials on a colour.

Served by the service itself, so the catalogue has pictures on a closed network.
Only visible (approved) psychologists have one; anything else is a 404.
"""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.catalogue.filters import visible_psychologists

SLUG = re.compile(r"^[a-z0-9-]{1,80}$")
PALETTE = (
    "#5B8DEF",
    "#3BAF8C",
    "#E0885B",
    "#9B6ADE",
    "#D9607E",
    "#3F9FB5",
    "#C49A2C",
    "#6C7A89",
)


def initials(full_name: str) -> str:
    return "".join(part[0] for part in full_name.split()[:2] if part).upper()


def avatar_svg(slug: str, full_name: str) -> str:
    colour = PALETTE[hashlib.sha256(slug.encode()).digest()[0] % len(PALETTE)]
    text = escape(initials(full_name))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        f'<rect width="256" height="256" fill="{colour}"/>'
        '<text x="50%" y="50%" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="Helvetica, Arial, sans-serif" font-size="104" font-weight="600">'
        f"{text}</text></svg>"
    )


async def avatar(request: Request) -> Response:
    slug = str(request.path_params.get("slug", ""))
    if not SLUG.match(slug):
        return PlainTextResponse("not found", status_code=404)
    row = await visible_psychologists().filter(slug=slug).first().values("full_name")
    if not row:
        return PlainTextResponse("not found", status_code=404)
    return Response(
        avatar_svg(slug, row["full_name"]),
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "public, max-age=86400",
            # An SVG is a document: never let one run scripts in our origin.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
        },
    )
