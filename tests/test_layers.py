"""The shape of the code: dependencies point one way and no files import each other in a circle.

``app.web`` / ``app.cli`` -> ``schema`` -> ``app.runtime`` (what the process holds) -> the
domains (``app.identity``, ``app.catalogue``, ``app.booking``, ``app.chat``, ``app.policy``)
-> ``app.core`` -> ``models``; ``app.demo`` seeds through the domains and only the CLI,
GraphiQL's development-only demo sign-in (``app.web.demo_sign_in``) and tests import it.
Process state lives in runtime objects, never in module globals. Every import counts, also
those inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGES = ("app", "schema", "models")
DOMAINS = (
    "app.identity",
    "app.catalogue",
    "app.booking",
    "app.chat",
    "app.checkup",
    "app.kpi",
    "app.notify",
    "app.audit",
    "app.policy",
)
TOP = ("app.web", "app.cli", "app.__main__", "app.demo")


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    files = {
        _module_of(p): p
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if "migrations" not in p.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


GRAPH = _graph()


def _violations(sources: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{src} imports {dst}"
        for src, dsts in GRAPH.items()
        if _within(src, sources)
        for dst in dsts
        if _within(dst, forbidden)
    )


@pytest.mark.parametrize(
    ("sources", "forbidden"),
    [
        (("models",), ("app", "schema")),
        (("app.core",), (*DOMAINS, *TOP, "schema")),
        (DOMAINS, (*TOP, "schema", "app.runtime")),
        (("schema",), TOP),
    ],
    ids=["models", "core", "domains", "schema"],
)
def test_dependencies_point_one_way(sources: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    assert _violations(sources, forbidden) == []


def test_demo_data_is_reached_from_the_cli_and_the_demo_sign_in_only() -> None:
    allowed = ("app.cli", "app.demo", "app.web.demo_sign_in")
    importers = sorted(
        f"{src} imports {dst}"
        for src, dsts in GRAPH.items()
        if not _within(src, allowed)
        for dst in dsts
        if _within(dst, ("app.demo",))
    )
    assert importers == []


def test_no_import_circles_between_files() -> None:
    """Tarjan's strongly connected components over the file graph: all of size one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert circles == []


def test_no_module_rebinds_its_globals() -> None:
    """No ``global`` statement: state that changes while the process runs belongs to a
    runtime object (``app.runtime.Runtime``) passed explicitly, not to a module."""
    rebinding = sorted(
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for pkg in PACKAGES
        for path in (ROOT / pkg).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Global)
    )
    assert rebinding == []


def test_time_is_read_through_the_one_clock() -> None:
    """``app.core.clock.now`` is the only reader of the wall clock (tests move it)."""
    calls = ("datetime.now(", "datetime.utcnow(", "date.today(")
    readers = sorted(
        str(path.relative_to(ROOT))
        for pkg in PACKAGES
        for path in (ROOT / pkg).rglob("*.py")
        if path != ROOT / "app" / "core" / "clock.py"
        and any(call in path.read_text() for call in calls)
    )
    assert readers == []
