"""Malformed input gets a 4xx (or a GraphQL error), never a 500, and never its raw value
in the logs: non-object bodies, invalid UTF-8, deep nesting, NUL bytes and lone
surrogates, huge invalid scalars, bodies and frames over the size limit."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.core.settings import Settings
from schema.relay import to_global_id
from tests.chat.ws import PROTOCOL, ws_url
from tests.factories import signed_in
from tests.helpers import forged_cursor, op

JSON = {"content-type": "application/json"}
SEARCH = "query($q: String) { psychologists(first: 1, filter: {search: $q}) { totalCount } }"
MARKER = "MARKER-7c1f"  # put into hostile values: it must not reach a log line


def deep(levels: int) -> bytes:
    return (
        b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * levels + b"]" * levels + b"}}"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"null",
        b'"x"',
        b"[]",
        b"1",
        b'[{"query": "{ __typename }"}]',
        b'{"query": "\xff\xfe"}',
        deep(1000),
        deep(30_000),  # 60 KB, under the body limit
        b'{"query": "{ __typename }", "variables": [1]}',
    ],
    ids=["null", "string", "empty-list", "number", "batch", "utf8", "deep", "deeper", "vars"],
)
async def test_a_malformed_body_is_a_400(
    client: httpx.AsyncClient, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.post("/graphql", content=content, headers=JSON)
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "value", [f"{MARKER}\x00", f"{MARKER}\ud800", f"{MARKER}\udfff tail"], ids=["nul", "hi", "lo"]
)
async def test_nul_and_lone_surrogates_in_variables_are_refused_quietly(
    client: httpx.AsyncClient, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"query": SEARCH, "variables": {"q": value}})  # escapes them: \u0000
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "NUL" in response.text or "Unicode" in response.text
    assert MARKER not in caplog.text


async def test_nul_in_an_inline_string_literal_is_refused_quietly(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    query = '{ psychologists(first: 1, filter: {search: "' + MARKER + '\\u0000"}) { totalCount } }'
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body.get("data") is None
    assert MARKER not in caplog.text


async def test_a_lone_surrogate_in_an_idempotency_key_is_refused_quietly(
    client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    person = await signed_in(settings)
    variables = {"slotId": "U2xvdDox", "idempotencyKey": f"{MARKER}\ud800"}
    body = json.dumps({"query": op("BookSlot"), "variables": variables})
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", content=body, headers={**JSON, **person.headers})
    assert response.status_code == 400
    assert MARKER not in caplog.text


async def test_a_huge_invalid_datetime_is_bad_input_logged_in_one_quiet_line(
    client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """(A 1 MB one is a 413: over the body limit.)"""
    query = "query($f: DateTime!, $t: DateTime!) { careStats(from: $f, to: $t) { waits } }"
    huge = MARKER + "x" * (settings.max_body_bytes - 1_000)
    variables = {"f": huge, "t": "2026-12-07T00:00:00Z"}
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    error: dict[str, Any] = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$f" in error["message"]
    assert len(response.content) < 1_000
    assert MARKER not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_body_over_the_limit_is_413_before_it_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    big = json.dumps({"query": "{ __typename }", "variables": {"x": "y" * settings.max_body_bytes}})
    response = await client.post("/graphql", content=big, headers=JSON)
    assert response.status_code == 413

    async def chunks() -> Any:  # no Content-Length: counted while reading
        for _ in range(settings.max_body_bytes // 1000 + 2):
            yield b" " * 1000

    response = await client.post("/graphql", content=chunks(), headers=JSON)
    assert response.status_code == 413


async def test_a_websocket_frame_over_the_limit_closes_the_socket(
    settings: Settings, live_server: str
) -> None:
    person = await signed_in(settings)
    async with connect(ws_url(live_server), subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": person.headers}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "ping", "payload": {"x": "y" * settings.max_body_bytes}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


@pytest.mark.parametrize("pk", [2**31, 2**63, 10**17], ids=["int32", "int64", "18-digits"])
async def test_an_id_beyond_the_column_range_is_not_found_not_an_internal_error(
    client: httpx.AsyncClient, settings: Settings, pk: int
) -> None:
    """Integer primary keys are 32-bit on PostgreSQL: a larger one must not reach the driver."""
    person = await signed_in(settings)
    query = "query($id: ID!) { node(id: $id) { id } }"
    response = await client.post(
        "/graphql", json={"query": query, "variables": {"id": to_global_id("Psychologist", pk)}}
    )
    assert response.json()["data"] == {"node": None}
    assert "errors" not in response.json()
    response = await client.post(
        "/graphql",
        json={"query": op("CancelBooking"), "variables": {"id": to_global_id("Booking", pk)}},
        headers=person.headers,
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["cancelBooking"]["errors"][0]["code"] == "NOT_FOUND"


def test_wide_id_types_are_exactly_the_node_types_with_64_bit_keys() -> None:
    import importlib

    from tortoise import fields
    from tortoise.models import Model

    from app.core.db import DOMAINS
    from schema import build_schema
    from schema.relay import WIDE_PK_TYPES

    models = [
        cls
        for module in DOMAINS.values()
        for cls in vars(importlib.import_module(module)).values()
        if isinstance(cls, type) and issubclass(cls, Model) and cls is not Model
    ]
    wide = {
        cls.__name__
        for cls in models
        if isinstance(cls._meta.fields_map.get(cls._meta.pk_attr), fields.BigIntField)
    }
    nodes = {
        name
        for name, type_ in build_schema()._schema.type_map.items()
        if "Node" in {i.name for i in getattr(type_, "interfaces", ())}
    }
    assert "Message" in nodes
    assert wide & nodes == WIDE_PK_TYPES


async def test_a_slot_id_beyond_the_key_range_is_slot_unavailable(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person = await signed_in(settings)
    slot = to_global_id("Slot", f"{2**31}:1:1800000000")
    response = await client.post(
        "/graphql",
        json={"query": op("BookSlot"), "variables": {"slotId": slot, "idempotencyKey": "k-1"}},
        headers=person.headers,
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["bookSlot"]["errors"][0]["field"] == "slotId"


async def test_a_cursor_beyond_the_key_range_is_bad_input_not_an_internal_error(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person = await signed_in(settings)
    response = await client.post(
        "/graphql",
        json={
            "query": op("MyBookings"),
            "variables": {"first": 5, "after": forged_cursor(["B", 0, 1800000000, 2**31])},
        },
        headers=person.headers,
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
