"""The executor's fast paths (plain leaf fields, plans for plain objects) answer exactly
as graphql-core's own path: the same data, the same errors (message, path), for good and
bad values alike; permissions always run."""

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


# Plans: objects whose whole selection is plain are completed without graphql-core's
# per-field execution, and answer the same, surprises included.


class Denied(strawberry.BasePermission):
    message = "denied"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.interface
class Named:
    label: str


@strawberry.type
class Part(Named):
    size: int
    colour: Colour | None


@strawberry.type
class Box:
    part: Part
    spare: Part | None
    secret: str = strawberry.field(permission_classes=[Denied], default="hidden")


BOXES: list[Any] = [
    Box(part=Part(label="a", size=1, colour=Colour.RED), spare=None),
    Box(part=Part(label="b", size=2, colour=None), spare=Part(label="c", size=3, colour=None)),
    Box(part=Part(label="d", size="x", colour=Colour.RED), spare=None),  # type: ignore[arg-type]
    Box(part=None, spare=Part(label="e", size=4, colour="GREEN")),  # type: ignore[arg-type]
    Box(part="not a part", spare=None),  # type: ignore[arg-type]
]


@strawberry.type
class BoxQuery:
    @strawberry.field
    def boxes(self) -> list[Box | None]:
        return BOXES


class Counting(PsylineExecutor):
    slow = 0

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        Counting.slow += 1
        return super().execute_field(*args, **kwargs)


PLAIN = "{ boxes { __typename part { t: __typename label size colour } second: spare { size } } }"
MIXED = "{ boxes { part { label } secret } }"


async def _run_query(query: str, executor: type | None) -> tuple[Any, list[tuple[str, list[Any]]]]:
    schema = strawberry.Schema(query=BoxQuery, execution_context_class=executor)
    result = await schema.execute(query)
    errors = sorted((e.message, list(e.path or [])) for e in result.errors or [])
    return result.data, errors


async def test_plain_objects_are_completed_by_a_plan_as_graphql_core_does() -> None:
    for query in (PLAIN, MIXED):
        assert await _run_query(query, PsylineExecutor) == await _run_query(query, None), query
    data, errors = await _run_query(PLAIN, PsylineExecutor)
    assert data["boxes"][1] == {
        "__typename": "Box",
        "part": {"t": "Part", "label": "b", "size": 2, "colour": None},
        "second": {"size": 3},
    }
    assert [data["boxes"][i] for i in (2, 3, 4)] == [None, None, None]  # bad parts null them
    assert len(errors) == 3


async def test_a_permission_is_never_skipped_by_the_fast_paths() -> None:
    data, errors = await _run_query(MIXED, PsylineExecutor)
    assert data["boxes"][0] is None
    assert ("denied", ["boxes", 0, "secret"]) in errors


async def test_the_good_rows_of_a_plain_selection_run_no_field_by_field() -> None:
    Counting.slow = 0
    schema = strawberry.Schema(query=BoxQuery, execution_context_class=Counting)
    good = "{ boxes { part { label size } } }"
    good_boxes = [Box(part=Part(label=str(i), size=i, colour=None), spare=None) for i in range(50)]
    BOXES[:], saved = good_boxes, BOXES[:]
    try:
        result = await schema.execute(good)
    finally:
        BOXES[:] = saved
    assert result.errors is None
    assert len(result.data["boxes"]) == 50  # type: ignore[index]
    assert Counting.slow == 1  # `boxes` only: every Box and Part is completed by its plan
