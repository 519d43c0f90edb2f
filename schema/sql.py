"""Small helpers for the few raw SQL statements that the ORM cannot express (window functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def db() -> BaseDBAsyncClient:
    conn: BaseDBAsyncClient = connections.get("default")
    return conn


def placeholders(count: int, start: int = 1) -> str:
    """``?, ?`` on SQLite, ``$1, $2`` on PostgreSQL."""
    if db().capabilities.dialect == "sqlite":
        return ", ".join("?" * count)
    return ", ".join(f"${i}" for i in range(start, start + count))


def param(index: int) -> str:
    return "?" if db().capabilities.dialect == "sqlite" else f"${index}"


async def fetch(sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    return await db().execute_query_dict(sql, list(values))
