"""Automatic persisted queries, exactly as Apollo's PersistedQueryLink speaks them.

The protocol: send the hash; on PersistedQueryNotFound send hash and text; from then on
the hash alone runs the text, by POST or by GET (queries only).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from app.core.persisted import PersistedQueries, RedisPersistedQueries, sha256_hex
from tests.fixtures import TEST_REDIS_URL
from tests.helpers import op


def unique(query: str) -> str:
    """The same query with a fresh comment: a hash no earlier test has stored."""
    return f"# {uuid.uuid4().hex}\n{query}"


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def code(body: dict[str, Any]) -> str:
    value: str = body["errors"][0]["extensions"]["code"]
    return value


async def test_the_apollo_round_trip_over_post(client: httpx.AsyncClient) -> None:
    query = unique(op("Catalogue"))
    digest = sha256_hex(query)
    variables = {"first": 2}

    miss = await post(client, extensions=apq(digest), variables=variables)
    assert miss["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code(miss) == "PERSISTED_QUERY_NOT_FOUND"

    registered = await post(client, query=query, extensions=apq(digest), variables=variables)
    assert "errors" not in registered
    hit = await post(client, extensions=apq(digest), variables=variables)
    assert hit["data"] == registered["data"]


async def test_a_get_runs_a_persisted_query_and_never_a_mutation(
    client: httpx.AsyncClient,
) -> None:
    query = unique("query Methods { methods { id name } }")
    digest = sha256_hex(query)
    params = {"extensions": json.dumps(apq(digest)), "operationName": "Methods"}
    headers = {"accept": "text/html,application/json"}  # a browser's: still no GraphiQL
    miss = await client.get("/graphql", params=params, headers=headers)
    assert miss.headers["content-type"].startswith("application/json")
    assert code(miss.json()) == "PERSISTED_QUERY_NOT_FOUND"
    await post(client, query=query, extensions=apq(digest))
    hit = await client.get("/graphql", params=params)
    assert hit.status_code == 200
    assert hit.json()["data"]["methods"]

    mutation = unique('mutation { signOut(input: {refreshToken: "x"}) { ok } }')
    mutation_digest = sha256_hex(mutation)
    await post(client, query=mutation, extensions=apq(mutation_digest))  # stored by POST
    refused = await client.get("/graphql", params={"extensions": json.dumps(apq(mutation_digest))})
    assert refused.status_code == 405  # as for any mutation sent by GET
    assert refused.headers["allow"] == "POST"
    assert "mutation" in refused.text.lower()


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        (apq("0" * 64), "PERSISTED_QUERY_HASH_MISMATCH"),  # text given, hash of other text
        (
            {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ),
        (apq("not-a-hash"), "PERSISTED_QUERY_HASH_MISMATCH"),
        ({"persistedQuery": "yes"}, "PERSISTED_QUERY_NOT_SUPPORTED"),
    ],
)
async def test_a_wrong_hash_or_version_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, extensions: dict[str, Any], expected: str
) -> None:
    body = await post(client, query="{ methods { id } }", extensions=extensions)
    assert code(body) == expected
    assert body.get("data") is None


async def test_the_local_store_is_a_bounded_lru() -> None:
    store = PersistedQueries(max_entries=2)
    for text in ("a", "b"):
        await store.put(sha256_hex(text), text)
    assert await store.get(sha256_hex("a")) == "a"  # now the most recent
    await store.put(sha256_hex("c"), "c")
    assert await store.get(sha256_hex("b")) is None
    assert await store.get(sha256_hex("a")) == "a"


@pytest.mark.redis
@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
async def test_with_redis_every_worker_shares_the_store() -> None:
    assert TEST_REDIS_URL
    one, two = RedisPersistedQueries(TEST_REDIS_URL), RedisPersistedQueries(TEST_REDIS_URL)
    text = unique("{ methods { id } }")
    try:
        await one.put(sha256_hex(text), text)
        assert await two.get(sha256_hex(text)) == text
    finally:
        await one.close()
        await two.close()
