"""Verify a partner's sign-in JWT (RFC 8725, JSON Web Token Best Current Practices).

What is checked, in this order (every failure is a ``Refused`` with a stable code):

1. size: more than 8 KB -> ``TOKEN_TOO_LARGE`` before any parsing;
2. header: a compact JWS whose ``alg`` is an asymmetric algorithm (never ``none``,
   never ``HS*``), no ``crit`` (we understand no extension) -> ``INVALID_TOKEN``;
3. partner: looked up by the exact ``iss``, enabled; ``alg`` in the partner's allow-list;
   the key by ``kid`` among the partner's keys (stored PEMs, then its JWKS URL) whose
   family fits ``alg`` -> ``INVALID_TOKEN`` for every one of them (which step failed is
   in the audit log only);
4. signature and claims with PyJWT: ``exp``, ``iat``, ``iss``, ``aud``, ``jti`` required,
   ``aud`` contains ours (``PARTNER_TOKEN_AUDIENCE`` or the partner's override),
   30 s leeway -> ``TOKEN_EXPIRED`` / ``TOKEN_NOT_YET_VALID`` / ``INVALID_TOKEN``;
5. lifetime ``exp - iat`` <= 10 minutes -> ``TOKEN_LIFETIME_TOO_LONG``;
6. ``phone_number`` a valid mobile number, normalised to E.164 -> ``INVALID_PHONE``;
7. ``jti`` single use: one row in ``used_jtis`` (unique partner + jti) -> ``TOKEN_REPLAYED``.

Same work whatever fails: once the header parses, the partner lookup query and a
signature verification always run (with a throwaway key of the same family when
the partner or the key is unknown), so response times do not tell an attacker
which partners or key ids exist. Each outcome is one audit log line with the
partner's name and the code, never the token, the phone or the ``sub``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import phonenumbers
from tortoise.exceptions import IntegrityError

from app.core import clock
from app.core.errors import Refused
from app.core.messages import Message, Msg
from app.core.settings import Settings
from app.identity.errors import IdentityErrorCode
from app.identity.keys import ASYMMETRIC_ALGORITHMS, dummy_key, key_fits, partner_key
from app.identity.runtime import IdentityRuntime
from models.identity import Partner, UsedJti

audit = logging.getLogger("psyline.audit.identity")

MAX_PARTNER_TOKEN_BYTES = 8 * 1024
MAX_LIFETIME_SECONDS = 10 * 60
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "jti"]
FIELD = "partnerToken"


@dataclass(frozen=True)
class VerifiedPartnerToken:
    partner: Partner
    phone_e164: str
    subject: str | None
    jti: str
    expires_at: datetime


class PartnerTokenError(Refused):
    partner: Partner | None = None  # the token's partner if known, for the audit line only

    def __init__(
        self, code: IdentityErrorCode, message: Message, detail: str | None = None
    ) -> None:
        super().__init__(code, message, FIELD)
        self.detail = detail or code.value  # for the audit line only


def _not_accepted(detail: str) -> PartnerTokenError:
    """Unknown issuer, disabled partner, disallowed algorithm, unknown key: one answer
    outwardly (an attacker learns nothing about which step failed); the audit log says."""
    return PartnerTokenError(
        IdentityErrorCode.INVALID_TOKEN,
        Msg.TOKEN_NOT_ACCEPTED,
        detail,
    )


def normalise_phone(raw: Any) -> str:
    """A valid mobile number in E.164, or ``INVALID_PHONE``."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 32:
        raise PartnerTokenError(IdentityErrorCode.INVALID_PHONE, Msg.TOKEN_NO_PHONE)
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException as exc:
        raise PartnerTokenError(IdentityErrorCode.INVALID_PHONE, Msg.TOKEN_PHONE_INVALID) from exc
    mobile = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile:
        raise PartnerTokenError(IdentityErrorCode.INVALID_PHONE, Msg.TOKEN_PHONE_NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def storable(value: Any, max_length: int = 255) -> bool:
    """A non-empty string PostgreSQL can store and compare (no NUL, valid UTF-8)."""
    if not isinstance(value, str) or not value or len(value) > max_length or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON "\ud800"
        return False
    return True


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims WITHOUT verification: used only to find the partner and key."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise jwt.DecodeError("not a JSON object")
    return header, claims


def _check_header(header: dict[str, Any]) -> PartnerTokenError | None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
        return PartnerTokenError(IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_ALGORITHM)
    if "crit" in header or "b64" in header:
        return PartnerTokenError(IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_CRITICAL_HEADER)
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or len(kid) > 255):
        return PartnerTokenError(
            IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_CLAIM_MALFORMED(claim="kid")
        )
    return None


async def verify_partner_token(
    settings: Settings, runtime: IdentityRuntime, token: str, *, now: datetime | None = None
) -> VerifiedPartnerToken:
    """Verify ``token`` and consume its ``jti``; raise ``PartnerTokenError`` otherwise."""
    started = time.perf_counter()
    try:
        verified = await _verify(settings, runtime, token, now or clock.now())
    except PartnerTokenError as exc:
        audit.info(
            "partner sign-in rejected: code=%s detail=%s partner=%s ms=%.1f",
            exc.code,
            exc.detail,
            exc.partner.name if exc.partner else "-",
            (time.perf_counter() - started) * 1000,
        )
        raise
    audit.info(
        "partner sign-in accepted: partner=%s ms=%.1f",
        verified.partner.name,
        (time.perf_counter() - started) * 1000,
    )
    return verified


async def _verify(
    settings: Settings, runtime: IdentityRuntime, token: str, now: datetime
) -> VerifiedPartnerToken:
    # The character count first: no need to encode a huge string to refuse it.
    if (
        len(token) > MAX_PARTNER_TOKEN_BYTES
        or len(token.encode("utf-8", "surrogatepass")) > MAX_PARTNER_TOKEN_BYTES
    ):
        raise PartnerTokenError(IdentityErrorCode.TOKEN_TOO_LARGE, Msg.TOKEN_TOO_LARGE)
    try:
        header, unverified = _peek(token)
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise PartnerTokenError(IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_NOT_JWT) from exc

    failure = _check_header(header)
    alg = header.get("alg") if failure is None else "RS256"
    assert isinstance(alg, str)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None

    # Always one lookup, even without a usable iss (same work on every path).
    iss = unverified.get("iss")
    lookup = iss if storable(iss) else ""
    partner = await Partner.get_or_none(issuer=lookup)

    if failure is None:
        if partner is None:
            failure = _not_accepted("unknown issuer")
        elif not partner.enabled:
            failure = _not_accepted("partner disabled")
        elif alg not in partner.algorithm_list:
            failure = _not_accepted("algorithm not allowed")
    # The key query runs on every path too (for no partner it matches nothing).
    key = await partner_key(partner if failure is None else None, kid, runtime.jwks)
    if failure is None and (key is None or not key_fits(key, alg)):
        key = None
        failure = _not_accepted("unknown signing key")

    audience = (partner.audience if partner else None) or settings.partner_token_audience
    try:
        claims = jwt.decode(
            token,
            key if key is not None else dummy_key(alg),
            algorithms=[alg],
            audience=audience,
            issuer=lookup,  # a partner is found by this exact issuer
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS, "verify_sub": False, "verify_jti": False},
        )
    except jwt.ExpiredSignatureError:
        failure = failure or PartnerTokenError(IdentityErrorCode.TOKEN_EXPIRED, Msg.TOKEN_EXPIRED)
    except jwt.ImmatureSignatureError:
        failure = failure or PartnerTokenError(
            IdentityErrorCode.TOKEN_NOT_YET_VALID, Msg.TOKEN_NOT_YET_VALID
        )
    except jwt.InvalidAudienceError:
        failure = failure or PartnerTokenError(IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_AUDIENCE)
    except jwt.MissingRequiredClaimError as exc:
        failure = failure or PartnerTokenError(
            IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_CLAIM_MISSING(claim=exc.claim)
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        failure = failure or PartnerTokenError(IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_SIGNATURE)
    if failure is not None:
        failure.partner = partner
        raise failure
    assert partner is not None
    try:
        return await _check_claims(partner, claims, now, runtime)
    except PartnerTokenError as exc:
        exc.partner = partner
        raise


def _numeric_date(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def _check_claims(
    partner: Partner, claims: dict[str, Any], now: datetime, runtime: IdentityRuntime
) -> VerifiedPartnerToken:
    exp, iat = claims["exp"], claims["iat"]
    # NumericDate is a JSON number (RFC 7519 2): PyJWT would accept "1999999999" too.
    if any(not _numeric_date(claims.get(c, 0)) for c in ("exp", "iat", "nbf")):
        raise PartnerTokenError(IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_DATES)
    if int(exp) - int(iat) > MAX_LIFETIME_SECONDS:
        raise PartnerTokenError(
            IdentityErrorCode.TOKEN_LIFETIME_TOO_LONG,
            Msg.TOKEN_LIFETIME_TOO_LONG,
        )
    jti = claims["jti"]
    if not storable(jti):
        raise PartnerTokenError(
            IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_CLAIM_MALFORMED(claim="jti")
        )
    subject = claims.get("sub")
    if subject is not None and not storable(subject):
        raise PartnerTokenError(
            IdentityErrorCode.INVALID_TOKEN, Msg.TOKEN_CLAIM_MALFORMED(claim="sub")
        )
    phone = normalise_phone(claims.get("phone_number"))
    expires_at = datetime.fromtimestamp(int(exp), UTC)
    await consume_jti(partner, jti, expires_at, now, runtime)
    return VerifiedPartnerToken(
        partner=partner, phone_e164=phone, subject=subject, jti=jti, expires_at=expires_at
    )


async def consume_jti(
    partner: Partner, jti: str, expires_at: datetime, now: datetime, runtime: IdentityRuntime
) -> None:
    """Record ``jti`` as used; the unique (partner, jti) key makes a replay fail everywhere.

    The row lives until the token could no longer pass ``exp`` (plus leeway), so the
    store survives restarts and is shared by every process using the database.
    """
    try:
        await UsedJti.create(
            partner_id=partner.id,
            jti=jti,
            expires_at=expires_at + timedelta(seconds=2 * LEEWAY_SECONDS),
        )
    except IntegrityError as exc:
        raise PartnerTokenError(IdentityErrorCode.TOKEN_REPLAYED, Msg.TOKEN_REPLAYED) from exc
    if runtime.purge_used_jtis.due():
        await UsedJti.filter(expires_at__lt=now).delete()
