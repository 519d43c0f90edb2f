"""Compressed answers: brotli or gzip as the client prefers, over 1 KB, never twice."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import brotli
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from app.web.compression import choose_encoding
from tests.helpers import op


@pytest.mark.parametrize(
    ("accept_encoding", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),  # what browsers send: equal q, br preferred
        ("gzip, br", "br"),
        ("br;q=0.5, gzip", "gzip"),  # the client's q-values decide
        ("gzip;q=0.8, br;q=0.9", "br"),
        ("BR", "br"),
        ("x-gzip", "gzip"),
        ("*", "br"),
        ("*;q=0.5, gzip", "gzip"),
        ("*, br;q=0", "gzip"),
        ("gzip;q=0, br;q=0", None),  # nothing acceptable: identity, not a 406
        ("identity", None),
        ("deflate, zstd", None),  # not offered
        ("br;q=abc, gzip;q=0.1", "gzip"),  # a hostile q refuses its coding
        ("br;q=7", None),
        (" , ;q=1,", None),
    ],
)
def test_the_coding_follows_accept_encoding(accept_encoding: str, chosen: str | None) -> None:
    assert choose_encoding(accept_encoding) == chosen


async def _catalogue(client: httpx.AsyncClient, accept_encoding: str) -> httpx.Response:
    response = await client.post(
        "/graphql",
        json={"query": op("Catalogue"), "variables": {"first": 20}},
        headers={"accept-encoding": accept_encoding},
    )
    assert response.status_code == 200
    return response


async def test_a_20_card_catalogue_goes_out_as_brotli_or_gzip(client: httpx.AsyncClient) -> None:
    plain = await _catalogue(client, "identity")
    packed_gzip = await _catalogue(client, "gzip")
    packed_br = await _catalogue(client, "gzip, deflate, br")
    assert "content-encoding" not in plain.headers
    assert packed_gzip.headers["content-encoding"] == "gzip"
    assert packed_br.headers["content-encoding"] == "br"
    for response in (plain, packed_gzip, packed_br):
        assert "accept-encoding" in response.headers["vary"].lower()
    assert packed_gzip.json() == packed_br.json() == plain.json()
    assert len(plain.json()["data"]["psychologists"]["edges"]) == 20
    # Measured (bench/bytes_bench.py): 49,380 -> gzip 3,779 (13.1x), brotli 3,574 (13.8x).
    identity, gz, br = (
        plain.num_bytes_downloaded,
        packed_gzip.num_bytes_downloaded,
        packed_br.num_bytes_downloaded,
    )
    assert gz * 8 < identity
    assert br * 10 < identity
    assert br < gz


async def test_small_answers_and_refusing_clients_get_identity(client: httpx.AsyncClient) -> None:
    small = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept-encoding": "br, gzip"}
    )
    assert "content-encoding" not in small.headers  # under 1 KB: not worth it
    refused = await _catalogue(client, "br;q=0, gzip;q=0, *;q=0")
    assert "content-encoding" not in refused.headers
    assert refused.json()["data"]["psychologists"]["edges"]


def _wrapped(endpoint: object) -> Starlette:
    from app.web.compression import Compression

    return Starlette(
        routes=[Route("/", endpoint)],  # type: ignore[arg-type]
        middleware=[Middleware(Compression)],
    )


async def test_a_streamed_answer_is_compressed_as_it_goes() -> None:
    parts = [json.dumps({"part": i, "pad": "x" * 600}).encode() + b"\n" for i in range(20)]

    async def stream(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for part in parts:
                yield part

        return StreamingResponse(body(), media_type="application/json")

    transport = httpx.ASGITransport(app=_wrapped(stream))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        for coding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            async with c.stream("GET", "/", headers={"accept-encoding": coding}) as response:
                assert response.headers["content-encoding"] == coding
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            assert decode(raw) == b"".join(parts)


async def test_an_answer_already_encoded_is_not_encoded_again() -> None:
    original = b'{"data": "' + b"y" * 5000 + b'"}'

    async def encoded(request: Request) -> Response:
        return Response(
            gzip.compress(original),
            media_type="application/json",
            headers={"content-encoding": "gzip"},
        )

    transport = httpx.ASGITransport(app=_wrapped(encoded))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/", headers={"accept-encoding": "br"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == original  # httpx undid the one gzip layer
