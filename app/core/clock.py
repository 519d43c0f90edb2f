"""The one clock the services share: ``now()`` is aware UTC.

Services take ``now`` from here (or as an argument from a caller that read it here);
tests move it with ``time-machine`` instead of sleeping or writing past dates by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
