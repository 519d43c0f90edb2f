"""One cursor codec: every connection writes and validates its cursors the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.cursors import CursorCodec
from app.core.errors import BadInput
from tests.helpers import forged_cursor

PAGE = CursorCodec("P", (int, int))
WHEN = CursorCodec("W", (datetime, int))


def test_values_round_trip() -> None:
    assert PAGE.parse(PAGE.encode(7, 42)) == (7, 42)
    now = datetime(2026, 12, 6, 10, 30, tzinfo=UTC)
    assert WHEN.parse(WHEN.encode(now, 1)) == (now, 1)
    assert PAGE.parse(None) is None


def test_another_lists_cursor_is_bad_input() -> None:
    with pytest.raises(BadInput):
        PAGE.parse(WHEN.encode(datetime(2026, 1, 1, tzinfo=UTC), 1))


@pytest.mark.parametrize(
    "cursor",
    [
        forged_cursor(["P", -1, 2]),  # negative
        forged_cursor(["P", True, 2]),  # a boolean is not an int
        forged_cursor(["P", "7", 2]),
        forged_cursor(["P", 7]),
        forged_cursor({"P": 7}),
        forged_cursor(["W", "2026-01-01T00:00:00", 1]),  # naive time
        "not base64 at all!",
        "A" * 600,
    ],
)
def test_anything_else_is_bad_input(cursor: str) -> None:
    with pytest.raises(BadInput):
        PAGE.parse(cursor)
    with pytest.raises(BadInput):
        WHEN.parse(cursor)


def test_encoding_the_wrong_number_of_values_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        PAGE.encode(1)


def test_an_int_beyond_the_key_range_is_refused_but_a_64_bit_key_is_not() -> None:
    from app.core.cursors import MAX_INT, Int64

    narrow, wide = CursorCodec("N", (int,)), CursorCodec("W", (Int64,))
    assert narrow.parse(narrow.encode(MAX_INT)) == (MAX_INT,)
    with pytest.raises(BadInput):
        narrow.parse(narrow.encode(MAX_INT + 1))
    assert wide.parse(wide.encode(2**40)) == (2**40,)
    with pytest.raises(BadInput):
        wide.parse(wide.encode(2**63))
