"""A small graphql-transport-ws client for the tests (websockets library)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/graphql"


class GraphQLWS:
    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self._ids = itertools.count(1)
        self.by_id: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(message))

    async def recv(self, wait: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), wait)
        result: dict[str, Any] = json.loads(raw)
        return result

    async def init(
        self, token: str | None, wait: float = 5.0, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        payload.update(extra or {})
        await self.send({"type": "connection_init", "payload": payload})
        return await self.recv(wait)

    def start_reader(self) -> None:
        """Route incoming messages by operation id (after the ack)."""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.conn:
                message = json.loads(raw)
                if message.get("type") == "ping":
                    await self.send({"type": "pong"})
                    continue
                op_id = message.get("id")
                if op_id is not None:
                    self.by_id.setdefault(op_id, asyncio.Queue()).put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.conn.close_code
            self.closed.set()

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, op_id: str | None = None
    ) -> str:
        op_id = op_id or str(next(self._ids))
        self.by_id.setdefault(op_id, asyncio.Queue())
        await self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return op_id

    async def next(self, op_id: str, wait: float = 5.0) -> dict[str, Any]:
        """The next message of an operation (``next``, ``error`` or ``complete``)."""
        return await asyncio.wait_for(self.by_id.setdefault(op_id, asyncio.Queue()).get(), wait)

    async def data(self, op_id: str, wait: float = 5.0) -> dict[str, Any]:
        message = await self.next(op_id, wait)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def nothing(self, op_id: str, wait: float = 0.3) -> None:
        try:
            message = await self.next(op_id, wait)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete"})

    async def aclose(self) -> None:
        await self.conn.close()
        if self._reader is not None:
            await self._reader


@asynccontextmanager
async def ws_session(
    base_url: str,
    token: str | None,
    *,
    subprotocols: list[str] | None = None,
    init_wait: float = 5.0,
    init_extra: dict[str, Any] | None = None,
) -> AsyncIterator[GraphQLWS]:
    """Connected, initialised (ack checked) and routing messages by id."""
    async with raw_ws(base_url, subprotocols=subprotocols) as client:
        ack = await client.init(token, init_wait, init_extra)
        assert ack["type"] == "connection_ack", ack
        client.start_reader()
        try:
            yield client
        finally:
            await client.aclose()


@asynccontextmanager
async def raw_ws(
    base_url: str, *, subprotocols: list[str] | None = None
) -> AsyncIterator[GraphQLWS]:
    async with connect(
        ws_url(base_url),
        subprotocols=subprotocols or [PROTOCOL],  # type: ignore[list-item]
        open_timeout=10,
    ) as conn:
        yield GraphQLWS(conn)


async def closed_with(client: GraphQLWS, wait: float = 5.0) -> int | None:
    """Wait until the server closes the socket; return the close code."""
    try:
        while True:
            await asyncio.wait_for(client.conn.recv(), wait)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
