"""Why a push-device action was refused: the stable codes of ``PushDeviceError``."""

from __future__ import annotations

from enum import StrEnum


class PushDeviceErrorCode(StrEnum):
    INVALID_PUSH_TOKEN = "INVALID_PUSH_TOKEN"  # noqa: S105 - a code, not a secret
