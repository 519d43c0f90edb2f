#!/usr/bin/env python3
"""The two commands of the README, with nothing but Python 3.11+ on the machine.

    python3 dev.py run    set up .venv, fetch front-end assets, migrate, seed demo data, serve
    python3 dev.py test   set up .venv, fetch assets, run the linters, mypy and the whole test suite

Set-up is incremental: the virtual environment is reinstalled only when
pyproject.toml changes. Extra arguments after `test` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def sh(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)  # noqa: S603


def setup() -> None:
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".psyline-installed"
    if not stamp.exists() or stamp.read_text() != digest:
        sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        stamp.write_text(digest)
    sh(PY, "-m", "app", "fetch-assets")


def run() -> None:
    setup()
    sh(PY, "-m", "app", "migrate")
    sh(PY, "-m", "app", "seed", "--demo")
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    print(
        f"\n  GraphiQL: http://{host}:{port}/graphql   care console: http://{host}:{port}/console\n"
    )
    os.execv(str(PY), [str(PY), "-m", "app", "serve", "--host", host, "--port", port])  # noqa: S606


def test(extra: list[str]) -> None:
    setup()
    sh(PY, "-m", "ruff", "check", "app", "schema", "models", "tests", "bench", "dev.py")
    sh(PY, "-m", "ruff", "format", "--check", "app", "schema", "models", "tests", "bench", "dev.py")
    sh(PY, "-m", "mypy")  # strict, on app/ schema/ models/: [tool.mypy] in pyproject.toml
    sh(PY, "-m", "pytest", *extra)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        raise SystemExit(__doc__)
    if sys.argv[1] == "run":
        run()
    else:
        test(sys.argv[2:])


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        raise SystemExit(exc.returncode) from None
