"""The executor's fast path for plain leaf fields answers exactly as graphql-core's own
path: the same data, the same errors (message, path), for good and bad values alike."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from schema.executor import PsylineExecutor


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Thing:
    name: str
    count: int | None
    colour: Colour
    ratio: float

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


THINGS: list[Any] = [
    Thing(name="a", count=1, colour=Colour.RED, ratio=0.5),
    Thing(name="b", count=None, colour=Colour.BLUE, ratio=2),
    Thing(name=None, count=3, colour=Colour.RED, ratio=1.0),  # type: ignore[arg-type]
    Thing(name="d", count="x", colour="GREEN", ratio="nan"),  # type: ignore[arg-type]
    Thing(name="e", count=2**40, colour=Colour.BLUE, ratio=1.5),
]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return THINGS


QUERY = "{ things { __typename name count colour ratio shout } }"


async def _run(executor: type | None) -> tuple[Any, list[tuple[str, list[Any]]]]:
    schema = strawberry.Schema(query=Query, execution_context_class=executor)
    result = await schema.execute(QUERY)
    errors = sorted((e.message, list(e.path or [])) for e in result.errors or [])
    return result.data, errors


async def test_plain_leaf_fields_answer_as_graphql_core_does() -> None:
    fast = await _run(PsylineExecutor)
    assert fast == await _run(None)
    data, errors = fast
    assert data["things"][0] == {
        "__typename": "Thing",
        "name": "a",
        "count": 1,
        "colour": "RED",
        "ratio": 0.5,
        "shout": "A",
    }
    assert data["things"][1]["count"] is None
    assert data["things"][2] is None  # null for a non-null field: the item is nulled
    assert len(errors) >= 3  # the null name, the bad count, colour and ratio, the big int
