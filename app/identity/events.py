"""What identity tells other domains (``app.core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from models.identity import Partner, User


@dataclass(frozen=True)
class UserRegistered:
    """A new client was committed on their first partner sign-in."""

    user: User
    partner: Partner
