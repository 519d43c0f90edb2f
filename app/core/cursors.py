"""Opaque cursors: URL-safe base64 of a small JSON list ``[tag, value, ...]``.

Each kind of cursor is one ``CursorCodec``: its tag and the types of its values
(non-negative ``int`` up to 2**31 - 1, the range of our integer keys and of epoch
seconds until 2038; ``Int64`` for 64-bit keys; ``str``; aware ``datetime`` as ISO text).
The codec both writes and validates, so a cursor of another list, a forged one or
garbage is one clear ``BAD_USER_INPUT``, whatever connection it is sent to.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.errors import BadInput
from app.core.messages import Msg

INVALID = Msg.INVALID_PAGE_CURSOR
MAX_TEXT = 512
# A cursor's value is compared with a column; PostgreSQL's driver refuses a parameter out
# of the column's range with an error, so a forged value beyond it is refused here.
MAX_INT = 2**31 - 1
MAX_INT64 = 2**63 - 1


class Int64:
    """The kind of a cursor value compared with a 64-bit column (``BigIntField``)."""


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ValueError("too long")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_cursor(cursor: str | None) -> Any:
    """The JSON payload of a cursor (None for none); BadInput for anything else."""
    if cursor is None:
        return None
    try:
        return json.loads(b64decode(cursor))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadInput(INVALID) from exc


def _read(value: Any, kind: type) -> Any:
    """``value`` as ``kind``, or raise ValueError."""
    if kind is int or kind is Int64:
        limit = MAX_INT64 if kind is Int64 else MAX_INT
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit:
            return value
    elif kind is str:
        if isinstance(value, str):
            return value
    elif kind is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed
    raise ValueError(value)


@dataclass(frozen=True)
class CursorCodec:
    tag: str
    kinds: tuple[type, ...]
    message: Msg = INVALID

    def encode(self, *values: Any) -> str:
        if len(values) != len(self.kinds):
            raise TypeError(f"{self.tag} cursors hold {len(self.kinds)} values")
        payload = [self.tag, *(v.isoformat() if isinstance(v, datetime) else v for v in values)]
        return b64encode(json.dumps(payload, separators=(",", ":")).encode())

    def match(self, payload: Any) -> tuple[Any, ...] | None:
        """The values of a decoded payload of this kind, else None (never raises)."""
        if (
            not isinstance(payload, list)
            or len(payload) != 1 + len(self.kinds)
            or payload[0] != self.tag
        ):
            return None
        try:
            return tuple(_read(v, k) for v, k in zip(payload[1:], self.kinds, strict=True))
        except ValueError:
            return None

    def read(self, payload: Any) -> tuple[Any, ...] | None:
        """The values of a decoded payload (``PageArgs.cursor``); None for no cursor."""
        if payload is None:
            return None
        values = self.match(payload)
        if values is None:
            raise BadInput(self.message)
        return values

    def parse(self, text: str | None) -> tuple[Any, ...] | None:
        """The values of a cursor string; None for no cursor; BadInput for another's."""
        return self.read(decode_cursor(text))
