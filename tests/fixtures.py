"""The shared fixtures, one pytest plugin (``-p tests.fixtures`` in pyproject's addopts;
``bench/`` scripts run by pytest get them too): one app per test session on a database
built by the migrations. Domain folders keep only their own fixtures in ``conftest.py``.

By default an SQLite file in a temporary folder; ``TEST_DATABASE_URL`` (PostgreSQL)
and ``TEST_REDIS_URL`` switch to the real servers, as ``.ci/run`` does.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from app.core.db import migrate
from app.core.settings import Settings
from app.web.app import create_app
from tests import node_clients as node
from tests.browser import browser  # noqa: F401 - session fixture (headless Chromium)
from tests.servers import serve_in_loop

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgres"))
# The marks of a module that needs both (several processes sharing rows and live delivery):
# skipped on the SQLite pass only; CI's second pass runs it.
POSTGRES_AND_REDIS = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(not (ON_POSTGRES and TEST_REDIS_URL), reason="needs PostgreSQL and Redis"),
]


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


PER_IP_RULES = (
    "partner_sign_in_ip",
    "refresh_ip",
    "staff_sign_in_ip",
    "booking_ip",
    "calendar_ip",
)


@pytest.fixture(scope="session")
def settings(var_dir: Path) -> Settings:
    database_url = TEST_DATABASE_URL or f"sqlite://{var_dir / 'test.sqlite3'}"
    return Settings(
        env="test",
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        var_dir=var_dir,
        log_level="INFO",
        ws_session_check_seconds=0.2,  # a socket ends within 0.2 s of its session
        # Every test client is 127.0.0.1: per-IP limits would count the whole suite as one
        # client. They are tested on an app of their own (tests/identity/test_throttling.py).
        rate_limits=tuple((rule, 1_000_000, 60.0) for rule in PER_IP_RULES),
        # The outbox worker runs where a test drives it (tests/notify: run_once, or a
        # `python -m app worker` process), never behind another test's back.
        notify_worker_in_process=False,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    await migrate(settings)
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=30):
        from app.demo.seed import seed_demo

        await seed_demo(settings, psychologists=112)
        yield application


@pytest.fixture(scope="session")
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
async def live_server(app: Starlette) -> AsyncIterator[str]:
    """A real uvicorn serving the session's app on 127.0.0.1 (WebSocket, browser tests).

    It runs in the test session's event loop, so it shares the app's database.
    """
    async with serve_in_loop(app) as url:
        yield url


@pytest.fixture(scope="session")
def node_clients(var_dir: Path) -> Path:
    """A directory with the scripts of ``tests/node`` and their npm packages installed."""
    reason = node.missing()
    if reason is not None:
        if os.environ.get("PSYLINE_REQUIRE_NODE"):
            pytest.fail(f"{reason}; PSYLINE_REQUIRE_NODE is set, so this must run")
        pytest.skip(reason)
    return node.install(var_dir / "node-clients")


def pytest_report_header(config: Any) -> str:
    return f"database: {'PostgreSQL' if ON_POSTGRES else 'SQLite'}; redis: {bool(TEST_REDIS_URL)}"
