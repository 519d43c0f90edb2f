"""Schema evolution: the live schema breaks nothing a released app sends, unless a
breaking change is recorded as intended (``schema/breaking_intended.txt``)."""

from __future__ import annotations

import subprocess
import sys

from graphql import build_schema as from_sdl

from schema import build_schema
from schema.evolution import RELEASED, compare
from tests.helpers import ROOT

RELEASED_SDL = """
type Query { catalogue(first: Int): [Card!]! viewer: Viewer }
type Card { id: ID! name: String! }
type Viewer { id: ID! }
enum Kind { SESSION CHECKUP }
"""


def test_the_live_schema_breaks_nothing_of_the_last_release() -> None:
    changes = compare(RELEASED.read_text(encoding="utf-8"), build_schema()._schema)
    assert changes.unintended == [], (
        "a breaking change against schema/released.graphql: keep the old field "
        "(@deprecated) or record it in schema/breaking_intended.txt"
    )


def test_a_deliberate_breaking_change_is_caught_and_can_be_recorded() -> None:
    live = from_sdl(RELEASED_SDL.replace(" name: String!", "").replace(" CHECKUP", ""))
    changes = compare(RELEASED_SDL, live, intended=set())
    assert changes.unintended == [
        "FIELD_REMOVED Field Card.name was removed.",
        "VALUE_REMOVED_FROM_ENUM Enum value Kind.CHECKUP was removed.",
    ]
    recorded = compare(RELEASED_SDL, live, intended=set(changes.breaking))
    assert recorded.unintended == []


def test_adding_is_safe_and_an_optional_argument_is_not_breaking() -> None:
    live = from_sdl(
        RELEASED_SDL.replace(
            "catalogue(first: Int)", "catalogue(first: Int, after: String)"
        ).replace("type Viewer { id: ID! }", "type Viewer { id: ID! name: String }")
    )
    assert compare(RELEASED_SDL, live, intended=set()).breaking == []


def test_the_command_prints_the_changes_and_fails_on_breaking_ones() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "app", "schema-changes"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "BREAKING" not in run.stdout
