"""Small helpers for the few raw SQL statements that the ORM cannot express (window functions)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet


def db() -> BaseDBAsyncClient:
    conn: BaseDBAsyncClient = connections.get("default")
    return conn


def is_sqlite() -> bool:
    return bool(db().capabilities.dialect == "sqlite")


async def lock_rows(rows: QuerySet[Any]) -> None:
    """Serialize the writers of ``rows`` until the end of the current transaction.

    PostgreSQL: a row lock (``FOR NO KEY UPDATE`` still lets other tables insert rows
    referencing them). SQLite: nothing to do, the transaction already holds the one
    connection's lock (Tortoise's ``select_for_update`` would be a no-op there anyway).
    A model query: ``values_list()``/``values()`` silently drop the FOR UPDATE clause.
    """
    if not is_sqlite():
        await rows.select_for_update(no_key=True).only("id")


def placeholders(count: int, start: int = 1) -> str:
    """``?, ?`` on SQLite, ``$1, $2`` on PostgreSQL."""
    if is_sqlite():
        return ", ".join("?" * count)
    return ", ".join(f"${i}" for i in range(start, start + count))


def param(index: int) -> str:
    return "?" if is_sqlite() else f"${index}"


def bind(values: list[Any], value: Any) -> str:
    """Append ``value`` to a statement's parameters; its placeholder."""
    values.append(value)
    return param(len(values))


def any_of(column: str, ids: Sequence[int], values: list[Any]) -> str:
    """``column`` is one of ``ids``, with the whole list as one parameter (appended to
    ``values``): a statement of constant size whatever the number of ids."""
    if is_sqlite():
        values.append(json.dumps(list(ids)))
        return f"{column} IN (SELECT value FROM json_each(?))"  # noqa: S608 - a column name
    values.append(list(ids))
    return f"{column} = ANY(${len(values)})"


def epoch(column: str) -> str:
    """UTC epoch seconds of a timestamp column, computed by the database."""
    if is_sqlite():
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"


async def fetch(sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    return await db().execute_query_dict(sql, list(values))


async def fetch_rows(sql: str, values: Sequence[Any]) -> list[Sequence[Any]]:
    """The driver's rows as they are (positional; no per-value conversion by the ORM),
    for the bulk reads where converting 100k values would dominate."""
    _, rows = await db().execute_query(sql, list(values))
    return cast(list[Sequence[Any]], rows)


PageKey = tuple[int, int, int | None]  # parent id, rows wanted, id below which to start


async def newest_per_parent(
    keys: list[PageKey],
    *,
    table: str,
    parent: str,
    where: str = "",
    select: str = "ranked.*",
    join: str = "",
) -> dict[PageKey, list[dict[str, Any]]]:
    """Newest-first rows (by id) of many parents: one statement per distinct (limit, cursor).

    A window function ranks each parent's rows; ``where`` narrows the inner query
    (e.g. ``AND is_published``), ``select``/``join`` may add columns of a joined
    table to each row (aliased ``ranked`` for the paged table).
    """
    by_shape: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for parent_id, limit, before in keys:
        by_shape[(limit, before)].append(parent_id)
    found: dict[PageKey, list[dict[str, Any]]] = {}
    for (limit, before), parents in by_shape.items():
        values: list[Any] = list(parents)
        seek = ""
        if before is not None:
            values.append(before)
            seek = f"AND id < {param(len(values))}"
        values.append(limit)
        rows = await fetch(
            f"SELECT {select} FROM (SELECT t.*, ROW_NUMBER() OVER ("  # noqa: S608
            f"PARTITION BY {parent} ORDER BY id DESC) AS rn FROM {table} t "
            f"WHERE {parent} IN ({placeholders(len(parents))}) {where} {seek}) ranked {join} "
            f"WHERE rn <= {param(len(values))} ORDER BY ranked.{parent}, rn",
            values,
        )
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            row.pop("rn")
            grouped[row[parent]].append(row)
        for parent_id in parents:
            found[(parent_id, limit, before)] = grouped.get(parent_id, [])
    return found
