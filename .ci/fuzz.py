# ruff: noqa: S603, S310 - our own commands, 127.0.0.1 URLs
"""A bounded schemathesis run against the running app, anonymous and signed in.

Called by ``.ci/run``: migrates and seeds the demo data into a temporary SQLite file,
starts ``python -m app serve`` on a free local port, signs a client in through the demo
partner, and fuzzes every query and mutation (GraphQL mode, from introspection) for
``--max-time`` seconds per pass with the checks of ``fuzz_checks.py``: no 5xx, no
masked internal error, no traceback, no answer slower than the operation time limit.
Exits non-zero if schemathesis finds anything.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SIGN_IN = (
    "mutation($t: String!) { signInWithPartner(input: {partnerToken: $t}) "
    "{ session { accessToken } } }"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env: dict[str, str], port: int, output: IO[bytes] | int
) -> subprocess.Popen[bytes]:
    """``python -m app serve`` on ``port``, once its /healthz answers (at most 10 s)."""
    server = subprocess.Popen(
        [PY, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return server


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="psyline-fuzz-") as var:
        env = {**os.environ, "APP_ENV": "development", "PSYLINE_VAR_DIR": var,
               "DATABASE_URL": f"sqlite://{var}/fuzz.sqlite3", "LOG_LEVEL": "WARNING",
               "RATE_LIMITS": "off"}  # fmt: skip
        env.pop("REDIS_URL", None)
        subprocess.run([PY, "-m", "app", "migrate"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([PY, "-m", "app", "seed", "--demo", "--psychologists", "20"], cwd=ROOT,
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        port = free_port()
        url = f"http://127.0.0.1:{port}/graphql"
        log = Path(var) / "serve.log"
        server = start_server(env, port, log.open("wb"))
        try:
            token = subprocess.run(
                [PY, "-m", "app", "partner", "token", "--phone", "+79990001122"],
                cwd=ROOT, env=env, check=True, capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            signed = post(url, {"query": SIGN_IN, "variables": {"t": token}})
            access = signed["data"]["signInWithPartner"]["session"]["accessToken"]  # type: ignore[index]
            failed = 0
            for label, headers in (
                ("anonymous", []),
                ("signed in", ["-H", f"Authorization: Bearer {access}"]),
            ):
                print(f"=== fuzz: {label}, {args.max_time} s ===", flush=True)
                run = subprocess.run(
                    [PY, "-m", "schemathesis.cli", "run", url, "--max-time", str(args.max_time),
                     "--max-response-time", "10", "-c", "no_server_fault", "--no-color", *headers],
                    cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT / ".ci"),
                                   "SCHEMATHESIS_HOOKS": "fuzz_checks"}, check=False,
                )  # fmt: skip
                failed += run.returncode != 0
            return 1 if failed else 0
        finally:
            server.terminate()
            server.wait(15)
            if "Traceback" in log.read_text(errors="replace"):
                print("the server logged a traceback:\n" + log.read_text(errors="replace")[-4000:])


if __name__ == "__main__":
    sys.exit(main())
