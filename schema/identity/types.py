"""The signed-in person as GraphQL sees them.

Other domains add their fields to ``Viewer`` (``bookings``, ``careConversation``,
``checkupResults``...) as fields whose resolvers live in their own package,
referenced with ``strawberry.lazy`` to avoid import cycles.
"""

from __future__ import annotations

import strawberry

from models.identity import User
from schema.common import Role
from schema.relay import Node, to_global_id


@strawberry.type(description="The signed-in person: a client, a psychologist or staff.")
class Viewer(Node):
    role: Role
    display_name: str
    is_new_user: bool = strawberry.field(
        description="True in the response of the sign-in that registered this person."
    )
    _user: strawberry.Private[User]

    @classmethod
    def from_user(cls, user: User, *, is_new_user: bool = False) -> Viewer:
        return cls(
            id=to_global_id("User", user.id),
            role=user.role,
            display_name=user.display_name,
            is_new_user=is_new_user,
            _user=user,
        )
