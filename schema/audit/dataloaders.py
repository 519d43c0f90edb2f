"""Per-request loaders of the audit log: the staff behind the entries."""

from __future__ import annotations

from models.identity import User
from schema.context import Loader
from schema.loader import index_by


class StaffById(Loader[int, User | None]):
    """The people who made changes (only their name, email and role are shown)."""

    async def load_batch(self, keys: list[int]) -> list[User | None]:
        return index_by(await User.filter(id__in=keys), keys)
