"""Faults: the tests start servers of their own (PostgreSQL, Redis) and stop them."""

from __future__ import annotations

import os
from typing import TypeVar

import pytest

T = TypeVar("T")


def required(found: T | None, what: str) -> T:
    """``found``, or a skip saying ``what`` is missing (a failure in CI, where
    ``PSYLINE_REQUIRE_FAULT_SERVERS`` is set: these tests must run there)."""
    if found is None:
        reason = f"needs {what}"
        if os.environ.get("PSYLINE_REQUIRE_FAULT_SERVERS"):
            pytest.fail(reason + "; PSYLINE_REQUIRE_FAULT_SERVERS is set, so these tests must run")
        pytest.skip(reason)
    return found
