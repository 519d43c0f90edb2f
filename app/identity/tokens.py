"""Our access tokens: short-lived EdDSA JWTs carrying user id, role and session id.

The signing key is an Ed25519 private key in PEM. In development it is generated
once into ``var/jwt_ed25519.pem``; production requires ``JWT_PRIVATE_KEY``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core import clock
from app.core.errors import AuthError
from app.core.messages import Msg
from app.core.settings import Settings
from app.identity.viewer import Viewer
from models.enums import Role

ISSUER = "psyline"
AUDIENCE = "psyline-api"
ALGORITHM = "EdDSA"
MAX_TOKEN_BYTES = 8192


@dataclass(frozen=True)
class KeyPair:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey


@lru_cache(maxsize=8)
def _load_pem(pem: str) -> KeyPair:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("JWT_PRIVATE_KEY must be an Ed25519 private key (PEM)")
    return KeyPair(key, key.public_key())


def ed25519_pem_file(path: Path) -> str:
    """The Ed25519 private key PEM at ``path``, generated there (mode 0600) if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _dev_key_pem(var_dir: Path) -> str:
    """Read once per process: ``signing_keys`` runs on every request."""
    return ed25519_pem_file(var_dir / "jwt_ed25519.pem")


def signing_keys(settings: Settings) -> KeyPair:
    pem = settings.jwt_private_key_pem or _dev_key_pem(settings.var_dir)
    return _load_pem(pem)


def issue_access_token(
    settings: Settings, *, user_id: int, role: Role, session_id: str, now: datetime | None = None
) -> tuple[str, datetime]:
    now = now or clock.now()
    expires = now + timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "role": role.value,
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, signing_keys(settings).private, algorithm=ALGORITHM)
    return token, expires.replace(microsecond=0)


def decode_access_token(settings: Settings, token: str) -> Viewer:
    """Verify one of our access tokens; raise ``AuthError`` (UNAUTHENTICATED) otherwise."""
    if len(token) > MAX_TOKEN_BYTES:
        raise AuthError(Msg.ACCESS_TOKEN_INVALID)
    try:
        claims = jwt.decode(
            token,
            signing_keys(settings).public,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=5,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "sid"]},
        )
        return Viewer(
            user_id=int(claims["sub"]),
            role=Role(claims["role"]),
            session_id=str(claims["sid"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError(Msg.ACCESS_TOKEN_EXPIRED) from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise AuthError(Msg.ACCESS_TOKEN_INVALID) from exc


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError(Msg.BEARER_FORMAT)
    return value.strip()
