"""``viewer``: the signed-in person, or null without a token."""

from __future__ import annotations

import strawberry

from models.identity import User
from schema.context import Info
from schema.identity.types import Viewer


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description="The signed-in person; null without an access token. An invalid or "
        "expired token is a top-level UNAUTHENTICATED error."
    )
    async def viewer(self, info: Info) -> Viewer | None:
        ctx = info.context
        if ctx.auth_error is not None:
            raise ctx.auth_error
        if ctx.viewer is None:
            return None
        user = await User.get_or_none(id=ctx.viewer.user_id)
        return Viewer.from_user(user) if user else None
