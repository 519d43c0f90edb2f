"""Shared pieces of the catalogue tests: contract documents and expectations from the DB."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from graphql import (
    REMOVE,
    DocumentNode,
    FieldNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from models.catalogue import Psychologist, Review, Service
from models.enums import ServiceKind, VettingStatus
from schema.relay import decode_id
from tests.helpers import gql, op


def without(name: str, *fields: str) -> str:
    """A contract operation minus every selection of the named fields."""
    return print_ast(without_fields(parse(op(name)), set(fields)))


def without_fields(document: DocumentNode, names: set[str]) -> DocumentNode:
    """Remove every selection of the named fields (and variables left unused)."""

    class Strip(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> Any:
            return REMOVE if node.name.value in names else None

    stripped: DocumentNode = visit(document, Strip())
    return _drop_unused_variables(stripped)


def _drop_unused_variables(document: DocumentNode) -> DocumentNode:
    """Drop variable definitions that no remaining selection uses (GraphQL forbids them)."""
    used: set[str] = set()

    class Collect(Visitor):
        def enter_variable_definition(self, *_args: Any) -> Any:
            return False  # the definition itself is not a use; skip its subtree

        def enter_variable(self, node: VariableNode, *_args: Any) -> None:
            used.add(node.name.value)

    visit(document, Collect())

    class Drop(Visitor):
        def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> Any:
            return None if node.variable.name.value in used else REMOVE

    result: DocumentNode = visit(document, Drop())
    return result


CATALOGUE = op("Catalogue")
PROFILE = op("PsychologistProfile")
PROFILE_VARS = {"from": "2026-01-01T00:00:00+00:00", "to": "2026-01-02T00:00:00+00:00"}


def pks(connection: dict[str, Any]) -> list[int]:
    out = []
    for edge in connection["edges"]:
        pk = decode_id(edge["node"]["id"], "Psychologist")
        assert pk is not None
        out.append(pk)
    return out


async def catalogue(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    variables.setdefault("first", 20)
    data = await gql(client, CATALOGUE, variables)
    result: dict[str, Any] = data["psychologists"]
    return result


async def walk(client: httpx.AsyncClient, page_size: int, **variables: Any) -> list[int]:
    """Every psychologist id of a listing, following endCursor page by page."""
    ids: list[int] = []
    after = None
    for _ in range(1000):
        page = await catalogue(client, first=page_size, after=after, **variables)
        assert len(page["edges"]) <= page_size
        ids += pks(page)
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging never ended")


# --- expectations computed straight from the tables -----------------------


async def approved_ids() -> set[int]:
    return set(
        await Psychologist.filter(vetting_status=VettingStatus.APPROVED).values_list(
            "id", flat=True
        )
    )


async def approved_rows() -> dict[int, dict[str, Any]]:
    return {
        r["id"]: r
        for r in await Psychologist.filter(vetting_status=VettingStatus.APPROVED).values()
    }


async def average_ratings() -> dict[int, Decimal]:
    totals: dict[int, list[int]] = defaultdict(list)
    for pid, rating in await Review.filter(is_published=True).values_list(
        "psychologist_id", "rating"
    ):
        totals[pid].append(rating)
    return {
        pid: (Decimal(sum(r)) / len(r)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for pid, r in totals.items()
    }


async def session_prices() -> dict[int, Decimal]:
    """Cheapest active non-checkup service per psychologist."""
    low: dict[int, Decimal] = {}
    for pid, kind, price in await Service.filter(is_active=True).values_list(
        "psychologist_id", "kind", "price"
    ):
        if ServiceKind(kind) is ServiceKind.CHECKUP:
            continue
        price = Decimal(price)
        if pid not in low or price < low[pid]:
            low[pid] = price
    return low
