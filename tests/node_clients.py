"""Node client stacks from npm (``tests/node/``): Apollo Client, the graphql-http audit.

``install(target)`` copies the scripts and ``package.json`` into ``target`` and installs
the pinned packages there from the npm registry (never committed); the ``node_clients``
fixture does it once per session. Without Node and npm the tests skip, or fail when
``PSYLINE_REQUIRE_NODE`` is set (CI). ``.ci/audit_http.py`` uses ``install`` too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

NODE_DIR = Path(__file__).parent / "node"


def missing() -> str | None:
    """Why the Node clients cannot run here, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "needs node and npm"
    return None


def install(target: Path) -> Path:
    npm = shutil.which("npm")
    assert npm is not None, missing()
    target.mkdir(parents=True, exist_ok=True)
    for source in [NODE_DIR / "package.json", *NODE_DIR.glob("*.mjs")]:
        shutil.copy(source, target / source.name)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=target, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target
