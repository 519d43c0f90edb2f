"""Test helpers: GraphQL over httpx, SQL statement counting, contract documents."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from app.core.cursors import b64encode

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DIR = Path(os.environ.get("PSYLINE_CONTRACT_DIR", ROOT.parent / "shared" / "contract"))
NO_CONTRACT = f"the shared contract is absent ({CONTRACT_DIR}): tests built on its operations skip"


def dev_env(var: Path, **extra: str) -> dict[str, str]:
    """The environment of a development checkout whose database and keys live in ``var``
    (SQLite, in-process pub/sub), for commands run as subprocesses."""
    env = {
        **os.environ,
        "APP_ENV": "development",
        "PSYLINE_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite://{var / 'psyline.sqlite3'}",
        **extra,
    }
    for name in ("REDIS_URL", "TEST_DATABASE_URL"):
        env.pop(name, None)
    return env


def run_in_checkout(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command from the checkout's root, as a developer types it there."""
    return subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def contract_present() -> bool:
    return CONTRACT_DIR.is_dir() and any(CONTRACT_DIR.glob("*.graphql"))


@cache
def contract_operations() -> dict[str, str]:
    """Every named operation of ../shared/contract/*.graphql, as a standalone document.

    Without the contract folder, a test (or a module, at import) that needs it skips
    with one reason, ``NO_CONTRACT``, instead of failing at collection.
    """
    if not contract_present():
        pytest.skip(NO_CONTRACT, allow_module_level=True)
    ops: dict[str, str] = {}
    for path in sorted(CONTRACT_DIR.glob("*.graphql")):
        doc = parse(path.read_text(encoding="utf-8"))
        for definition in doc.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                ops[definition.name.value] = print_ast(definition)
    return ops


def op(name: str) -> str:
    return contract_operations()[name]


@cache
def console_op(name: str) -> str:
    """One of the console's own operations (app/web/static/console/console.graphql) with
    the fragments it spreads, as a standalone document."""
    from app.web.console import CONSOLE_OWN_DOCUMENT
    from app.web.documents import operations_of_file

    by_name = {o.name: o.body for o in operations_of_file(CONSOLE_OWN_DOCUMENT)}
    return by_name[name]


async def gql_raw(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=hdrs
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run an operation and assert it has no top-level errors; return ``data``."""
    body = await gql_raw(client, query, variables, token, headers)
    assert not body.get("errors"), body.get("errors")
    data: dict[str, Any] = body["data"]
    return data


def error_codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


@dataclass
class SqlCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


def _in_background_task() -> bool:
    """Statements of the app's background workers (tasks named ``psyline-*``, e.g. the
    SLA watcher) are not part of the request being measured."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return False
    return task is not None and task.get_name().startswith("psyline-")


class _CountingHandler(logging.Handler):
    # Tortoise logs "<sql>: <values>"; keep only the SQL text (values may be personal data).
    _skip = re.compile(r"^(Created connection|Closed connection|Connection|Acquir|Releas)", re.I)

    def __init__(self, sink: SqlCounter) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and isinstance(record.args, tuple):
            sql = str(record.args[0])
        else:
            sql = record.getMessage()
        if self._skip.match(sql):
            return
        if _in_background_task():
            return
        self.sink.statements.append(sql)


@contextmanager
def count_sql() -> Iterator[SqlCounter]:
    """Count SQL statements sent through Tortoise while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    sink = SqlCounter()
    handler = _CountingHandler(sink)
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield sink
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def forged_cursor(payload: Any) -> str:
    """A cursor this API never issued, for hostile-input tests."""
    return b64encode(json.dumps(payload).encode())
