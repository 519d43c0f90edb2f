"""graphql-transport-ws, with every operation authorized as it starts.

Strawberry's handler runs every operation of a socket with the one context made at
connection time. Ours keeps that context only for what the connection itself carries
(its ``connectionParams`` and the viewer ``connection_init`` was accepted for) and gives
each ``subscribe`` message a fresh ``Context`` (``Context.for_operation``):
the access token authenticated again at that moment, exactly as over HTTP (signature,
expiry, session not revoked), and dataloaders of its own. An operation refused for its
credentials ends the socket (4403) once its error is sent.

From its ack to its end the socket is registered in ``runtime.sockets``
(``app.identity.sockets``: the per-user and global caps, the sweeper that ends it
with its session). A frame that is not a JSON object of the protocol closes it with
4400 (strawberry would crash on a JSON array and leave an abnormal 1006).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Mapping
from contextlib import suppress
from functools import lru_cache
from json import JSONDecodeError
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)
from strawberry.utils.aio import aclosing

from app.core.errors import TopLevelCode, public_graphql_error
from app.identity.sockets import LiveSocket, SocketEnd
from app.web.documents import trusted_text
from app.web.limits import timed_out
from schema import MAX_TOKENS
from schema.context import Context
from schema.sharing import encoded_data

_OPTIONAL_OBJECTS = ("variables", "extensions")


def _malformed(message: object) -> str | None:
    """Why a frame is not a protocol message we can read, or None if it is one."""
    if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a string `type`"
    if message["type"] != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(message.get("id"), str) or not isinstance(payload, Mapping):
        return "A subscribe message needs a string `id` and an object `payload`"
    if not isinstance(payload.get("query"), str):
        return "The subscribe payload needs a string `query`"
    if any(not isinstance(payload.get(k), Mapping | None) for k in _OPTIONAL_OBJECTS):
        return "`variables` and `extensions` must be objects"
    if not isinstance(payload.get("operationName"), str | None):
        return "`operationName` must be a string"
    return None


class LimitedWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter (0.341) with a size limit on text frames: one over
    ``max_body_bytes`` closes the socket with 1009 (Message Too Big) before it is parsed."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = self.ws.app.state.settings.max_body_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await self.ws.receive_text()
                    if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
                        await self.ws.close(code=1009, reason="Message too big")
                        return
                    yield self.view.decode_json(text)
                except JSONDecodeError as exc:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from exc
        except KeyError as exc:  # a binary frame
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        """A ``next`` frame of a result shared by a group of subscribers (``schema.sharing``)
        reuses the JSON of its ``data``, encoded once for the whole group."""
        payload = message.get("payload") if message.get("type") == "next" else None
        if isinstance(payload, dict) and payload.keys() == {"data"}:
            data = encoded_data(payload["data"], self.view.encode_json)
            if data is not None:
                head = f'{{"id":{json.dumps(message["id"])},"type":"next","payload":{{"data":'
                frame = f"{head}{data}}}}}"
                try:
                    await self.ws.send_text(frame)
                except WebSocketDisconnect as exc:
                    raise WebSocketDisconnected from exc
                return
        await super().send_json(message)


class PsylineTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    live: LiveSocket | None = None

    async def handle_message(self, message: Message) -> None:
        reason = _malformed(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        viewer = self.context.viewer
        if self.connection_acknowledged and self.live is None and viewer is not None:
            self.live = LiveSocket(viewer=viewer, end=self.end)
            await self.context.runtime.sockets.add(self.live)

    async def shutdown(self) -> None:
        if self.live is not None:
            self.context.runtime.sockets.remove(self.live)
        await super().shutdown()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's ``run_operation`` (0.341) with a fresh context per operation."""
        context = await self.context.for_operation().authorize(
            self.context.connection_authorization
        )
        settings = context.settings
        if settings.trusted_documents_only:  # registered documents only (app.web.documents)
            trusted = await trusted_text(operation.query, None, context.locale)
            if isinstance(trusted, GraphQLError):
                await operation.send_operation_message(
                    {"id": operation.id, "type": "error", "payload": [trusted.formatted]}
                )
                return
            operation.query = trusted
        # Queries and mutations have a time limit; a subscription lives as long as its socket.
        limit = None if _is_subscription(operation) else settings.operation_timeout_seconds
        try:
            async with asyncio.timeout(limit) as deadline:
                result_source = await self.schema.stream(
                    operation.query,
                    variable_values=operation.variables,
                    context_value=context,
                    root_value=self.root_value,
                    operation_name=operation.operation_name,
                )
                async with aclosing(result_source):
                    await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except TimeoutError:
            if not deadline.expired():
                raise
            assert limit is not None
            await _finish(operation, timed_out(limit, context.locale))
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        if context.auth_error is not None:  # its credentials are dead: so is the socket
            await self.end(SocketEnd.SESSION_ENDED)

    async def end(self, why: SocketEnd) -> None:
        """End every operation (with an UNAUTHENTICATED error when the session ended),
        then close the socket with ``why``'s code."""
        current = asyncio.current_task()
        for operation in list(self.operations.values()):
            if operation.task is not None and operation.task is not current:
                operation.task.cancel()
                await asyncio.wait([operation.task])  # its finally blocks release the feeds
            error = why.error
            await _finish(
                operation,
                None
                if error is None
                else public_graphql_error(error, TopLevelCode.UNAUTHENTICATED, self.context.locale),
            )
        with suppress(Exception):
            await self.websocket.close(code=why.code, reason=why.reason)


@lru_cache(maxsize=256)
def _operation_type(query: str, operation_name: str | None) -> OperationType | None:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None  # the stream reports the syntax error
    operation = get_operation_ast(document, operation_name)
    return operation.operation if operation else None


def _is_subscription(operation: Operation[Context, None]) -> bool:
    kind = _operation_type(operation.query, operation.operation_name)
    return kind is OperationType.SUBSCRIPTION


async def _finish(operation: Operation[Context, None], error: GraphQLError | None) -> None:
    """End an operation from the server's side: its last error (if any), then complete."""
    with suppress(Exception):  # the socket may be gone already
        if error is not None:
            payload: Any = {"errors": [error.formatted]}
            await operation.send_operation_message(
                {"id": operation.id, "type": "next", "payload": payload}
            )
        await operation.send_operation_message({"id": operation.id, "type": "complete"})
