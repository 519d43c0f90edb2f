"""Sign-in, session refresh, sign-out, staff sign-in.

Resolvers are thin: ``app.identity`` holds the rules; ``schema.common.mutation`` turns a
refusal into the payload's ``errors`` with an ``IdentityErrorCode``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import ClassVar

import strawberry

from app.identity.errors import IdentityErrorCode
from app.identity.sessions import IssuedSession, refresh_session, sign_out
from app.identity.signin import sign_in_with_partner
from app.identity.staff import sign_in_staff
from schema.common import PayloadError, mutation, payload
from schema.context import Info
from schema.identity.types import Viewer

strawberry.enum(
    IdentityErrorCode,
    description="Why a sign-in, refresh or sign-out was refused (stable codes).",
)


@strawberry.type(description="A refused identity operation.")
class IdentityError(PayloadError):
    code_enum: ClassVar[type[Enum]] = IdentityErrorCode
    code: IdentityErrorCode
    message: str = strawberry.field(description="For developers; not for end users.")
    field: str | None = strawberry.field(default=None, description="The input field at fault.")


@strawberry.type(description="Our session: a short access token and a one-time refresh token.")
class SessionTokens:
    access_token: str = strawberry.field(
        description="Send as `Authorization: Bearer <accessToken>` (HTTP) or in the "
        "WebSocket connection_init payload `{Authorization: 'Bearer ...'}`. Lives 15 minutes."
    )
    access_token_expires_at: datetime = strawberry.field(description="When to refresh.")
    refresh_token: str = strawberry.field(
        description="Single use: refreshSession returns a new one. Using one twice ends the "
        "session (theft detection). Keep it in the platform's secure storage."
    )

    @classmethod
    def of(cls, issued: IssuedSession) -> SessionTokens:
        return cls(
            access_token=issued.access_token,
            access_token_expires_at=issued.access_token_expires_at,
            refresh_token=issued.refresh_token,
        )


@payload(IdentityError, description="The result of signInWithPartner.")
class SignInPayload:
    session: SessionTokens | None = None
    viewer: Viewer | None = strawberry.field(
        default=None, description="The signed-in person; `isNewUser` is true on registration."
    )


@payload(IdentityError, description="The result of refreshSession.")
class RefreshSessionPayload:
    session: SessionTokens | None = None


@payload(IdentityError, description="The result of signInStaff.")
class StaffSignInPayload:
    session: SessionTokens | None = None
    viewer: Viewer | None = None


@payload(IdentityError, description="The result of signOut.")
class SignOutPayload:
    ok: bool = False


@strawberry.input(description="The partner's sign-in JWT, as its backend minted it.")
class SignInWithPartnerInput:
    partner_token: str = strawberry.field(description="A JWT of at most 8 KB.")


@strawberry.input(description="The refresh token of the last SessionTokens received.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="Valid once; the answer carries the next.")


@strawberry.input(description="A staff member's credentials.")
class SignInStaffInput:
    email: str = strawberry.field(description="Case-insensitive.")
    password: str = strawberry.field(
        description="After 5 failures in a row the account is locked for 1 minute, doubling "
        "with each further failure (up to 1 hour)."
    )


@strawberry.input(description="Which session to end.")
class SignOutInput:
    refresh_token: str | None = strawberry.field(
        default=None,
        description="The session to end; without it, the session of the access token.",
    )


@strawberry.type
class IdentityMutation:
    @mutation(
        description="Exchange the partner's short-lived JWT for our session; registers the "
        "person on their first sign-in (`viewer.isNewUser`)."
    )
    async def sign_in_with_partner(
        self, info: Info, input: SignInWithPartnerInput
    ) -> SignInPayload:
        await info.context.throttle(("partner_sign_in_ip", info.context.client_ip))
        result = await sign_in_with_partner(
            info.context.settings, info.context.runtime.identity, input.partner_token
        )
        return SignInPayload(
            session=SessionTokens.of(result.session),
            viewer=Viewer.from_user(result.user, is_new_user=result.is_new_user),
        )

    @mutation(description="Rotate the refresh token and get a new access token.")
    async def refresh_session(
        self, info: Info, input: RefreshSessionInput
    ) -> RefreshSessionPayload:
        await info.context.throttle(("refresh_ip", info.context.client_ip))
        issued = await refresh_session(info.context.settings, input.refresh_token)
        return RefreshSessionPayload(session=SessionTokens.of(issued))

    @mutation(
        description="End a session: the one of `refreshToken`, or else the current one. Its "
        "access tokens stop working at once."
    )
    async def sign_out(self, info: Info, input: SignOutInput | None = None) -> SignOutPayload:
        ctx = info.context
        refresh = input.refresh_token if input else None
        if not refresh:
            viewer = ctx.require_viewer()
            return SignOutPayload(ok=await sign_out(viewer.session_id, None))
        return SignOutPayload(ok=await sign_out(None, refresh))

    @mutation(description="Staff (care agents, admins, psychologists) sign in.")
    async def sign_in_staff(self, info: Info, input: SignInStaffInput) -> StaffSignInPayload:
        result = await sign_in_staff(
            info.context.settings,
            input.email,
            input.password,
            limits=info.context.runtime.limits,
            ip=info.context.client_ip,
        )
        return StaffSignInPayload(
            session=SessionTokens.of(result.session), viewer=Viewer.from_user(result.user)
        )
