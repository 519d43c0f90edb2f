"""Turn an ``Authorization`` header (HTTP or WebSocket ``connection_init``) into a Viewer.

Revocation: an access token is accepted only while its session (``sid``) is not
revoked. The check is one primary-key query per request (no cache), so
``signOut`` and refresh-token reuse detection take effect immediately, in every
process sharing the database. A WebSocket is checked at ``connection_init``; its
long-lived subscriptions re-check with ``session_still_active`` every
``SESSION_RECHECK_SECONDS`` (one lookup per session per interval and process), so
a signed-out session's open sockets stop receiving within that interval.
"""

from __future__ import annotations

import time

from app.core.errors import AuthError
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


SESSION_RECHECK_SECONDS = 15.0
SESSION_ENDED = "The session has ended; sign in again."
_recent: dict[str, tuple[float, bool]] = {}


async def session_still_active(session_id: str) -> bool:
    """Is the session still valid? Cached per process for ``SESSION_RECHECK_SECONDS``."""
    now = time.monotonic()
    hit = _recent.get(session_id)
    if hit is not None and now - hit[0] < SESSION_RECHECK_SECONDS:
        return hit[1]
    active = await session_is_active(session_id)
    if len(_recent) > 10_000:  # bounded: drop what is stale anyway
        for key in [k for k, (at, _) in _recent.items() if now - at >= SESSION_RECHECK_SECONDS]:
            del _recent[key]
    _recent[session_id] = (now, active)
    return active
