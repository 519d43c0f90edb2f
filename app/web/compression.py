"""Response compression: brotli or gzip, chosen by ``Accept-Encoding``.

The encoders are starlette-compress's (``CompressMiddleware``): it skips answers under
the threshold, already encoded ones (``Content-Encoding`` set: the precompressed static
assets), 204/304, ranges and incompressible types, streams without buffering (flushing
each event of ``text/event-stream``) and adds ``Vary: Accept-Encoding``. It never sees a
WebSocket. What it does not do is weigh q-values (it ranks its codings in a fixed order
whatever the client prefers), so the choice is ours: the coding with the highest q wins,
``br`` on a tie; ``q=0`` (also through ``*;q=0``) or a malformed q refuses a coding;
nothing acceptable means identity (never a 406). The request then reaches the
application with ``Accept-Encoding`` narrowed to that one coding (or none), so the
encoder and the static assets (``app.web.caching``) agree on it. zstd is not offered:
mobile HTTP stacks do not send it, and brotli is smaller on our JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette_compress import CompressMiddleware

MINIMUM_SIZE = 1024  # smaller answers go out as they are
CODINGS = ("br", "gzip")  # our preference among the codings a client weighs equally
ALIASES = {"x-gzip": "gzip"}


def _quality(params: str) -> float | None:
    """The item's q (1 without one); None when it is malformed or out of range."""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None
    return 1.0


@lru_cache(maxsize=256)
def choose_encoding(accept_encoding: str) -> str | None:
    """The coding to answer with, or None for identity."""
    weights: dict[str, float] = {}
    wildcard = 0.0
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        name = ALIASES.get(name, name)
        quality = _quality(params)
        if not name or quality is None:
            continue
        if name == "*":
            wildcard = quality
        else:
            weights[name] = quality
    best: str | None = None
    best_q = 0.0
    for coding in CODINGS:  # in preference order: a later one must weigh strictly more
        q = weights.get(coding, wildcard)
        if q > best_q:
            best, best_q = coding, q
    return best


def accepted(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The coding ``Compression`` chose for this request (None: identity)."""
    for name, value in headers:
        if name == b"accept-encoding":
            coding = value.decode("latin-1")
            return coding if coding in CODINGS else None
    return None


class Compression:
    """Compress HTTP answers over ``MINIMUM_SIZE`` bytes in the client's best coding."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        # brotli 5 / gzip 6: dynamic answers, so speed matters as much as size.
        self.compress = CompressMiddleware(
            app, minimum_size=minimum_size, zstd=False, brotli_quality=5, gzip_level=6
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = b",".join(v for k, v in scope["headers"] if k == b"accept-encoding")
        chosen = choose_encoding(raw.decode("latin-1")) if raw else None
        headers = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        if chosen is not None:
            headers.append((b"accept-encoding", chosen.encode()))
        await self.compress({**scope, "headers": headers}, receive, send)
