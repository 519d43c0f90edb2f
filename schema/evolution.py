"""Schema evolution without breaking shipped apps.

Mobile apps stay installed for years: every operation a released app sends must keep
validating. ``schema/released.graphql`` is the schema of the last release; the live
schema may differ from it only by changes graphql-core calls safe or dangerous
(``find_breaking_changes`` / ``find_dangerous_changes``), unless a breaking one is listed
in ``schema/breaking_intended.txt`` on purpose. A test holds this in CI;
``python -m app schema-changes`` prints the differences and ``release-schema`` records a
new release.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import (
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

HERE = Path(__file__).resolve().parent
RELEASED = HERE / "released.graphql"
INTENDED = HERE / "breaking_intended.txt"


@dataclass(frozen=True)
class Changes:
    breaking: list[str]
    dangerous: list[str]
    intended: set[str]

    @property
    def unintended(self) -> list[str]:
        return [change for change in self.breaking if change not in self.intended]


def intended_breaking(path: Path = INTENDED) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def compare(released_sdl: str, live: GraphQLSchema, intended: set[str] | None = None) -> Changes:
    released = build_schema(released_sdl)
    return Changes(
        breaking=[f"{c.type.name} {c.description}" for c in find_breaking_changes(released, live)],
        dangerous=[
            f"{c.type.name} {c.description}" for c in find_dangerous_changes(released, live)
        ],
        intended=intended_breaking() if intended is None else intended,
    )
