"""Helpers for loaders' batch functions: rows grouped or indexed in the order of the keys."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


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
