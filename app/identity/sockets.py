"""Open sockets and the sessions they live by: caps, and an end when the session ends.

A socket is registered once its ``connection_init`` is accepted, with the viewer it was
opened as and an ``end`` callback. One sweeper per process (``LiveSockets.run``) looks at
every open socket each ``ws_session_check_seconds``: access tokens past their expiry
(read on the shared clock, no I/O) and sessions revoked (sign-out, refresh reuse, partner
or staff account disabled: one batched statement for all of them). Each socket whose
session ended is ended: its operations get an UNAUTHENTICATED error and it closes with
``4403``. A client continues by reconnecting with fresh ``connectionParams``.

Caps: at most ``ws_max_per_user`` sockets per user and ``ws_max_total`` per process.
Registering one over a cap ends the *oldest* (``4429``), never refuses the newest: the
app a person just opened works, the tab they forgot is the one that goes.

GraphQL-free: ``app.web.sockets`` adapts the graphql-transport-ws handler to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from app.core import clock
from app.core.messages import Msg
from app.identity import authenticate
from app.identity.sessions import active_session_ids
from app.identity.viewer import Viewer

log = logging.getLogger("psyline.sockets")


class SocketEnd(enum.Enum):
    """Why the server ends a socket: its close code and reason (graphql-transport-ws)."""

    # 4403 Forbidden: the credentials the socket was opened with are no longer valid.
    # graphql-ws clients retry it, calling ``connectionParams`` again: a fresh token.
    # Its operations get an UNAUTHENTICATED error with the message first.
    TOKEN_EXPIRED = (4403, "Access token expired; reconnect", authenticate.TOKEN_EXPIRED)
    SESSION_ENDED = (4403, "Session ended; reconnect", authenticate.SESSION_ENDED)
    # 4429: a fatal code for graphql-ws clients (they do not retry), so two devices over
    # the cap do not keep closing each other.
    REPLACED = (4429, "Too many connections for this account; the oldest was closed", None)
    SERVER_FULL = (4429, "Server connection limit reached; the oldest was closed", None)

    @property
    def code(self) -> int:
        return int(self.value[0])

    @property
    def reason(self) -> str:
        return str(self.value[1])

    @property
    def error(self) -> Msg | None:
        """The message of the UNAUTHENTICATED error its operations end with, if any."""
        message = self.value[2]
        return message if isinstance(message, Msg) else None


EndSocket = Callable[[SocketEnd], Awaitable[None]]


@dataclass(eq=False)
class LiveSocket:
    viewer: Viewer
    end: EndSocket


@dataclass
class LiveSockets:
    per_user: int = 5
    total: int = 10_000
    check_seconds: float = 5.0
    # Insertion order is age: the first entry is the oldest.
    _all: dict[LiveSocket, None] = field(default_factory=dict)
    _by_user: dict[int, dict[LiveSocket, None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._all)

    def of_user(self, user_id: int) -> int:
        return len(self._by_user.get(user_id, ()))

    async def add(self, socket: LiveSocket) -> None:
        """Register ``socket``; end the oldest sockets beyond the caps."""
        mine = self._by_user.setdefault(socket.viewer.user_id, {})
        mine[socket] = None
        self._all[socket] = None
        while len(mine) > self.per_user:
            await self._end(next(iter(mine)), SocketEnd.REPLACED)
        while len(self._all) > self.total:
            await self._end(next(iter(self._all)), SocketEnd.SERVER_FULL)

    def remove(self, socket: LiveSocket) -> None:
        self._all.pop(socket, None)
        mine = self._by_user.get(socket.viewer.user_id)
        if mine is not None:
            mine.pop(socket, None)
            if not mine:
                del self._by_user[socket.viewer.user_id]

    async def _end(self, socket: LiveSocket, why: SocketEnd) -> None:
        self.remove(socket)
        try:
            await socket.end(why)
        except Exception:  # a socket that is already gone must not stop the others
            log.warning("ending a socket failed (%s)", why.name, exc_info=True)

    def _expired(self) -> Iterator[LiveSocket]:
        now = clock.now()
        return (s for s in list(self._all) if s.viewer.expires_at <= now)

    async def sweep(self) -> int:
        """End every socket whose access token expired or whose session ended."""
        ended = 0
        for socket in self._expired():
            await self._end(socket, SocketEnd.TOKEN_EXPIRED)
            ended += 1
        sockets = list(self._all)
        if not sockets:
            return ended
        active = await active_session_ids({s.viewer.session_id for s in sockets})
        for socket in sockets:
            if socket.viewer.session_id not in active and socket in self._all:
                await self._end(socket, SocketEnd.SESSION_ENDED)
                ended += 1
        return ended

    async def run(self) -> None:
        """Sweep every ``check_seconds`` until cancelled; a failed sweep is retried."""
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.sweep()
            except Exception:  # the database away: try again next time, keep running
                log.warning("socket session sweep failed", exc_info=True)


@contextlib.asynccontextmanager
async def swept(sockets: LiveSockets) -> AsyncIterator[LiveSockets]:
    """``sockets`` with its sweeper running until the block ends."""
    task = asyncio.create_task(sockets.run(), name="psyline-socket-sweeper")
    try:
        yield sockets
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
