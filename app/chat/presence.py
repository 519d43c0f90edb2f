"""Which clients follow their own care conversation live in this process.

A care-team reply is pushed to the client only when they are not watching it: the chat
asks at the reply (``app.chat.service.send_message``) and writes the push in the reply's
transaction. ``messageAdded`` marks its client as following for as long as it runs.

Per process: with several server processes a client watching through another one gets
the push anyway, an extra buzz rather than a missed reply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class LivePresence:
    _following: Counter[int] = field(default_factory=Counter)

    @contextmanager
    def following(self, user_id: int) -> Iterator[None]:
        self._following[user_id] += 1
        try:
            yield
        finally:
            self._following[user_id] -= 1
            if self._following[user_id] <= 0:
                del self._following[user_id]

    def is_live(self, user_id: int) -> bool:
        return self._following[user_id] > 0
