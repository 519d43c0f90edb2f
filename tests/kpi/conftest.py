"""Fixtures of the KPI tests: the booking suite's psychologists with controlled schedules."""

from __future__ import annotations

from tests.booking.conftest import make_psychologist

__all__ = ["make_psychologist"]
