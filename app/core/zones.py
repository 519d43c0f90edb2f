"""IANA time zones: the one check of a zone name people give us, and a cached ``ZoneInfo``.

A zone name is accepted only when it is one of the names ``zoneinfo`` lists: not a bare
offset, not a file path (``ZoneInfo`` itself would read ``../`` paths of its search path),
nothing with blanks around it.
"""

from __future__ import annotations

from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

MAX_ZONE_LENGTH = 64  # Psychologist.timezone, Partner.timezone


@cache
def _names() -> frozenset[str]:
    """The zone database's names, read once per process (it scans the tzdata files)."""
    return frozenset(available_timezones())


def is_time_zone(name: object) -> bool:
    """An IANA zone name ``zoneinfo`` knows (``Europe/Moscow``, ``UTC``)."""
    return isinstance(name, str) and 0 < len(name) <= MAX_ZONE_LENGTH and name in _names()


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
