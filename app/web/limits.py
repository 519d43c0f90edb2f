"""Request bodies are bounded while they are read, before anything parses them; the work
of a client that went away, or that ran past its time, stops.

``BodyLimit`` answers 413 when ``Content-Length`` says the body is over ``max_bytes``,
or as soon as the bytes received pass it (chunked uploads); otherwise the application
gets the body, already read, exactly as the client sent it. Nothing else is buffered:
the limit is small (64 KB by default, ``MAX_BODY_BYTES``). Then it keeps listening: if
the client disconnects before the answer is sent, the request's task is cancelled
(its open transaction rolls back), so nobody computes answers nobody will read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from graphql import GraphQLError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import TopLevelCode, public_graphql_error
from app.core.messages import Locale, Msg
from app.web.dialect import HTTPRefusal, refusal_response


def _refusal(status: int, message: str) -> Response:
    return refusal_response(HTTPRefusal(status, message))


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = _refusal(413, f"The request body is over {self.max_bytes} bytes.")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refusal(400, "Invalid Content-Length.")(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await _cancelled_on_disconnect(self.app(scope, _replay(b"".join(chunks)), send), receive)


def _replay(body: bytes) -> Receive:
    """The body, already read; after it, nothing until the request ends (the watcher below
    owns the real ``receive``)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # cancelled with the request
        raise AssertionError("unreachable")  # pragma: no cover

    return receive


async def _cancelled_on_disconnect(handler: Awaitable[None], receive: Receive) -> None:
    """Run ``handler``; cancel it if the client disconnects first."""
    work = asyncio.ensure_future(handler)

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not work.done():
            work.cancel()  # the client left (or we are being cancelled ourselves)
        await asyncio.wait({work, watcher})
    if not work.cancelled():
        work.result()  # re-raise what the handler raised


def timed_out(limit_seconds: float, locale: Locale) -> GraphQLError:
    """What an operation that ran past its time limit answers (its work was cancelled)."""
    return public_graphql_error(
        Msg.TIMEOUT(seconds=f"{limit_seconds:g}"),
        TopLevelCode.TIMEOUT,
        locale,
        limitSeconds=limit_seconds,
    )
