# ruff: noqa: S603 - our own commands, 127.0.0.1 URLs
"""npm graphql-http's audit suite (``auditServer``) against the running app, for the report.

Called by ``.ci/run``: migrates an empty SQLite file, starts ``python -m app serve`` on a
free local port, installs ``tests/node`` from npm (``tests/node_clients.py``) and runs
``graphql_http_audit.mjs``: one line per audit, the totals per level (MUST, SHOULD,
MAY). Exits non-zero if any MUST fails. (The suite runs the same audit as a test.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fuzz import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))
from tests.node_clients import install

PY = sys.executable


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="psyline-audit-") as var:
        env = {**os.environ, "APP_ENV": "development", "PSYLINE_VAR_DIR": var,
               "DATABASE_URL": f"sqlite://{var}/audit.sqlite3", "LOG_LEVEL": "WARNING"}  # fmt: skip
        env.pop("REDIS_URL", None)
        subprocess.run([PY, "-m", "app", "migrate"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        port = free_port()
        url = f"http://127.0.0.1:{port}/graphql"
        server = start_server(env, port, subprocess.DEVNULL)
        try:
            clients = install(Path(var) / "node")
            audit = subprocess.run(
                [shutil.which("node") or "node", "graphql_http_audit.mjs", url], cwd=clients,
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = audit.stdout.strip().splitlines()
    print("\n".join(lines[:-1]))  # the last line is the JSON summary, for the test
    if audit.stderr:
        print(audit.stderr, file=sys.stderr)
    return audit.returncode


if __name__ == "__main__":
    raise SystemExit(main())
