"""Push device mutations: register and unregister the viewer's device token.

The rules live in ``app.notify.devices``; refusals become payload ``errors`` in one
place (``schema.common.mutation``). Clients only: anyone else gets a top-level FORBIDDEN,
an anonymous caller UNAUTHENTICATED.
"""

from __future__ import annotations

import strawberry

from app.notify import devices as svc
from schema.common import mutation, payload
from schema.context import Info
from schema.notify.types import PushDevice, PushDeviceError, PushPlatform


@strawberry.input(description="A device token from APNs (iOS) or FCM (Android, web).")
class RegisterPushDeviceInput:
    platform: PushPlatform = strawberry.field(description="The service the token is from.")
    token: str = strawberry.field(
        description="The token exactly as the service issued it: 16-512 characters, letters, "
        "digits and : _ - . (hexadecimal for IOS). Registering it again is harmless; a token "
        "another account registered before moves to this one."
    )


@payload(PushDeviceError, description="The result of registerPushDevice.")
class RegisterPushDevicePayload:
    device: PushDevice | None = None


@strawberry.input(description="A device token that should get no more pushes.")
class UnregisterPushDeviceInput:
    token: str = strawberry.field(description="The token registered before.")


@payload(PushDeviceError, description="The result of unregisterPushDevice.")
class UnregisterPushDevicePayload:
    removed: bool = strawberry.field(
        default=False,
        description="True when the viewer had this token; false for any other (idempotent).",
    )


@strawberry.type
class NotifyMutation:
    @mutation(
        description="Registers the signed-in client's device for push notifications "
        "(idempotent per token). A client keeps at most 10 devices: one more drops the one "
        "least recently registered."
    )
    async def register_push_device(
        self, info: Info, input: RegisterPushDeviceInput
    ) -> RegisterPushDevicePayload:
        viewer = info.context.require_viewer()
        row = await svc.register_device(viewer, input.platform, input.token)
        return RegisterPushDevicePayload(device=PushDevice.from_model(row))

    @mutation(description="Stops push notifications to one of the viewer's devices.")
    async def unregister_push_device(
        self, info: Info, input: UnregisterPushDeviceInput
    ) -> UnregisterPushDevicePayload:
        viewer = info.context.require_viewer()
        return UnregisterPushDevicePayload(removed=await svc.unregister_device(viewer, input.token))
