"""Our sessions: a short access JWT plus an opaque refresh token rotated on every use.

- A ``Session`` row is one signed-in device and one refresh-token family.
- Refresh tokens are ``secrets.token_urlsafe(32)``; only their SHA-256 is stored.
- Each use marks the token used (a conditional UPDATE, so two concurrent uses
  cannot both win) and issues a new one. Presenting an already-used token means it
  was copied: the whole session is revoked (RFC 6819 5.2.2.3, OAuth 2.0 Security
  BCP 4.14 refresh token rotation).
- ``signOut`` revokes the session. Access tokens carry the session id and
  ``app.identity.authenticate`` checks the session on every request (one primary-key
  query), so a revoked session's access tokens stop working immediately.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from app.core import clock
from app.core.errors import Refused
from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.errors import IdentityErrorCode
from app.identity.tokens import issue_access_token
from models.identity import Partner, RefreshToken, Session, User

log = logging.getLogger("psyline.identity.sessions")

MAX_REFRESH_TOKEN_CHARS = 128


@dataclass(frozen=True)
class IssuedSession:
    session_id: str
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str


def hash_refresh_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


async def _new_refresh_token(settings: Settings, session_id: str, now: datetime) -> str:
    raw = secrets.token_urlsafe(32)
    await RefreshToken.create(
        session_id=session_id,
        token_hash=hash_refresh_token(raw),
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    return raw


def _issue(
    settings: Settings, user: User, session_id: str, refresh: str, now: datetime
) -> IssuedSession:
    access, expires = issue_access_token(
        settings, user_id=user.id, role=user.role, session_id=session_id, now=now
    )
    return IssuedSession(session_id, access, expires, refresh)


async def start_session(
    settings: Settings, user: User, *, partner: Partner | None = None, now: datetime | None = None
) -> IssuedSession:
    """A new session for ``user`` with its first refresh token and an access token."""
    now = now or clock.now()
    session_id = uuid.uuid4().hex
    async with in_transaction():
        await Session.create(
            id=session_id,
            user_id=user.id,
            partner_id=partner.id if partner else None,
            last_used_at=now,
        )
        refresh = await _new_refresh_token(settings, session_id, now)
    return _issue(settings, user, session_id, refresh, now)


async def revoke_session(session_id: str, reason: str, now: datetime | None = None) -> bool:
    """Revoke one session (idempotent); True if it was active."""
    updated = await Session.filter(id=session_id, revoked_at__isnull=True).update(
        revoked_at=now or clock.now(), revoke_reason=reason
    )
    return bool(updated)


async def session_is_active(session_id: str) -> bool:
    """One primary-key lookup: is this session still valid (not revoked)?"""
    return await Session.filter(id=session_id, revoked_at__isnull=True).exists()


ACTIVE_CHUNK = 500  # ids per statement: well under every driver's parameter limit


async def active_session_ids(session_ids: set[str]) -> set[str]:
    """Which of these sessions are still valid: one statement per 500 ids."""
    ids = sorted(session_ids)
    active: set[str] = set()
    for start in range(0, len(ids), ACTIVE_CHUNK):
        chunk = ids[start : start + ACTIVE_CHUNK]
        rows = await Session.filter(id__in=chunk, revoked_at__isnull=True).values_list(
            "id", flat=True
        )
        active.update(str(row) for row in rows)
    return active


async def revoke_sessions_of(
    reason: str, *, user_id: int | None = None, partner_id: int | None = None
) -> int:
    """Revoke every active session of a user or of a partner's users; how many were."""
    query = Session.filter(revoked_at__isnull=True)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if partner_id is not None:
        query = query.filter(partner_id=partner_id)
    if user_id is None and partner_id is None:
        raise ValueError("revoke_sessions_of needs a user or a partner")
    return int(await query.update(revoked_at=clock.now(), revoke_reason=reason))


def _invalid() -> Refused:
    return Refused(
        IdentityErrorCode.INVALID_REFRESH_TOKEN,
        Msg.INVALID_REFRESH_TOKEN,
        "refreshToken",
    )


async def refresh_session(
    settings: Settings, raw: str, *, now: datetime | None = None
) -> IssuedSession:
    """Exchange a refresh token for a new access + refresh token pair (rotation)."""
    now = now or clock.now()
    if not raw or len(raw) > MAX_REFRESH_TOKEN_CHARS:
        raise _invalid()
    token = await RefreshToken.get_or_none(token_hash=hash_refresh_token(raw)).select_related(
        "session__user"
    )
    if token is None:
        raise _invalid()
    session = token.session
    if session.revoked_at is not None:
        raise _invalid()
    if token.used_at is not None or not await RefreshToken.filter(
        id=token.id, used_at__isnull=True
    ).update(used_at=now):
        await revoke_session(session.id, "refresh_reuse", now)
        log.warning("refresh token reuse: session %s revoked", session.id)
        raise Refused(
            IdentityErrorCode.REFRESH_TOKEN_REUSED,
            Msg.REFRESH_TOKEN_REUSED,
            "refreshToken",
        )
    if token.expires_at <= now:
        raise _invalid()
    refresh = await _new_refresh_token(settings, session.id, now)
    await Session.filter(id=session.id).update(last_used_at=now)
    return _issue(settings, session.user, session.id, refresh, now)


async def sign_out(session_id: str | None, refresh_token: str | None) -> bool:
    """Revoke the session named by a refresh token, or else the caller's current session."""
    if refresh_token:
        if len(refresh_token) > MAX_REFRESH_TOKEN_CHARS:
            raise _invalid()
        token = await RefreshToken.get_or_none(token_hash=hash_refresh_token(refresh_token))
        if token is None:
            raise _invalid()
        await revoke_session(token.session_id, "sign_out")  # type: ignore[attr-defined]
        return True
    if session_id:
        await revoke_session(session_id, "sign_out")
        return True
    return False
