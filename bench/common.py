"""What both benchmarks need: a free local port and a uvicorn server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env: dict[str, str],
    port: int,
    log_path: Path | None = None,
    *,
    app: str = "app.web.app:app",
    options: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """``uvicorn <app>`` on 127.0.0.1:port with ``env`` over the current environment."""
    log = log_path.open("wb") if log_path else None
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            *options,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
    )
