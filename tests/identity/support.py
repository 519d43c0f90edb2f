"""Test partners and token minting for the identity suite."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.identity.keys import pem_of
from models.identity import Partner, PartnerKey, User
from tests.factories import next_phone
from tests.helpers import op

AUDIENCE = "psyline"  # Settings.partner_token_audience default
# A fresh valid Russian mobile number, never used by another test (the shared counter).
new_phone = next_phone


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class FakePartner:
    partner: Partner
    key: Any
    kid: str = "k1"
    alg: str = "RS256"
    extra_keys: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.partner.issuer

    def claims(self, phone: str | None = None, **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            "jti": uuid.uuid4().hex,
            "phone_number": phone or new_phone(),
            "sub": f"partner-user-{uuid.uuid4().hex[:6]}",
        }
        for name, value in overrides.items():
            if value is DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def mint(
        self,
        phone: str | None = None,
        *,
        key: Any = None,
        alg: str | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        hdrs = {"kid": self.kid}
        hdrs.update(headers or {})
        return jwt.encode(
            self.claims(phone, **claims), key or self.key, algorithm=alg or self.alg, headers=hdrs
        )


DROP = object()


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    segments = [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode())]
    return ".".join(segments) + "."


def hs256_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(sig)


async def make_partner(
    *,
    key: Any = None,
    alg: str = "RS256",
    algorithms: str = "RS256,ES256",
    kid: str = "k1",
    audience: str | None = None,
    jwks_url: str | None = None,
    enabled: bool = True,
) -> FakePartner:
    suffix = uuid.uuid4().hex[:8]
    partner = await Partner.create(
        name=f"test-{suffix}",
        issuer=f"https://partner-{suffix}.example",
        audience=audience,
        algorithms=algorithms,
        jwks_url=jwks_url,
        enabled=enabled,
    )
    key = key if key is not None else rsa_key()
    if jwks_url is None:
        await PartnerKey.create(partner=partner, kid=kid, public_key_pem=pem_of(key.public_key()))
    return FakePartner(partner=partner, key=key, kid=kid, alg=alg)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


async def run_op(
    client: httpx.AsyncClient, name: str, variables: dict[str, Any], field: str
) -> dict[str, Any]:
    """Contract operation ``name`` without top-level errors; ``data[field]``.

    ``json.dumps`` (ensure_ascii): hostile strings (lone surrogates) travel as JSON
    escapes, which httpx's own ``json=`` encoding cannot send.
    """
    body = json.dumps({"query": op(name), "variables": variables})
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    payload = response.json()
    assert not payload.get("errors"), payload.get("errors")
    result: dict[str, Any] = payload["data"][field]
    return result


async def sign_in(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    return await run_op(client, "SignIn", {"token": token}, "signInWithPartner")


async def user_count() -> int:
    return await User.all().count()
