"""Video rooms: one room per booking, joined with a signed, expiring Jitsi Meet JWT.

The token follows Jitsi's ``prosody`` token auth: HS256 with the app secret,
``iss`` = app id, ``aud`` = "jitsi", ``sub`` = the video domain, ``room`` = the
room name, ``nbf``/``exp`` = the join window, ``context.user`` = who joins.
The join URL only exists between ``available_from`` (10 minutes before the start)
and the end of the session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import jwt

from app.core.settings import Settings

JOIN_EARLY = timedelta(minutes=10)


def new_room_name() -> str:
    # Unguessable: the room name is the only thing a stranger could try to join.
    return "psyline-" + secrets.token_hex(16)


def available_from(starts_at: datetime) -> datetime:
    return starts_at - JOIN_EARLY


@dataclass(frozen=True)
class Participant:
    user_id: str  # an opaque global ID, never a phone number
    name: str
    moderator: bool


def join_url(
    settings: Settings,
    *,
    room: str,
    starts_at: datetime,
    ends_at: datetime,
    participant: Participant,
    now: datetime,
) -> str | None:
    """The signed join URL, or None outside ``[available_from, ends_at)``."""
    opens = available_from(starts_at)
    if now < opens or now >= ends_at:
        return None
    domain = urlsplit(settings.video_base_url).hostname or settings.video_base_url
    claims = {
        "iss": settings.video_app_id,
        "aud": "jitsi",
        "sub": domain,
        "room": room,
        "iat": int(now.timestamp()),
        "nbf": int(opens.timestamp()),
        "exp": int(ends_at.timestamp()),
        "context": {
            "user": {
                "id": participant.user_id,
                "name": participant.name,
                "moderator": participant.moderator,
            }
        },
    }
    token = jwt.encode(claims, settings.video_app_secret, algorithm="HS256")
    base = settings.video_base_url.rstrip("/")
    return f"{base}/{quote(room)}?jwt={token}"
