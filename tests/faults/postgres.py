"""A PostgreSQL of the test's own, on its own port, that the test can stop and start.

Built from the server binaries of this machine (``/usr/lib/postgresql/*/bin``): the
tests skip without them, and fail instead when ``PSYLINE_REQUIRE_FAULT_SERVERS`` is set (CI).
As root, the cluster is run by the ``postgres`` user (``initdb`` refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.faults import required
from tests.servers import free_port


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def require_binaries() -> Path:
    return required(_bin_dir(), "the PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")


@dataclass
class OwnPostgres:
    bin_dir: Path
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data.parent / "server.log")  # the server must not hold our pipes
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh cluster in a directory of its own (removed afterwards), started."""
    bin_dir = require_binaries()
    base = Path(tempfile.mkdtemp(prefix="psyline-pg-"))  # pytest's tmp is root-only
    data = base / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    pg = OwnPostgres(bin_dir, data, free_port())
    pg._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    pg.start()
    try:
        yield pg
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg.stop()
        shutil.rmtree(base, ignore_errors=True)
