"""Bytes on the wire: the 20-card Catalogue and GraphiQL's bundles, identity / gzip / brotli.

Run by hand with pytest (the suite's fixtures: the demo seed, 112 psychologists):

    .venv/bin/python -m pytest bench/bytes_bench.py -s -q

The Catalogue goes through ``app.web.compression`` (brotli 5 / gzip 6 per request); the
bundles are the forms ``fetch-assets`` made once (brotli 11 / gzip 9), as served from
their content-hashed URLs.
"""

from __future__ import annotations

import re

import httpx

from tests.helpers import op

CODINGS = ("identity", "gzip", "br")


async def _sizes(client: httpx.AsyncClient, method: str, url: str, **kw: object) -> list[int]:
    sizes = []
    for coding in CODINGS:
        async with client.stream(
            method, url, headers={"accept-encoding": coding, "accept": "text/html"}, **kw
        ) as r:
            sizes.append(len(b"".join([c async for c in r.aiter_raw()])))
    return sizes


def _row(name: str, sizes: list[int]) -> str:
    plain, gz, br = sizes
    return f"{name:<48} {plain:>10,} {gz:>10,} ({plain / gz:4.1f}x) {br:>10,} ({plain / br:4.1f}x)"


async def test_bytes_on_the_wire(client: httpx.AsyncClient) -> None:
    rows = [f"{'':<48} {'identity':>10} {'gzip':>17} {'brotli':>17}"]
    body = {"query": op("Catalogue"), "variables": {"first": 20}}
    catalogue = await _sizes(client, "POST", "/graphql", json=body)
    rows.append(_row("Catalogue, first: 20 (POST /graphql)", catalogue))
    page = await client.get("/graphql", headers={"accept": "text/html"})
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        rows.append(_row(url.rsplit("/", 1)[-1], await _sizes(client, "GET", url)))
    print("\n" + "\n".join(rows))
