"""Real servers for tests: uvicorn in the test loop, or ``python -m app serve`` processes."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from app.core.settings import ROOT, Settings
from tests.factories import signed_in


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def serve_in_loop(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1 inside the running event loop.

    In the test loop it shares the session's database connections; yields the base URL.
    ``options`` go to ``uvicorn.Config`` (e.g. ``app.cli.main.server_options``).
    """
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


async def _start(
    settings: Settings,
    port: int,
    log_name: str,
    with_redis: bool,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "PSYLINE_VAR_DIR": str(settings.var_dir),
        "JWT_PRIVATE_KEY_FILE": str(Path(settings.var_dir) / "jwt_ed25519.pem"),
        "LOG_LEVEL": "WARNING",
        "NOTIFY_WORKER_IN_PROCESS": "off",  # the outbox is driven by tests/notify only
    }
    env.pop("REDIS_URL", None)
    if with_redis and settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    env.update(extra_env or {})
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "serve",
        "--port",
        str(port),
        *extra_args,
        cwd=str(ROOT),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(Path(settings.var_dir) / f"{log_name}-{port}.log").open("wb"),
    )


@asynccontextmanager
async def serve_processes(
    settings: Settings,
    count: int = 2,
    *,
    log_name: str = "serve",
    with_redis: bool = True,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[list[str]]:
    """Start ``count`` server processes, wait until each answers /healthz, stop them after.
    ``extra_args`` go to ``serve`` (``--workers 2``), ``extra_env`` over its environment."""
    await signed_in(settings)  # makes sure the dev signing key file exists before they start
    ports = [free_port() for _ in range(count)]
    procs = [
        await _start(settings, port, log_name, with_redis, extra_args, extra_env) for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with httpx.AsyncClient() as http:
            for url in urls:
                for _ in range(300):
                    try:
                        if (await http.get(url + "/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"{url} did not start")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await asyncio.wait_for(proc.wait(), 15)
