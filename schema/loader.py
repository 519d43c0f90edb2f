"""Base class for per-request loaders: one SQL statement per batch, results aligned with keys."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from aiodataloader import DataLoader

if TYPE_CHECKING:
    from schema.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    def __init__(self, context: Context) -> None:
        super().__init__(max_batch_size=1000)
        self.context = context

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        return await self.load_batch(keys)

    async def load_batch(self, keys: list[K]) -> list[V]:  # pragma: no cover - abstract
        raise NotImplementedError


def group_by(rows: Iterable[Any], key: str, keys: list[K]) -> list[list[Any]]:
    """Group ``rows`` by attribute ``key`` into lists aligned with ``keys``."""
    grouped: dict[Any, list[Any]] = {k: [] for k in keys}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return [grouped[k] for k in keys]


def index_by(rows: Iterable[Any], keys: list[K], key: str = "id") -> list[Any]:
    """Rows by ``key``, aligned with ``keys``; None where missing."""
    found = {getattr(r, key): r for r in rows}
    return [found.get(k) for k in keys]
