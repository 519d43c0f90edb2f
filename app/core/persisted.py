"""Automatic persisted queries, as Apollo's ``PersistedQueryLink`` speaks them.

A request carries ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``,
over POST or GET, with or without ``query``:

- without ``query``: the stored text of that hash runs; an unknown hash answers (HTTP 200)
  ``errors[0].message == "PersistedQueryNotFound"`` with
  ``extensions.code == "PERSISTED_QUERY_NOT_FOUND"``, and the client retries with the
  text;
- with ``query``: its SHA-256 must equal the hash (else ``PERSISTED_QUERY_HASH_MISMATCH``);
  the text is stored, then runs.

A GET runs queries only (mutations are refused as for any GET). The store is bounded: an
LRU of ``MAX_ENTRIES`` texts in this process, or Redis with ``REDIS_URL`` (every worker
shares it; entries expire after ``REDIS_TTL_SECONDS`` unused). GraphQL-free: the web
layer (``app.web.app``) turns a ``Resolved`` into the query it runs or the error it sends.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from app.core.errors import TopLevelCode, raise_if_cancelled
from app.core.messages import Msg

log = logging.getLogger("psyline.persisted")

MAX_ENTRIES = 10_000
REDIS_TTL_SECONDS = 7 * 24 * 3600
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

NOT_FOUND = TopLevelCode.PERSISTED_QUERY_NOT_FOUND
HASH_MISMATCH = TopLevelCode.PERSISTED_QUERY_HASH_MISMATCH
NOT_SUPPORTED = TopLevelCode.PERSISTED_QUERY_NOT_SUPPORTED


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PersistedQueries:
    """This process's LRU of query texts by SHA-256."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._texts: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        text = self._texts.get(digest)
        if text is not None:
            self._texts.move_to_end(digest)
        return text

    async def put(self, digest: str, text: str) -> None:
        self._texts[digest] = text
        self._texts.move_to_end(digest)
        while len(self._texts) > self.max_entries:
            self._texts.popitem(last=False)

    async def close(self) -> None:
        self._texts.clear()


class RedisPersistedQueries(PersistedQueries):
    """Shared by every worker; this process's LRU answers if Redis fails."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    async def get(self, digest: str) -> str | None:
        try:
            raw = await self._redis.getex(f"psyline:apq:{digest}", ex=REDIS_TTL_SECONDS)
            raise_if_cancelled()
        except Exception as exc:
            raise_if_cancelled(exc)
            log.warning("persisted queries: Redis unavailable (%s)", type(exc).__name__)
            return await super().get(digest)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def put(self, digest: str, text: str) -> None:
        await super().put(digest, text)
        try:
            await self._redis.set(f"psyline:apq:{digest}", text, ex=REDIS_TTL_SECONDS)
            raise_if_cancelled()
        except Exception as exc:
            raise_if_cancelled(exc)
            log.warning("persisted queries: Redis unavailable (%s)", type(exc).__name__)

    async def close(self) -> None:
        await super().close()
        await self._redis.aclose()


def make_persisted_queries(redis_url: str | None) -> PersistedQueries:
    return RedisPersistedQueries(redis_url) if redis_url else PersistedQueries()


@dataclass(frozen=True)
class Resolved:
    """The query text to run, or the error (message, code) to answer instead."""

    query: str | None = None
    error: tuple[Msg, TopLevelCode] | None = None


def _error(message: Msg, code: TopLevelCode) -> Resolved:
    return Resolved(error=(message, code))


async def resolve(
    store: PersistedQueries, query: str | None, extensions: dict[str, object] | None
) -> Resolved | None:
    """None when the request is not a persisted query; else what to run or answer."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        return _error(Msg.PERSISTED_QUERY_NOT_SUPPORTED, NOT_SUPPORTED)
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HEX64.match(digest):
        return _error(Msg.PERSISTED_QUERY_HASH_FORMAT, HASH_MISMATCH)
    if query is None:
        stored = await store.get(digest)
        if stored is None:
            return _error(Msg.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND)  # Apollo's exact message
        return Resolved(query=stored)
    if sha256_hex(query) != digest:
        return _error(Msg.PERSISTED_QUERY_HASH_MISMATCH, HASH_MISMATCH)
    await store.put(digest, query)
    return Resolved(query=query)
