"""Partner sign-in: verify the partner's token, find or register the client, open a session.

One user per E.164 phone number across partners. The first partner that
brought the client and the latest one are recorded (KPIs); the latest
partner's ``sub`` is kept. ``user_registered`` is emitted after the new user
is committed (the chat domain opens the care conversation on it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core import clock, events
from app.core.errors import Refused, raise_if_cancelled
from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.errors import IdentityErrorCode
from app.identity.events import UserRegistered
from app.identity.partner_tokens import VerifiedPartnerToken, verify_partner_token
from app.identity.runtime import IdentityRuntime
from app.identity.sessions import IssuedSession, start_session
from app.notify import outbox
from models.enums import Role
from models.identity import User

log = logging.getLogger("psyline.identity.signin")


@dataclass(frozen=True)
class PartnerSignIn:
    user: User
    session: IssuedSession
    is_new_user: bool


async def _find_or_register(
    verified: VerifiedPartnerToken, now: datetime, welcome_delay: float
) -> tuple[User, bool]:
    partner = verified.partner
    user = await User.get_or_none(phone_e164=verified.phone_e164)
    if user is None:
        try:
            # The welcome push is written with the user: both or neither (app.notify.outbox).
            async with in_transaction():
                user = await User.create(
                    role=Role.CLIENT,
                    phone_e164=verified.phone_e164,
                    first_partner_id=partner.id,
                    latest_partner_id=partner.id,
                    partner_subject=verified.subject,
                    last_sign_in_at=now,
                )
                await outbox.welcome(user.id, delay_seconds=welcome_delay, now=now)
            return user, True
        except IntegrityError:
            # Registered concurrently by another request with the same number.
            user = await User.get(phone_e164=verified.phone_e164)
    if user.role != Role.CLIENT:
        raise Refused(
            IdentityErrorCode.INVALID_PHONE,
            Msg.INVALID_PHONE,
            "partnerToken",
        )
    changes: dict[str, object] = {"latest_partner_id": partner.id, "last_sign_in_at": now}
    if verified.subject is not None:
        changes["partner_subject"] = verified.subject
    await User.filter(id=user.id).update(**changes)
    user.latest_partner_id = partner.id
    return user, False


async def sign_in_with_partner(
    settings: Settings, runtime: IdentityRuntime, partner_token: str
) -> PartnerSignIn:
    now = clock.now()
    verified = await verify_partner_token(settings, runtime, partner_token, now=now)
    user, created = await _find_or_register(verified, now, settings.notify_welcome_delay_seconds)
    if created:
        try:
            await events.emit(UserRegistered(user=user, partner=verified.partner))
        except Exception as exc:
            # A failing listener must not fail the sign-in; listeners are idempotent
            # and their owners see this line.
            raise_if_cancelled(exc)
            log.exception("UserRegistered listener failed for %s", user)
    session = await start_session(settings, user, partner=verified.partner, now=now)
    return PartnerSignIn(user=user, session=session, is_new_user=created)
