"""HTTP caching: content-hashed static assets, ETags and ``304 Not Modified``.

- ``StaticAssets``: every ``.js`` and ``.css`` under ``app/web/static`` is read once at
  start, named by its content (``/static/graphiql/boot.<sha256:12>.js``) and held with
  its brotli and gzip forms (the vendor bundles' were made once by ``fetch-assets``,
  at the best levels; our own small files are compressed here). Those URLs answer with
  ``Cache-Control: public, max-age=31536000, immutable``, a strong ``ETag`` per coding
  and ``304`` on ``If-None-Match``; the pages reference them through ``url()``. Any other
  ``/static`` path goes to Starlette's ``StaticFiles`` as before.
- ``Conditional``: an answer whose handler chose ``Cache-Control: public...`` or
  ``no-cache`` (the HTML pages, anonymous public GETs of ``/graphql``) gets a weak
  ``ETag`` over its body (weak: the same tag covers its gzip and brotli forms) and a
  ``304`` without body when the request's ``If-None-Match`` names it.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli  # type: ignore[import-untyped]  # no stubs
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.compression import MINIMUM_SIZE, accepted

IMMUTABLE = "public, max-age=31536000, immutable"
SUFFIXES = (".js", ".css")
SIDECAR_CODINGS = {"br": ".br", "gzip": ".gz"}


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def sidecar(path: Path, digest: str, coding: str) -> Path:
    """Where ``fetch-assets`` keeps a file's compressed form (named by its content)."""
    return path.with_name(f"{path.name}.{digest}{SIDECAR_CODINGS[coding]}")


def compress(data: bytes, coding: str, *, best: bool) -> bytes:
    if coding == "br":
        return bytes(brotli.compress(data, quality=11 if best else 5))
    return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)


def write_sidecars(path: Path) -> None:
    """Compress one file at the best levels, once (``python -m app fetch-assets``)."""
    data = path.read_bytes()
    digest = digest_of(data)
    for coding in SIDECAR_CODINGS:
        target = sidecar(path, digest, coding)
        if not target.exists():
            target.write_bytes(compress(data, coding, best=True))


def sidecars_present(path: Path) -> bool:
    digest = digest_of(path.read_bytes())
    return all(sidecar(path, digest, c).exists() for c in SIDECAR_CODINGS)


@dataclass(frozen=True)
class Asset:
    media_type: str
    digest: str
    bodies: dict[str | None, bytes]  # by coding; None: identity

    def etag(self, coding: str | None) -> str:
        return f'"{self.digest}"' if coding is None else f'"{self.digest}-{coding}"'


@lru_cache(maxsize=64)
def _load(path: Path, size: int, mtime_ns: int) -> Asset:
    """One file, compressed once per process (whatever the number of apps)."""
    data = path.read_bytes()
    digest = digest_of(data)
    bodies: dict[str | None, bytes] = {None: data}
    if len(data) < MINIMUM_SIZE:  # a compressed form would not be smaller
        return Asset(_media_type(path), digest, bodies)
    for coding in SIDECAR_CODINGS:
        ready = sidecar(path, digest, coding)
        # Small files: the best level costs nothing; big ones without a sidecar (assets
        # fetched by an older version) get a quick level until fetch-assets runs again.
        bodies[coding] = (
            ready.read_bytes()
            if ready.exists()
            else compress(data, coding, best=len(data) < 256 * 1024)
        )
    return Asset(_media_type(path), digest, bodies)


def _media_type(path: Path) -> str:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{media_type}; charset=utf-8"


def hashed_name(rel: str, digest: str) -> str:
    stem, dot, suffix = rel.rpartition(".")
    return f"{stem}.{digest}{dot}{suffix}"


def if_none_match(headers: Headers, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for it)."""
    raw = headers.get("if-none-match")
    if raw is None:
        return False
    if raw.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in raw.split(","))


class StaticAssets:
    """``/static``: content-hashed assets from memory, anything else from ``fallback``."""

    def __init__(self, directory: Path, fallback: ASGIApp) -> None:
        self.fallback = fallback
        self.by_url: dict[str, Asset] = {}  # "/graphiql/boot.<digest>.js" -> asset
        self.urls: dict[str, str] = {}  # "/static/graphiql/boot.js" -> its hashed URL
        if not directory.is_dir():
            return
        for path in sorted(directory.rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            stat = path.stat()
            asset = _load(path, stat.st_size, stat.st_mtime_ns)
            rel = path.relative_to(directory).as_posix()
            hashed = "/" + hashed_name(rel, asset.digest)
            self.by_url[hashed] = asset
            self.urls[f"/static/{rel}"] = f"/static{hashed}"

    def url(self, path: str) -> str:
        """The content-hashed URL of ``/static/...`` (unchanged when it is not an asset)."""
        return self.urls.get(path, path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Mounted at /static: the path below the mount (as StaticFiles reads it).
        asset = self.by_url.get(scope["path"].removeprefix(scope.get("root_path", "")))
        if asset is None or scope.get("method") not in ("GET", "HEAD"):
            await self.fallback(scope, receive, send)
            return
        coding = accepted(scope["headers"])  # chosen by app.web.compression
        if coding not in asset.bodies:
            coding = None  # too small to be worth it
        etag = asset.etag(coding)
        headers = {
            "cache-control": IMMUTABLE,
            "etag": etag,
            "vary": "Accept-Encoding",
            "content-type": asset.media_type,
        }
        if coding is not None:
            headers["content-encoding"] = coding
        body = asset.bodies[coding]
        status = 200
        if if_none_match(Headers(scope=scope), etag):
            status, body = 304, b""
            del headers["content-type"]
        else:
            headers["content-length"] = str(len(body))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


def _revalidated(cache_control: str) -> bool:
    directives = {d.strip().split("=")[0].lower() for d in cache_control.split(",")}
    return bool(directives & {"public", "no-cache"}) and "no-store" not in directives


class Conditional:
    """A weak ``ETag`` over the body of answers meant to be revalidated, and ``304``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        start: Message | None = None
        parts: list[bytes] = []

        async def send_with_etag(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                if (
                    message["status"] == 200
                    and "etag" not in headers
                    and "content-encoding" not in headers
                    and _revalidated(headers.get("cache-control", ""))
                ):
                    start = message  # held until the whole body is known
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(parts)
            etag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
            headers = MutableHeaders(scope=start)
            headers["etag"] = etag
            if if_none_match(request_headers, etag):
                start["status"] = 304
                body = b""
                for name in ("content-length", "content-type"):
                    if name in headers:
                        del headers[name]
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_with_etag)
