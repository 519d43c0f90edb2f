"""Turn an ``Authorization`` header (HTTP or WebSocket ``connection_init``) into a Viewer.

Revocation: an access token is accepted only while its session (``sid``) is not
revoked. The check is one primary-key query per request (no cache), so
``signOut`` and refresh-token reuse detection take effect immediately, in every
process sharing the database. Over a WebSocket the same check runs at
``connection_init`` and again as each operation starts (``app.web.sockets``); open
subscriptions end with their session through ``app.identity.sockets``.
"""

from __future__ import annotations

from app.core.errors import AuthError
from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.sessions import session_is_active
from app.identity.tokens import bearer_token, decode_access_token
from app.identity.viewer import Viewer


async def authenticate(settings: Settings, authorization: str | None) -> Viewer | None:
    """None without credentials; ``AuthError`` for bad ones; the Viewer otherwise."""
    token = bearer_token(authorization)
    if token is None:
        return None
    viewer = decode_access_token(settings, token)
    if not await session_is_active(viewer.session_id):
        raise AuthError(SESSION_ENDED)
    return viewer


SESSION_ENDED = Msg.SESSION_ENDED
TOKEN_EXPIRED = Msg.SOCKET_TOKEN_EXPIRED
