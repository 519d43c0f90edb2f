"""Hostile and mistaken input: clear errors with extensions.code, never a 500.

Given the catalogue, when a client sends unknown or malformed IDs, broken cursors,
negative or huge page sizes or unknown enum values, then it gets ``null`` for
things that do not exist, a top-level ``BAD_USER_INPUT`` for malformed arguments,
a GraphQL validation error for wrong enum values, and a capped page for huge sizes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from models.catalogue import Psychologist
from models.enums import VettingStatus
from schema.relay import to_global_id
from tests.catalogue.support import CATALOGUE, PROFILE, PROFILE_VARS, catalogue, pks
from tests.helpers import error_codes, forged_cursor, gql, gql_raw


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _only_bad_input(body: dict[str, Any]) -> None:
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    message = body["errors"][0]["message"]
    assert message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    "global_id",
    [
        to_global_id("Psychologist", 987654321),
        to_global_id("Spaceship", 1),  # a type we do not have
        to_global_id("Psychologist", "abc"),  # our shape, not a number
        to_global_id("Psychologist", "9" * 40),  # absurdly large
    ],
)
async def test_unknown_but_wellformed_ids_give_null(
    client: httpx.AsyncClient, global_id: str
) -> None:
    data = await gql(client, PROFILE, {"id": global_id, **PROFILE_VARS})
    assert data["node"] is None


@pytest.mark.parametrize("global_id", ["!!!", "", "bm90IGFuIGlk", "x" * 600, "%00", "ÿÿÿ"])
async def test_malformed_ids_are_bad_user_input(client: httpx.AsyncClient, global_id: str) -> None:
    body = await gql_raw(client, PROFILE, {"id": global_id, **PROFILE_VARS})
    _only_bad_input(body)
    assert (body.get("data") or {}).get("node") is None


async def test_filter_ids_of_another_type_are_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await gql_raw(
        client, CATALOGUE, {"first": 5, "filter": {"methodIds": [to_global_id("Topic", 1)]}}
    )
    _only_bad_input(body)


@pytest.mark.parametrize(
    "after",
    [
        "garbage!!",
        _b64("not json"),
        _b64(json.dumps([1, 2])),  # JSON of the wrong shape
        forged_cursor(["PRICE_ASC", 150000, 1]),  # another ordering's cursor
        forged_cursor(["RATING_DESC", "high", "x"]),
        forged_cursor({"a": 1}),
        "x" * 2000,
    ],
)
async def test_malformed_cursors_are_bad_user_input(client: httpx.AsyncClient, after: str) -> None:
    body = await gql_raw(client, CATALOGUE, {"first": 5, "after": after})
    _only_bad_input(body)


async def test_malformed_review_cursor_is_bad_user_input(client: httpx.AsyncClient) -> None:
    somebody = await Psychologist.filter(vetting_status=VettingStatus.APPROVED).first()
    assert somebody is not None
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Psychologist {
        reviews(first: 2, after: $after) { edges { node { id } } } } } }"""
    body = await gql_raw(
        client,
        query,
        {"id": to_global_id("Psychologist", somebody.id), "after": forged_cursor(["X", 1])},
    )
    _only_bad_input(body)


@pytest.mark.parametrize("first", [-1, -100000])
async def test_negative_first_is_bad_user_input(client: httpx.AsyncClient, first: int) -> None:
    _only_bad_input(await gql_raw(client, CATALOGUE, {"first": first}))


async def test_huge_first_is_capped_at_100(client: httpx.AsyncClient) -> None:
    page = await catalogue(client, first=100000)
    assert len(page["edges"]) == 100
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await catalogue(client, first=100000, after=page["pageInfo"]["endCursor"])
    assert len(pks(page)) + len(pks(rest)) == page["totalCount"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_zero_first_gives_an_empty_page(client: httpx.AsyncClient) -> None:
    page = await catalogue(client, first=0)
    assert page["edges"] == []
    assert page["totalCount"] > 0


@pytest.mark.parametrize(
    ("flt", "fragment"),
    [({"maxPrice": "-1"}, "maxPrice"), ({"search": "я" * 101}, "search")],
)
async def test_bad_filter_values_are_bad_user_input(
    client: httpx.AsyncClient, flt: dict[str, Any], fragment: str
) -> None:
    body = await gql_raw(client, CATALOGUE, {"first": 5, "filter": flt})
    _only_bad_input(body)
    assert fragment in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 5, "orderBy": "CHEAPEST"},
        {"first": 5, "filter": {"clientType": "ALIEN"}},
        {"first": 5, "filter": {"serviceKind": "massage"}},
        {"first": "five"},
        {"first": 5, "filter": {"maxPrice": "a lot"}},
    ],
)
async def test_wrong_variable_values_are_validation_errors(
    client: httpx.AsyncClient, variables: dict[str, Any]
) -> None:
    body = await gql_raw(client, CATALOGUE, variables)
    assert body["errors"]
    assert not body.get("data")


async def test_wrong_inline_enum_is_a_validation_error(client: httpx.AsyncClient) -> None:
    body = await gql_raw(client, "{ psychologists(orderBy: CHEAPEST, first: 1) { totalCount } }")
    assert body["errors"]
    assert "CHEAPEST" in body["errors"][0]["message"]
    assert not body.get("data")


async def test_garbage_requests_are_client_errors(client: httpx.AsyncClient) -> None:
    for content in (b"{", b"[]", b'{"query": 1}', b"\xff\xfe"):
        response = await client.post(
            "/graphql", content=content, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (content, response.status_code)
