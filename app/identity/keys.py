"""Partners' public keys: PEM / JWK parsing, the JWKS URL cache, dummy keys.

Only asymmetric public keys are ever used to verify a partner token: an RSA,
EC or Ed25519 key, whose family must match the token's algorithm (RFC 8725
2.1/3.1: an HMAC "secret" made of a public key is never accepted).

A JWKS URL is fetched asynchronously (httpx), cached in the process (``JwksCache``,
owned by ``app.identity.runtime.IdentityRuntime``), and
refetched on an unknown ``kid`` at most once per ``JWKS_MIN_REFETCH_SECONDS``
per partner, so a flood of random kids cannot flood the partner's key server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from models.identity import Partner, PartnerKey

log = logging.getLogger("psyline.identity.keys")

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# Asymmetric algorithms we accept at all; a partner's allow-list narrows this.
ASYMMETRIC_ALGORITHMS: dict[str, str] = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
}
_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}

JWKS_MIN_REFETCH_SECONDS = 60.0
JWKS_TIMEOUT_SECONDS = 3.0
JWKS_MAX_BYTES = 256 * 1024


class KeyError_(ValueError):
    """A key (PEM or JWK) that we cannot use to verify partner tokens."""


def key_family(key: Any) -> str | None:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "OKP"
    return None


def key_fits(key: Any, alg: str) -> bool:
    """The key can verify ``alg`` (same family; for ECDSA the curve the algorithm names)."""
    family = ASYMMETRIC_ALGORITHMS.get(alg)
    if family is None or key_family(key) != family:
        return False
    if family == "EC":
        return bool(key.curve.name == _EC_CURVES[alg])
    if family == "RSA":
        return bool(key.key_size >= 2048)
    return True


def _public(key: Any) -> PublicKey:
    """``key`` if it is a public key we accept (callers never pass private keys)."""
    if key_family(key) is None:
        raise KeyError_("only RSA, EC (P-256/384/521) and Ed25519 public keys are accepted")
    return key  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def load_public_pem(pem: str) -> PublicKey:
    """Parse (and cache) a public key PEM."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise KeyError_("not a PEM public key") from exc
    return _public(key)


def pem_of(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_from_jwk(jwk_data: dict[str, Any]) -> PublicKey:
    if not isinstance(jwk_data, dict) or jwk_data.get("kty") not in ("RSA", "EC", "OKP"):
        raise KeyError_("JWK must be an RSA, EC or OKP key")
    if jwk_data.get("use") not in (None, "sig"):
        raise KeyError_("JWK is not a signing key")
    public = {k: v for k, v in jwk_data.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
    try:
        return _public(jwt.PyJWK(public).key)
    except jwt.PyJWTError as exc:
        raise KeyError_(f"unusable JWK: {exc}") from exc


def parse_jwks(document: Any) -> dict[str | None, PublicKey]:
    """``{"keys": [...]}`` -> ``{kid: key}``; unusable keys are skipped (with a log line)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeyError_('a JWKS document is {"keys": [...]}')
    keys: dict[str | None, PublicKey] = {}
    for entry in document["keys"]:
        try:
            key = public_key_from_jwk(entry)
        except KeyError_ as exc:
            log.info("jwks: skipping a key: %s", exc)
            continue
        kid = entry.get("kid")
        keys[kid if isinstance(kid, str) else None] = key
    return keys


def select_key(keys: dict[str | None, PublicKey], kid: str | None) -> PublicKey | None:
    """The key named ``kid``; a key stored without kid matches any kid only if it is alone."""
    if kid is not None and kid in keys:
        return keys[kid]
    if len(keys) == 1:
        only_kid, key = next(iter(keys.items()))
        if only_kid is None or kid is None:
            return key
    return None


# Dummy keys: when the partner or key is unknown we still verify a signature,
# so every rejection costs the same work (no timing oracle on partners/kids).
@lru_cache(maxsize=8)
def dummy_key(alg: str) -> PublicKey:
    family = ASYMMETRIC_ALGORITHMS.get(alg, "RSA")
    if family == "EC":
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        return ec.generate_private_key(curve).public_key()
    if family == "OKP":
        return ed25519.Ed25519PrivateKey.generate().public_key()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


@dataclass
class _JwksEntry:
    fetched_at: float = float("-inf")
    keys: dict[str | None, PublicKey] = field(default_factory=dict)


class JwksCache:
    """Per-partner cache of a JWKS URL's keys with throttled refetches."""

    def __init__(
        self,
        min_refetch_seconds: float = JWKS_MIN_REFETCH_SECONDS,
        timeout_seconds: float = JWKS_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_refetch_seconds = min_refetch_seconds
        self.clock = clock
        self.timeout_seconds = timeout_seconds
        self._entries: dict[tuple[int, str], _JwksEntry] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}
        self.fetches = 0  # observable in tests and metrics

    def clear(self) -> None:
        self._entries.clear()
        self._locks.clear()

    async def get(self, partner_id: int, url: str, kid: str | None) -> PublicKey | None:
        slot = (partner_id, url)
        entry = self._entries.get(slot)
        if entry is not None:
            key = select_key(entry.keys, kid)
            if key is not None:
                return key
        lock = self._locks.setdefault(slot, asyncio.Lock())
        async with lock:
            entry = self._entries.setdefault(slot, _JwksEntry())
            key = select_key(entry.keys, kid)
            if key is not None:
                return key
            if self.clock() - entry.fetched_at < self.min_refetch_seconds:
                return None  # throttled: an unknown kid does not reach the partner again
            entry.fetched_at = self.clock()
            fetched = await self._fetch(url)
            if fetched is not None:
                entry.keys = fetched
            return select_key(entry.keys, kid)

    async def _fetch(self, url: str) -> dict[str | None, PublicKey] | None:
        self.fetches += 1
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout_seconds, follow_redirects=False
            ) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
            if response.status_code != 200 or len(response.content) > JWKS_MAX_BYTES:
                log.warning("jwks fetch failed: HTTP %s", response.status_code)
                return None
            return parse_jwks(json.loads(response.content))
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("jwks fetch failed: %s", type(exc).__name__)
            return None


async def partner_key(
    partner: Partner | None, kid: str | None, jwks: JwksCache
) -> PublicKey | None:
    """The partner's key for ``kid``: its stored keys first, then its JWKS URL.

    Without a partner the same query runs and finds nothing (same work on every path).
    """
    stored: dict[str | None, PublicKey] = {}
    partner_id = partner.id if partner is not None else 0
    rows = await PartnerKey.filter(partner_id=partner_id).values_list("kid", "public_key_pem")
    for kid_, pem in rows:
        try:
            stored[kid_] = load_public_pem(pem)
        except KeyError_:
            log.warning("a partner has an unusable stored key (partner id %s)", partner_id)
    if partner is None:
        return None
    key = select_key(stored, kid)
    if key is None and partner.jwks_url:
        key = await jwks.get(partner.id, partner.jwks_url, kid)
    return key
