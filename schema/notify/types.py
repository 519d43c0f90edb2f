"""Push device types: the platform enum, the device, the payload error."""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

import strawberry

from app.notify.errors import PushDeviceErrorCode
from models import notify as m
from schema.common import PayloadError
from schema.relay import to_global_id

PushPlatform = m.PushPlatform
strawberry.enum(
    PushPlatform,
    description="Where a device's pushes go: IOS through APNs, ANDROID and WEB through FCM.",
)
strawberry.enum(PushDeviceErrorCode, description="Why a push-device action was refused.")


@strawberry.type(description="A device of the viewer that receives push notifications.")
class PushDevice:
    id: strawberry.ID = strawberry.field(
        description="Opaque ID; a token registered again by another account gets a new one."
    )
    platform: PushPlatform = strawberry.field(description="The device's push service.")

    @classmethod
    def from_model(cls, row: m.PushDevice) -> PushDevice:
        return cls(id=to_global_id("PushDevice", row.id), platform=row.platform)


@strawberry.type(description="A refused push-device action: code, message, input field at fault.")
class PushDeviceError(PayloadError):
    code_enum: ClassVar[type[Enum]] = PushDeviceErrorCode
    code: PushDeviceErrorCode
    message: str = strawberry.field(description="For developers; not for end users.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault (camelCase)."
    )
