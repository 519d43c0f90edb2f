"""Development helpers: the demo partner (with its private key in ``var/``) and demo staff.

Never in production: the demo partner's private key is a file anyone on the
machine could read, so ``seed --demo`` skips it there and ``partner token``
refuses to run, and so does ``demo_session`` (GraphiQL's one-click demo sign-in).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core import clock
from app.core.settings import Settings
from app.demo.booking import DEMO_CLIENTS
from app.identity.keys import pem_of
from app.identity.runtime import IdentityRuntime
from app.identity.sessions import IssuedSession, start_session
from app.identity.signin import sign_in_with_partner
from app.identity.staff import create_staff
from app.identity.tokens import ed25519_pem_file
from models.catalogue import Psychologist
from models.enums import Role, VettingStatus
from models.identity import Partner, PartnerKey, User

DEMO_PARTNER = "demo"
DEMO_ISSUER = "https://partner.demo.psyline.local"
DEMO_KID = "demo-1"
DEMO_STAFF = (
    ("care@demo.psyline.local", Role.CARE_AGENT, "Демо-куратор"),
    ("admin@demo.psyline.local", Role.ADMIN, "Демо-админ"),
    # Linked to the first approved demo psychologist (who also gets a demo booking):
    # mySchedule, mySessions and the other back-office operations of a psychologist.
    ("psychologist@demo.psyline.local", Role.PSYCHOLOGIST, "Демо-психолог"),
)
# Who GraphiQL's demo sign-in signs in: a seeded client (with bookings and a care
# conversation) and the demo care agent.
DEMO_CLIENT_PHONE = DEMO_CLIENTS[0][0]
DEMO_CARE_AGENT = DEMO_STAFF[0][0]


def demo_key_path(settings: Settings) -> Path:
    return settings.var_dir / "demo_partner_ed25519.pem"


def demo_private_key(settings: Settings, *, create: bool = False) -> Ed25519PrivateKey:
    path = demo_key_path(settings)
    if not create and not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m app seed --demo` first")
    key = serialization.load_pem_private_key(ed25519_pem_file(path).encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def mint_partner_token(
    private_key: object,
    *,
    issuer: str,
    audience: str,
    phone: str,
    kid: str | None,
    algorithm: str = "EdDSA",
    subject: str | None = None,
    lifetime_seconds: int = 300,
    now: datetime | None = None,
) -> str:
    """A partner sign-in JWT as a partner's backend would mint it."""
    now = now or clock.now()
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
        "phone_number": phone,
    }
    if subject:
        claims["sub"] = subject
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, private_key, algorithm=algorithm, headers=headers)  # type: ignore[arg-type]


async def demo_partner_token(
    settings: Settings, phone: str, partner_name: str = DEMO_PARTNER
) -> str:
    if settings.is_production:
        raise RuntimeError("partner token is a development helper; refused in production")
    partner = await Partner.get_or_none(name=partner_name)
    if partner is None:
        raise LookupError(f"no partner {partner_name!r}: run `python -m app seed --demo` first")
    if partner_name != DEMO_PARTNER:
        raise LookupError("only the demo partner's private key is known to this helper")
    return mint_partner_token(
        demo_private_key(settings),
        issuer=partner.issuer,
        audience=partner.audience or settings.partner_token_audience,
        phone=phone,
        kid=DEMO_KID,
        subject=f"demo-{uuid.uuid4().hex[:8]}",
    )


async def demo_session(settings: Settings, runtime: IdentityRuntime, role: Role) -> IssuedSession:
    """A session for the demo client or the demo care agent, without typing anything.

    The client signs in through the real path: a demo partner token, verified and
    exchanged by ``sign_in_with_partner`` like any partner's. The care agent's password
    was shown once by ``seed --demo`` and is stored only as a hash, so its session is
    started directly, as ``sign_in_staff`` does after checking the password; an account
    disabled by ``staff disable`` (no password) is refused. Never in production.
    """
    if settings.is_production:
        raise RuntimeError("the demo sign-in is a development helper; refused in production")
    if role is Role.CLIENT:
        token = await demo_partner_token(settings, DEMO_CLIENT_PHONE)
        return (await sign_in_with_partner(settings, runtime, token)).session
    if role is not Role.CARE_AGENT:
        raise LookupError(f"no demo sign-in for {role.value}")
    agent = await User.get_or_none(email=DEMO_CARE_AGENT, role=Role.CARE_AGENT)
    if agent is None or not agent.password_hash:
        raise LookupError(
            f"no enabled demo care agent {DEMO_CARE_AGENT}: run `python -m app seed --demo`"
        )
    return await start_session(settings, agent)


async def demo_psychologist_profile() -> Psychologist | None:
    """The profile the demo psychologist account runs: the first approved one without an
    account (the demo bookings go to the first approved psychologists too)."""
    return (
        await Psychologist.filter(vetting_status=VettingStatus.APPROVED, user_id__isnull=True)
        .order_by("id")
        .first()
    )


async def seed_identity(settings: Settings) -> str | None:
    """Demo step: the demo partner and a demo care agent and admin (idempotent)."""
    if settings.is_production:
        return "identity: demo partner and staff are not created in production"
    lines: list[str] = []
    if not await Partner.exists(name=DEMO_PARTNER):
        key = demo_private_key(settings, create=True)
        partner = await Partner.create(name=DEMO_PARTNER, issuer=DEMO_ISSUER, algorithms="EdDSA")
        await PartnerKey.create(
            partner=partner, kid=DEMO_KID, public_key_pem=pem_of(key.public_key())
        )
        lines.append(
            f"demo partner {DEMO_PARTNER!r} (iss {DEMO_ISSUER}); mint a token with "
            "`python -m app partner token --phone +79991234567`"
        )
    for email, role, name in DEMO_STAFF:
        if await User.exists(email=email):
            continue
        profile = None
        if role is Role.PSYCHOLOGIST:
            profile = await demo_psychologist_profile()
            if profile is None:  # no catalogue yet: nothing to link
                continue
        password = secrets.token_urlsafe(12)
        await create_staff(
            email,
            role,
            password,
            display_name=name,
            psychologist_id=profile.id if profile is not None else None,
        )
        linked = f", profile {profile.full_name!r}" if profile is not None else ""
        lines.append(f"{role.value.lower()}: {email} / {password} (shown once{linked})")
    return "identity: " + "; ".join(lines) if lines else None
