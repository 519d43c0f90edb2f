"""Push device registration: one row per token, owned by the latest client who registers it.

A phone changes hands (or accounts) and keeps its token: the token then belongs to the
new user only, so the old user's notifications never reach the new one. Moving a token
deletes the old row and writes a new one, so the new owner never sees the id the old
owner had. Registering one's own token again is a no-op apart from ``last_seen_at``.

A client holds at most ``MAX_DEVICES_PER_USER`` devices: a new one beyond that drops the
least recently seen (tokens of reinstalled apps linger; FCM and APNs never say so until a
push fails). It also bounds the worker's time per notification: its devices are pushed
one after another, each within ``PUSH_TIMEOUT_SECONDS``, inside the claim's lease.

Tokens are checked before anything is stored: printable, without spaces, of a sane
length (iOS tokens hexadecimal). They are never logged.
"""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import policy
from app.core import clock
from app.core.errors import Refused
from app.core.messages import Msg
from app.notify.errors import PushDeviceErrorCode
from models.notify import PushDevice, PushPlatform

MAX_DEVICES_PER_USER = 10
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 512
_TOKEN = re.compile(r"[A-Za-z0-9:_\-.]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")


def clean_token(platform: PushPlatform, token: str) -> str:
    """The token as given, or INVALID_PUSH_TOKEN (no trimming: a token is exact)."""
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise Refused(
            PushDeviceErrorCode.INVALID_PUSH_TOKEN,
            Msg.PUSH_TOKEN_LENGTH(min=MIN_TOKEN_LENGTH, max=MAX_TOKEN_LENGTH),
            "token",
        )
    pattern = _HEX if platform is PushPlatform.IOS else _TOKEN
    if not pattern.fullmatch(token):
        raise Refused(PushDeviceErrorCode.INVALID_PUSH_TOKEN, Msg.INVALID_PUSH_TOKEN, "token")
    return token


async def register_device(who: policy.Principal, platform: PushPlatform, token: str) -> PushDevice:
    """The viewer's device for ``token`` (idempotent; a token of another user moves)."""
    policy.require_register_push_device(who)
    token = clean_token(platform, token)
    for _ in range(3):  # a concurrent registration of the same token: read it again
        try:
            return await _register(who.user_id, platform, token)
        except IntegrityError:
            continue
    return await _register(who.user_id, platform, token)


async def _register(user_id: int, platform: PushPlatform, token: str) -> PushDevice:
    now = clock.now()
    async with in_transaction():
        device = await PushDevice.get_or_none(token=token)
        if device is not None and device.user_id == user_id:
            await PushDevice.filter(id=device.id).update(platform=platform, last_seen_at=now)
            device.platform, device.last_seen_at = platform, now
            return device
        if device is not None:
            await PushDevice.filter(id=device.id).delete()
        created = await PushDevice.create(
            user_id=user_id, platform=platform, token=token, created_at=now, last_seen_at=now
        )
        stale = await (
            PushDevice.filter(user_id=user_id)
            .order_by("-last_seen_at", "-id")
            .offset(MAX_DEVICES_PER_USER)
            .values_list("id", flat=True)
        )
        if stale:
            await PushDevice.filter(id__in=list(stale)).delete()
        return created


async def unregister_device(who: policy.Principal, token: str) -> bool:
    """Remove the viewer's device with ``token``; False when the viewer has none (a token
    of another user is left alone, and the answer is the same as for an unknown one)."""
    policy.require_register_push_device(who)
    removed = await PushDevice.filter(user_id=who.user_id, token=token).delete()
    return bool(removed)
