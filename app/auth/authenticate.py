"""Turn an ``Authorization`` header (HTTP or WebSocket ``connection_init``) into a Viewer."""

from __future__ import annotations

from app.auth.tokens import bearer_token, decode_access_token
from app.auth.viewer import Viewer
from app.settings import Settings


async def authenticate(settings: Settings, authorization: str | None) -> Viewer | None:
    """None without credentials; ``AuthError`` for bad ones; the Viewer otherwise."""
    token = bearer_token(authorization)
    if token is None:
        return None
    return decode_access_token(settings, token)
