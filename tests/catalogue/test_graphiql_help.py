"""The commands GraphiQL's help prints work exactly as printed, from the checkout.

Given a development database prepared as ``python3 dev.py run`` prepares it (migrate,
seed --demo) in a temporary directory, when each ``$`` line of the page's help (and of
the README's GraphiQL section) runs as a subprocess from the checkout, then it exits 0.
``staff add`` asks for the new password: it gets one on stdin, as a person types it.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import httpx
import pytest

from app.web.graphiql_tabs import COMMAND_PREFIX, HELP
from tests.helpers import ROOT, dev_env, run_in_checkout

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def _printed_commands(page_text: str) -> list[str]:
    return [
        line[len(COMMAND_PREFIX) :]
        for line in page_text.splitlines()
        if line.startswith(COMMAND_PREFIX)
    ]


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Signing in from GraphiQL (development)", 1)[1].split("\n## ", 1)[0]
    return [c for c in re.findall(r"`([^`]+)`", section) if c.startswith(".venv/bin/python ")]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if not VENV_PYTHON.exists():
        pytest.skip(
            f"{VENV_PYTHON} is missing: the commands are printed for `python3 dev.py` set-ups"
        )
    env = dev_env(tmp_path_factory.mktemp("dev-var"))
    for step in (["migrate"], ["seed", "--demo", "--psychologists", "5"]):
        done = run_in_checkout([sys.executable, "-m", "app", *step], env)
        assert done.returncode == 0, done.stderr[-2000:]
    return env


async def test_every_command_the_page_prints_exits_0(
    client: httpx.AsyncClient, cli_env: dict[str, str]
) -> None:
    page = (await client.get("/graphql", headers={"accept": "text/html"})).text
    printed = _printed_commands(HELP)
    assert len(printed) >= 2
    assert all(command.replace('"', '\\"') in page for command in printed)
    readme = _readme_commands()
    assert readme, "the README's GraphiQL section prints no command"
    for command in dict.fromkeys([*printed, *readme]):
        args = shlex.split(command)
        assert Path(args[0]) == Path(".venv/bin/python"), command  # no bare `python`
        done = run_in_checkout(args, cli_env, stdin="a-new-password-for-the-demo\n")
        assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
        assert done.stdout.strip(), command
