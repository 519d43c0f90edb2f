"""Staff accounts: argon2id password hashes, constant-time sign-in, lockout with back-off.

- Hashes: ``argon2-cffi``'s ``PasswordHasher`` (argon2id, RFC 9106 defaults),
  rehashed on sign-in when the parameters change. Hashing runs in a thread.
- An unknown email costs the same as a known one: the password is verified
  against a dummy hash, and the error is the same ``INVALID_CREDENTIALS``.
- No lockout (anyone could lock any agent out): failures are throttled
  (``app.core.ratelimit``) per IP, per account from one IP and per account from
  anywhere, so an attacker is slowed to a crawl while the agent at another address signs
  in. A throttled attempt is refused (``RATE_LIMITED`` with ``retryAfter``) before any
  lookup, the same for known and unknown emails.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from tortoise.transactions import in_transaction

from app.core import clock
from app.core.errors import RateLimited, Refused
from app.core.messages import Msg
from app.core.ratelimit import RateLimiter
from app.core.settings import Settings
from app.identity.errors import IdentityErrorCode
from app.identity.partner_tokens import storable
from app.identity.sessions import IssuedSession, revoke_sessions_of, start_session
from models.enums import Role
from models.identity import Partner, User

log = logging.getLogger("psyline.audit.identity")

STAFF_ROLES = (Role.PSYCHOLOGIST, Role.CARE_AGENT, Role.ADMIN)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


@dataclass(frozen=True)
class StaffSignIn:
    user: User
    session: IssuedSession


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-but-the-same-cost")


def _verify(hash_: str, password: str) -> bool:
    secret = password.encode("utf-8", "surrogatepass")  # str.encode would fail on "\ud800"
    try:
        return _hasher.verify(hash_, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a staff password has at least {MIN_PASSWORD_LENGTH} characters")
    return await asyncio.to_thread(_hasher.hash, password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_staff(
    email: str,
    role: Role,
    password: str,
    *,
    display_name: str = "",
    psychologist_id: int | None = None,
    partner: str | None = None,
) -> User:
    """Create (or reset the password of) a staff account; link a psychologist profile.

    ``partner`` (a partner's name) scopes an admin to that partner's figures; without it
    the account is unscoped (an admin then sees every partner). Only admins are scoped.
    """
    if role not in STAFF_ROLES:
        raise ValueError(f"staff role must be one of {', '.join(r.value for r in STAFF_ROLES)}")
    scope_partner_id: int | None = None
    if partner is not None:
        if role != Role.ADMIN:
            raise ValueError("only an ADMIN is scoped to a partner (--partner)")
        found = await Partner.get_or_none(name=partner)
        if found is None:
            raise ValueError(f"no partner named {partner!r}")
        scope_partner_id = found.id
    email = normalise_email(email)
    if "@" not in email:
        raise ValueError("not an email address")
    hash_ = await hash_password(password)
    user = await User.get_or_none(email=email)
    if user is None:
        user = await User.create(
            email=email,
            role=role,
            password_hash=hash_,
            display_name=display_name or email,
            scope_partner_id=scope_partner_id,
        )
    else:
        user.role = role
        user.password_hash = hash_
        user.scope_partner_id = scope_partner_id
        if display_name:
            user.display_name = display_name
        await user.save()
    if psychologist_id is not None:
        from models.catalogue import Psychologist

        updated = await Psychologist.filter(id=psychologist_id).update(user_id=user.id)
        if not updated:
            raise ValueError(f"no psychologist with id {psychologist_id}")
    return user


def _invalid() -> Refused:
    return Refused(IdentityErrorCode.INVALID_CREDENTIALS, Msg.INVALID_CREDENTIALS, "password")


def _failure_keys(email: str, ip: str) -> tuple[tuple[str, str], ...]:
    return (
        ("staff_sign_in_ip", ip),
        ("staff_sign_in_account_ip", f"{email}|{ip}"),
        ("staff_sign_in_account", email),
    )


async def sign_in_staff(
    settings: Settings,
    email: str,
    password: str,
    *,
    limits: RateLimiter,
    ip: str,
    now: datetime | None = None,
) -> StaffSignIn:
    now = now or clock.now()
    email = normalise_email(email or "")[:254]
    password = (password or "")[:1024]
    if not storable(email, 254):
        email = ""
    failures = _failure_keys(email, ip)
    for rule, key in failures:
        retry_after = await limits.check(rule, key)
        if retry_after is not None:
            log.info("staff sign-in throttled: rule=%s", rule)
            raise RateLimited(retry_after)
    try:
        return await _sign_in(settings, email, password, now)
    except Refused:
        for rule, key in failures:
            await limits.record(rule, key)
        raise


async def _sign_in(settings: Settings, email: str, password: str, now: datetime) -> StaffSignIn:
    user = await User.get_or_none(email=email, role__in=list(STAFF_ROLES)) if email else None
    hash_ = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    ok = await asyncio.to_thread(_verify, hash_, password)
    if user is None or not user.password_hash:
        log.info("staff sign-in rejected: code=INVALID_CREDENTIALS user=-")
        raise _invalid()
    if not ok:
        log.info("staff sign-in rejected: code=INVALID_CREDENTIALS user=%s", user.id)
        raise _invalid()
    changes: dict[str, object] = {"last_sign_in_at": now}
    if _hasher.check_needs_rehash(user.password_hash):
        changes["password_hash"] = await asyncio.to_thread(_hasher.hash, password)
    await User.filter(id=user.id).update(**changes)
    session = await start_session(settings, user, now=now)
    log.info("staff sign-in accepted: user=%s", user.id)
    return StaffSignIn(user=user, session=session)


async def disable_staff(email: str) -> int | None:
    """Take the account's password away (it cannot sign in until ``staff add`` sets a new
    one) and revoke its sessions (its sockets close at the next sweep); None if there is
    no such staff account, else how many sessions were revoked."""
    async with in_transaction():
        user = await User.get_or_none(email=normalise_email(email))
        if user is None or user.role is Role.CLIENT:
            return None
        await User.filter(id=user.id).update(password_hash=None)
        return await revoke_sessions_of("staff_disabled", user_id=user.id)
