"""Who is calling: the result of authenticating a request or a WebSocket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.policy import is_care_team
from models.enums import Role


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: Role
    session_id: str
    expires_at: datetime

    @property
    def is_staff(self) -> bool:
        """The care team (``app.policy.CARE_TEAM_ROLES``)."""
        return is_care_team(self)
