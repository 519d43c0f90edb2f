"""Who is calling: the result of authenticating a request or a WebSocket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.enums import Role


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: Role
    session_id: str
    expires_at: datetime

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.CARE_AGENT, Role.ADMIN)
