"""Test data factories shared by the domain test suites.

``signed_in`` gives a user and a valid access token. It goes through the same
session machinery as a real sign-in, so revocation checks accept it.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from dataclasses import dataclass

from app.core.settings import Settings
from app.identity.sessions import start_session
from models.enums import Role
from models.identity import User

# A random start per test session, so that a re-run against the same database
# (a kept PostgreSQL test database) does not collide with the previous run's phones.
_phones = itertools.count(1_000_000 + secrets.randbelow(8_000_000))


@dataclass
class SignedIn:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def next_phone() -> str:
    return f"+7999{next(_phones):07d}"


async def signed_in(
    settings: Settings, role: Role = Role.CLIENT, display_name: str = "Тест"
) -> SignedIn:
    if role == Role.CLIENT:
        user = await User.create(role=role, phone_e164=next_phone(), display_name=display_name)
    else:
        user = await User.create(
            role=role, email=f"{uuid.uuid4().hex[:12]}@staff.test", display_name=display_name
        )
    issued = await start_session(settings, user)
    return SignedIn(user=user, token=issued.access_token)


async def fresh_token(settings: Settings, user: User) -> str:
    """A new access token for ``user``: after a jump in time the old one has expired."""
    return (await start_session(settings, user)).access_token
