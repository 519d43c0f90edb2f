"""What partner sign-in keeps while the app runs: the JWKS cache and the purge throttle.

One ``IdentityRuntime`` per process, part of ``app.runtime.Runtime``; the sign-in service
takes it as an argument (nothing in module globals), so a test builds its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.identity.keys import JwksCache

PURGE_EVERY_SECONDS = 300.0


@dataclass
class Every:
    """``due()`` is true at most once per ``seconds`` (the first call always)."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    _last: float = float("-inf")

    def due(self) -> bool:
        if self.clock() - self._last < self.seconds:
            return False
        self._last = self.clock()
        return True


@dataclass
class IdentityRuntime:
    jwks: JwksCache = field(default_factory=JwksCache)
    # Used jtis past their expiry are deleted by a sign-in at most every 5 minutes.
    purge_used_jtis: Every = field(default_factory=lambda: Every(PURGE_EVERY_SECONDS))
