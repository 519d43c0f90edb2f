"""What production refuses to start with: the app is started as an operator would
(``python -m app serve``, bare ``uvicorn``, ``worker``) and answers one line on stderr,
``error: ...``, with exit code 1 and no traceback."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core.db import known_migrations
from app.core.settings import Settings
from tests.fixtures import ON_POSTGRES, TEST_DATABASE_URL
from tests.helpers import dev_env, run_in_checkout
from tests.servers import free_port, serve_processes

NEVER_CONNECTED = "postgres://psyline@127.0.0.1:1/never-connected"
# Variables of the outer environment that would change what is refused.
CLEARED = (
    "REDIS_URL",
    "WEB_CONCURRENCY",
    "ALLOWED_ORIGINS",
    "RATE_LIMITS",
    *(
        f"{name}{suffix}"
        for name in (
            "JWT_PRIVATE_KEY",
            "VIDEO_APP_SECRET",
            "FCM_SERVICE_ACCOUNT_JSON",
            "APNS_PRIVATE_KEY",
        )
        for suffix in ("", "_FILE")
    ),
    "APNS_KEY_ID",
    "APNS_TEAM_ID",
    "APNS_BUNDLE_ID",
)


def _pem(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def production_env(var: Path, **changes: str | None) -> dict[str, str]:
    """A complete production configuration (PostgreSQL never connected to), changed by
    ``changes`` (None: the variable removed)."""
    env = dev_env(var)
    for name in CLEARED:
        env.pop(name, None)
    env.update(
        APP_ENV="production",
        DATABASE_URL=NEVER_CONNECTED,
        JWT_PRIVATE_KEY=_pem(Ed25519PrivateKey.generate()),
        VIDEO_APP_SECRET="v" * 40,
        PUBLIC_BASE_URL="https://api.psyline.example",
        ALLOWED_HOSTS="api.psyline.example",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def refusal(env: dict[str, str], *args: str) -> str:
    """Start the server with ``env``; the one line it refuses with."""
    command = args or ("-m", "app", "serve", "--port", str(free_port()))
    result = run_in_checkout([sys.executable, "-W", "ignore", *command], env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def var(tmp_path: Path) -> Path:
    return tmp_path / "var"


def test_sqlite_is_refused(var: Path) -> None:
    sqlite = f"sqlite://{var / 'prod.sqlite3'}"
    line = refusal(production_env(var, DATABASE_URL=sqlite))
    assert line == "error: DATABASE_URL is SQLite: production needs PostgreSQL"
    assert not (var / "prod.sqlite3").exists()  # not even opened


def test_bare_uvicorn_refuses_the_same_way(var: Path) -> None:
    env = production_env(var, DATABASE_URL=f"sqlite://{var / 'prod.sqlite3'}")
    line = refusal(env, "-m", "uvicorn", "app.web.app:app", "--port", str(free_port()))
    assert "DATABASE_URL is SQLite" in line


@pytest.mark.parametrize("env_name", ["production", "development"])
def test_several_workers_without_redis_are_refused_everywhere(var: Path, env_name: str) -> None:
    env = production_env(var) if env_name == "production" else dev_env(var)
    env.pop("REDIS_URL", None)
    args = ("-m", "app", "serve", "--port", str(free_port()), "--workers", "2")
    assert refusal(env, *args).startswith("error: 2 workers need REDIS_URL")
    # the variable uvicorn and gunicorn read counts as much as the option
    assert "workers need REDIS_URL" in refusal({**env, "WEB_CONCURRENCY": "3"})


def test_any_origin_is_refused(var: Path) -> None:
    line = refusal(production_env(var, ALLOWED_ORIGINS="*"))
    assert line == "error: ALLOWED_ORIGINS=* is refused in production: list the origins"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"JWT_PRIVATE_KEY": None}, "JWT_PRIVATE_KEY (PEM) is required in production"),
        ({"JWT_PRIVATE_KEY": "not a key"}, "JWT_PRIVATE_KEY is not an Ed25519 private key"),
        (
            {"JWT_PRIVATE_KEY": _pem(ec.generate_private_key(ec.SECP256R1()))},
            "JWT_PRIVATE_KEY is not an Ed25519 private key",
        ),
        (
            {"JWT_PRIVATE_KEY": None, "JWT_PRIVATE_KEY_FILE": "/nonexistent/jwt.pem"},
            "JWT_PRIVATE_KEY_FILE: cannot read /nonexistent/jwt.pem",
        ),
        (
            {"VIDEO_APP_SECRET": None, "VIDEO_APP_SECRET_FILE": "/nonexistent/video"},
            "VIDEO_APP_SECRET_FILE: cannot read /nonexistent/video",
        ),
        ({"VIDEO_APP_SECRET": "short"}, "VIDEO_APP_SECRET must be at least 32 bytes"),
        ({"FCM_SERVICE_ACCOUNT_JSON": "{not json"}, "FCM_SERVICE_ACCOUNT_JSON is not a JSON"),
        (
            {"FCM_SERVICE_ACCOUNT_JSON_FILE": "/nonexistent/fcm.json"},
            "FCM_SERVICE_ACCOUNT_JSON_FILE: cannot read /nonexistent/fcm.json",
        ),
        (
            {
                "APNS_KEY_ID": "ABC123DEFG",
                "APNS_TEAM_ID": "TEAM123456",
                "APNS_BUNDLE_ID": "example.psyline",
                "APNS_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
            },
            "APNS_PRIVATE_KEY is not an EC private key",
        ),
    ],
    ids=[
        "jwt-missing",
        "jwt-not-pem",
        "jwt-not-ed25519",
        "jwt-file-missing",
        "video-file-missing",
        "video-short",
        "fcm-not-json",
        "fcm-file-missing",
        "apns-not-pem",
    ],
)
def test_a_missing_or_malformed_secret_names_its_variable(
    var: Path, changes: dict[str, str | None], expected: str
) -> None:
    line = refusal(production_env(var, **changes))
    assert expected in line
    for value in ("nope", "not a key"):  # a value is never quoted
        assert value not in line


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new, empty database on the test server (the test's own, dropped after)."""
    assert TEST_DATABASE_URL is not None
    name = f"psy_prod_empty_{uuid.uuid4().hex[:8]}"
    admin = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="production runs on PostgreSQL only")
def test_pending_migrations_are_refused(var: Path, empty_postgres: str) -> None:
    env = production_env(var, DATABASE_URL=empty_postgres)
    count = len(known_migrations())
    for command in (
        ("-m", "app", "serve", "--port", str(free_port())),
        ("-m", "app", "worker"),
    ):
        line = refusal(env, *command)
        assert line.startswith(f"error: {count} database migration(s) pending"), line
        assert "python -m app migrate" in line
        assert empty_postgres not in line


def test_an_unreachable_database_is_refused_without_its_url(var: Path) -> None:
    line = refusal(production_env(var))
    assert line.startswith("error: DATABASE_URL: the database cannot be reached (")
    assert "psyline@" not in line


def test_secrets_are_read_from_files_as_well(var: Path, tmp_path: Path) -> None:
    """The whole production configuration from files: it gets past the settings (and
    stops at the database, which is never there)."""
    files = {}
    for name, value in (
        ("JWT_PRIVATE_KEY", _pem(Ed25519PrivateKey.generate())),
        ("VIDEO_APP_SECRET", "f" * 40),
    ):
        path = tmp_path / name.lower()
        path.write_text(value + "\n", encoding="utf-8")
        os.chmod(path, 0o600)
        files[f"{name}_FILE"] = str(path)
    env = production_env(var, JWT_PRIVATE_KEY=None, VIDEO_APP_SECRET=None, **files)
    assert "the database cannot be reached" in refusal(env)
    both = {**env, "VIDEO_APP_SECRET": "g" * 40}
    assert refusal(both) == (
        "error: VIDEO_APP_SECRET and VIDEO_APP_SECRET_FILE are both set: set one"
    )


async def test_readyz_is_503_while_a_migration_is_pending(
    app: Any, settings: Settings, tmp_path: Path
) -> None:
    """Outside production the server starts behind (``dev.py run`` migrates first, a
    warning says so) and /readyz takes it out of rotation until ``migrate`` runs."""
    database = tmp_path / "behind.sqlite3"
    env = dev_env(tmp_path / "var", DATABASE_URL=f"sqlite://{database}")
    migrated = run_in_checkout([sys.executable, "-W", "ignore", "-m", "app", "migrate"], env)
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM tortoise_migrations WHERE app = 'audit'")
    behind = settings.with_(database_url=f"sqlite://{database}", redis_url=None)
    async with (
        serve_processes(behind, 1, log_name="behind", with_redis=False) as (url,),
        httpx.AsyncClient(base_url=url) as http,
    ):
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "migrations": "1 pending: run python -m app migrate"},
        }
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
