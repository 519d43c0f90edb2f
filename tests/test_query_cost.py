"""Cost, not just depth: hostile documents are refused before they run, for the price of
reading them; every contract operation passes with room to spare.

The hostile inputs are the ones measured in issue 10 (``bench/hostile_bench.py``): a
133-byte query walking ``nextSlots -> psychologist -> nextSlots``, 30 aliases of
``soonestSlots``, 300 copies of one field, and a fragment bomb.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import parse

from app.core.messages import Msg
from bench.hostile_bench import ALIASES, COPIES, CYCLE
from schema import build_schema
from schema.cost import DEFAULT_BUDGET, operation_cost
from tests.chat.ws import ws_session
from tests.factories import signed_in
from tests.helpers import contract_operations, contract_present, count_sql, gql, gql_raw

BUDGET = DEFAULT_BUDGET.cost


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels selections from a few lines."""
    fragments = [f"fragment F{i} on Method {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Method {{ id name }}")
    return "{ methods { ...F0 } } " + " ".join(fragments)


async def refused(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    """The one error of a request refused before it ran (and no SQL was sent for it)."""
    with count_sql() as sql:
        body = await gql_raw(client, query)
    assert sql.count == 0, sql.statements
    assert body.get("data") is None, body
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return {"message": error["message"], **extensions}


async def test_a_small_query_walking_a_cycle_of_types_is_refused_for_its_cost(
    client: httpx.AsyncClient,
) -> None:
    assert len(CYCLE) == 133
    error = await refused(client, CYCLE)
    assert error["code"] == "QUERY_TOO_COSTLY"
    assert error["budget"] == BUDGET
    assert error["cost"] > 40 * BUDGET
    assert error["message"] == Msg.QUERY_TOO_COSTLY(cost=error["cost"], budget=BUDGET).render()


async def test_thirty_aliases_of_soonest_slots_are_refused_for_their_cost(
    client: httpx.AsyncClient,
) -> None:
    error = await refused(client, ALIASES)
    assert error["code"] == "QUERY_TOO_COSTLY"
    assert error["cost"] > BUDGET


@pytest.mark.parametrize("query", [COPIES, fragment_bomb(12)], ids=["300 copies", "bomb"])
async def test_documents_that_make_validation_expensive_are_refused_before_it(
    client: httpx.AsyncClient, query: str
) -> None:
    error = await refused(client, query)
    assert error["code"] == "QUERY_TOO_LARGE"


@pytest.mark.parametrize(
    "query",
    [
        "{ methods { ...Missing } }",
        "{ methods { ...A } } fragment A on Method { ...B } fragment B on Method { ...A }",
    ],
    ids=["unknown", "cycle"],
)
async def test_broken_fragments_are_just_invalid(client: httpx.AsyncClient, query: str) -> None:
    error = await refused(client, query)
    assert error["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "fragment" in error["message"]


async def test_a_successful_response_reports_its_cost(client: httpx.AsyncClient) -> None:
    body = await gql_raw(client, "{ methods { id } topics { id } }")
    assert "errors" not in body
    assert body["extensions"]["cost"] == {"requested": 62, "budget": BUDGET}


async def test_the_budget_is_checked_on_sockets_too(settings: Any, live_server: str) -> None:
    person = await signed_in(settings)
    async with ws_session(live_server, person.token) as ws:
        op_id = await ws.subscribe(CYCLE)
        message = await ws.next(op_id)
    assert message["type"] == "error"  # refused before it ran: the protocol's `error`
    assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


@pytest.mark.skipif(not contract_present(), reason="needs ../shared/contract")
def test_every_contract_operation_costs_at_most_60_percent_of_the_budget() -> None:
    """With no variables every page is at its maximum: the worst case a client can send."""
    schema = build_schema()._schema
    costs = {
        name: operation_cost(schema, parse(text), name, {}, default_maximum=100)
        for name, text in contract_operations().items()
    }
    assert max(costs.values()) <= 0.6 * BUDGET, costs
    assert costs["Catalogue"] > 0  # the model sees the lists


async def test_a_repeated_document_is_validated_once(client: httpx.AsyncClient) -> None:
    """The validation cache hits: the alias and depth rules are the same classes on every
    request (strawberry's limiters would build new ones, and no key would repeat)."""
    from schema.cost import _validate

    query = "query Repeated { methods { id name } }"
    await gql(client, query)
    before = _validate.cache_info()
    for _ in range(3):
        await gql(client, query)
    after = _validate.cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses
