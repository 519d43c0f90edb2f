"""The signed-in person as GraphQL sees them.

Other domains add their fields to ``Viewer`` (``bookings``, ``careConversation``,
``checkupResults``...) as fields whose resolvers live in their own package,
referenced with ``strawberry.lazy`` to avoid import cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from models.identity import User
from schema.common import Role
from schema.context import Info
from schema.cost import list_of, page
from schema.relay import MAX_PAGE_SIZE, Node, to_global_id

if TYPE_CHECKING:
    from schema.booking.types import BookingConnection
    from schema.chat.types import CareConversation
    from schema.checkup.types import CheckupResult


@strawberry.type(description="The signed-in person: a client, a psychologist or staff.")
class Viewer(Node):
    role: Role
    display_name: str
    is_new_user: bool = strawberry.field(
        description="True in the response of the sign-in that registered this person."
    )
    _user: strawberry.Private[User]

    @strawberry.field(
        description="The client's conversation with the care team, created with a welcome "
        "message on first use; null for staff and psychologists."
    )
    async def care_conversation(
        self, info: Info
    ) -> Annotated[CareConversation, strawberry.lazy("schema.chat.types")] | None:
        from schema.chat.types import resolve_viewer_conversation

        return await resolve_viewer_conversation(info, self._user)

    @strawberry.field(
        description="The viewer's bookings: upcoming first (soonest first), then past and "
        "cancelled ones (latest first). At most 100 per page.",
        directives=page(MAX_PAGE_SIZE, weight=2),
    )
    async def bookings(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Annotated[BookingConnection, strawberry.lazy("schema.booking.types")]:
        from schema.booking.queries import viewer_bookings

        return await viewer_bookings(info, self._user, first, after)

    @strawberry.field(
        description="The client's checkup results with their promo codes, newest first "
        "(at most 20); empty for staff and psychologists.",
        directives=list_of(20, weight=2),
    )
    async def checkup_results(
        self, info: Info
    ) -> list[Annotated[CheckupResult, strawberry.lazy("schema.checkup.types")]]:
        from schema.checkup.queries import viewer_checkup_results

        return await viewer_checkup_results(info, self._user)

    @classmethod
    def from_user(cls, user: User, *, is_new_user: bool = False) -> Viewer:
        return cls(
            id=to_global_id("User", user.id),
            role=user.role,
            display_name=user.display_name,
            is_new_user=is_new_user,
            _user=user,
        )
