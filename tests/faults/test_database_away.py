"""The database going away mid-life: a clean UNAVAILABLE (HTTP 503), /readyz red, and the
service recovers by itself when the database is back.

A ``python -m app serve`` process runs on a PostgreSQL of the test's own
(``tests.faults.postgres``), which the test stops and starts under it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from app.core.settings import ROOT, Settings
from tests.faults.postgres import own_postgres
from tests.servers import serve_processes

CATALOGUE = {"query": "{ psychologists(first: 2) { totalCount } }"}


def migrate(database_url: str, var_dir: Path) -> None:
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url,
           "PSYLINE_VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING"}  # fmt: skip
    subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip


async def eventually_ok(http: httpx.AsyncClient, attempts: int = 50) -> httpx.Response:
    """The first 200 within ``attempts`` tries, 0.1 s apart (the server reconnecting)."""
    response = await http.post("/graphql", json=CATALOGUE)
    for _ in range(attempts):
        if response.status_code == 200 and not response.json().get("errors"):
            return response
        await asyncio.sleep(0.1)
        response = await http.post("/graphql", json=CATALOGUE)
    raise AssertionError(response.text)


async def test_the_database_going_away_is_unavailable_then_recovers(
    app: Any, settings: Settings
) -> None:
    """(``app``: the session's, whose database ``serve_processes`` uses for the dev key.)"""
    with own_postgres() as pg:
        migrate(pg.url, settings.var_dir)
        own = settings.with_(database_url=pg.url)
        async with (
            serve_processes(own, 1, log_name="faults", with_redis=False) as (url,),
            httpx.AsyncClient(base_url=url, timeout=10) as http,
        ):
            await eventually_ok(http)
            assert (await http.get("/readyz")).status_code == 200

            pg.stop()
            down: dict[str, Any] = {}
            for _ in range(2):  # the pooled connection's first failure, then a new one
                response = await http.post("/graphql", json=CATALOGUE)
                assert response.status_code == 503, response.text
                down = response.json()
            (error,) = down["errors"]
            assert error["extensions"]["code"] == "UNAVAILABLE"
            assert "Traceback" not in response.text
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {
                "status": "unavailable",
                "checks": {
                    "database": "unreachable",
                    "migrations": "unknown: database unreachable",
                },
            }

            pg.start()
            await eventually_ok(http)
            assert (await http.get("/readyz")).status_code == 200
