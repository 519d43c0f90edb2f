"""The services' one clock moves with time-machine: no sleeping, no hand-dated rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.core import clock


def test_the_clock_is_aware_utc_and_follows_time_machine() -> None:
    moment = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        assert clock.now() == moment
    assert clock.now().tzinfo is UTC
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
