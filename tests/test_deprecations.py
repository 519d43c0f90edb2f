"""Deprecated fields: their use is counted per operation and client, and a field leaves the
schema only after a release in which it was deprecated and no registered document uses it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import strawberry
from graphql import build_schema as from_sdl
from graphql import parse
from starlette.applications import Starlette

from app.core.usage import MAX_KEYS, OTHER, DeprecatedUsage
from app.web.console import console_operations
from models.api import DeprecatedFieldUsage
from schema import build_schema
from schema.evolution import RELEASED, field_coordinates, removal_problems
from schema.usage import CountDeprecatedUsage
from tests.helpers import contract_operations
from tests.identity.test_cli import cli_env as cli_env  # a fixture
from tests.identity.test_cli import run

RELEASED_SDL = """
type Query { card(id: ID!): Card cards(kind: Kind): [Card!]! }
interface Named { name: String! }
type Card implements Named {
  id: ID!
  name: String!
  title: String @deprecated(reason: "Use name.")
  photo: String @deprecated(reason: "Use avatar.")
}
enum Kind { SESSION CHECKUP OLD @deprecated(reason: "Gone.") }
"""
USES_TITLE = "query Old { card(id: 1) { ...F } } fragment F on Card { title }"
USES_NAME = "query New { cards(kind: SESSION) { ... on Named { name } } }"


def test_coordinates_follow_fragments_interfaces_and_enum_literals() -> None:
    schema = from_sdl(RELEASED_SDL)
    assert field_coordinates(schema, parse(USES_TITLE)) == {"Query.card", "Card.title"}
    assert field_coordinates(schema, parse(USES_NAME)) == {
        "Query.cards",
        "Named.name",
        "Kind.SESSION",
    }


@pytest.mark.parametrize(
    ("removed", "documents", "problems"),
    [
        # deprecated in the release and unused: may go
        (' photo: String @deprecated(reason: "Use avatar.")', {"new": USES_NAME}, []),
        (' OLD @deprecated(reason: "Gone.")', {}, []),
        # never deprecated
        (" id: ID!", {}, ["Card.id was removed without being @deprecated in a release"]),
        # deprecated, but a registered document still selects it
        (
            ' title: String @deprecated(reason: "Use name.")',
            {"old": USES_TITLE, "new": USES_NAME, "junk": "{ nope"},
            ["Card.title was removed while registered documents use it: old"],
        ),
    ],
)
def test_a_field_goes_only_after_deprecation_and_disuse(
    removed: str, documents: dict[str, str], problems: list[str]
) -> None:
    assert removed in RELEASED_SDL
    live = from_sdl(RELEASED_SDL.replace(removed, ""))
    assert removal_problems(RELEASED_SDL, live, documents) == problems


def test_the_live_schema_removes_nothing_a_shipped_document_uses() -> None:
    documents = dict(contract_operations())
    documents["console"] = console_operations()
    released = RELEASED.read_text(encoding="utf-8")
    assert removal_problems(released, build_schema()._schema, documents) == []


@strawberry.type
class Card:
    name: str = "Анна"
    title: str = strawberry.field(default="Анна", deprecation_reason="Use name.")


@strawberry.type
class Query:
    @strawberry.field
    def card(self) -> Card:
        return Card()


def _run(usage: DeprecatedUsage, query: str, client: str | None = None) -> None:
    schema = strawberry.Schema(query=Query, extensions=[CountDeprecatedUsage])
    headers = {"apollographql-client-name": client} if client else {}
    context = SimpleNamespace(
        runtime=SimpleNamespace(usage=usage), request=SimpleNamespace(headers=headers)
    )
    result = schema.execute_sync(query, context_value=context)
    assert result.errors is None


def test_use_is_counted_per_operation_and_client() -> None:
    usage = DeprecatedUsage()
    _run(usage, "query Old { card { title } }", "psyline-ios")
    _run(usage, "query Old { card { title } }", "psyline-ios")
    _run(usage, "query Old { card { title name } }", "psyline-android")
    _run(usage, "query New { card { name } }", "psyline-ios")  # nothing deprecated
    _run(usage, "{ card { title } }", "evil\x00\nclient" + "x" * 100)
    assert dict(usage.counts) == {
        ("Card.title", "Old", "psyline-ios"): 2,
        ("Card.title", "Old", "psyline-android"): 1,
        ("Card.title", "", "evilclient" + "x" * 52): 1,
    }


def test_the_keys_are_bounded() -> None:
    usage = DeprecatedUsage()
    for i in range(MAX_KEYS + 5):
        usage.record(["Card.title"], f"Op{i}", "c")
    assert len(usage.counts) == MAX_KEYS + 1
    assert usage.counts[("Card.title", OTHER, OTHER)] == 5


async def test_counts_add_up_in_the_database_across_flushes(app: Starlette) -> None:
    usage = DeprecatedUsage()
    key = {"coordinate": "Card.title", "operation_name": "FlushTest", "client_name": "ios"}
    usage.record(["Card.title"], "FlushTest", "ios")
    usage.record(["Card.title"], "FlushTest", "ios")
    assert await usage.flush() == 1
    assert usage.counts == {}
    first = await DeprecatedFieldUsage.get(**key)
    assert first.count == 2
    usage.record(["Card.title"], "FlushTest", "ios")
    other = DeprecatedUsage()  # another worker, same row
    other.record(["Card.title"], "FlushTest", "ios")
    assert await usage.flush() == 1
    assert await other.flush() == 1
    row = await DeprecatedFieldUsage.get(**key)
    assert row.count == 4
    assert row.first_seen_at == first.first_seen_at
    assert row.last_seen_at >= first.last_seen_at
    assert await DeprecatedUsage().flush() == 0  # nothing to write: no statement


def test_the_command_lists_the_counts(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "deprecations")
    assert out.strip() == "no deprecated fields"  # none yet in the live schema
