"""Shared pieces of the catalogue tests: contract documents and expectations from the DB."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from graphql import parse, print_ast

from app.graphiql import strip_unknown_fields, without_fields
from models.catalogue import Psychologist, Review, Service
from models.enums import ServiceKind, VettingStatus
from schema import schema
from schema.relay import decode_id
from tests.helpers import gql, op


def contract(name: str, *pending_fields: str, force: bool = False) -> str:
    """A contract operation minus the named fields while the schema lacks them.

    Once a field exists in the schema it is kept: the stripping is then a no-op.
    ``force`` removes the named fields even when they exist.
    """
    doc = parse(op(name))
    if force:
        doc = without_fields(doc, set(pending_fields))
    else:
        doc = strip_unknown_fields(doc, schema._schema, only=set(pending_fields))
    return print_ast(doc)


CATALOGUE = contract("Catalogue", "nextSlots")
PROFILE = contract("PsychologistProfile", "availability")
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
