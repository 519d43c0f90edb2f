"""Turn an ``Authorization`` header (HTTP or WebSocket ``connection_init``) into a Viewer.

Revocation: an access token is accepted only while its session (``sid``) is not
revoked. The check is one primary-key query per request (no cache), so
``signOut`` and refresh-token reuse detection take effect immediately, in every
process sharing the database. (A WebSocket is checked at ``connection_init``.)
"""

from __future__ import annotations

from app.auth.tokens import bearer_token, decode_access_token
from app.auth.viewer import Viewer
from app.errors import AuthError
from app.identity.sessions import session_is_active
from app.settings import Settings


async def authenticate(settings: Settings, authorization: str | None) -> Viewer | None:
    """None without credentials; ``AuthError`` for bad ones; the Viewer otherwise."""
    token = bearer_token(authorization)
    if token is None:
        return None
    viewer = decode_access_token(settings, token)
    if not await session_is_active(viewer.session_id):
        raise AuthError("The session has ended; sign in again.")
    return viewer
