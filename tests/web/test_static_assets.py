"""Static assets: content-hashed URLs, compressed once, immutable; pages revalidated."""

from __future__ import annotations

import gzip
import hashlib
import re

import brotli
import httpx
import pytest

from app.web import assets
from app.web.caching import IMMUTABLE, sidecars_present

HTML = {"accept": "text/html"}
HASHED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.(js|css)$")


async def _page_urls(client: httpx.AsyncClient, path: str, **headers: str) -> list[str]:
    page = await client.get(path, headers=headers)
    assert page.status_code == 200
    return re.findall(r'(?:src|href)="(/[^"]+)"', page.text)


async def test_the_pages_load_content_hashed_urls(client: httpx.AsyncClient) -> None:
    graphiql = await _page_urls(client, "/graphql", **HTML)
    console = await _page_urls(client, "/console")
    assert len(graphiql) == 6  # react, react-dom, graphiql js and css, boot.js, page.css
    assert len(console) == 3  # console.js, console.css, graphql-ws
    for url in graphiql + console:
        assert HASHED.match(url), url


async def test_a_hashed_asset_is_immutable_and_served_in_the_coding_asked_for(
    client: httpx.AsyncClient,
) -> None:
    for url in await _page_urls(client, "/graphql", **HTML):
        plain_path = re.sub(r"\.[0-9a-f]{12}\.", ".", url).removeprefix("/static/")
        original = (assets.VENDOR_DIR.parent / plain_path).read_bytes()
        digest = hashlib.sha256(original).hexdigest()[:12]
        assert f".{digest}." in url  # the name is the content
        tags = set()
        for coding, decode in (
            ("identity", bytes),
            ("gzip", gzip.decompress),
            ("br", brotli.decompress),
        ):
            async with client.stream("GET", url, headers={"accept-encoding": coding}) as r:
                raw = b"".join([c async for c in r.aiter_raw()])
            assert r.status_code == 200, url
            assert r.headers["cache-control"] == IMMUTABLE
            assert r.headers["content-type"].startswith(("text/javascript", "text/css"))
            assert "accept-encoding" in r.headers["vary"].lower()
            if len(original) < 1024:  # not worth compressing (page.css)
                coding, decode = "identity", bytes
            assert r.headers.get("content-encoding", "identity") == coding
            assert decode(raw) == original, (url, coding)  # encoded exactly once
            etag = r.headers["etag"]
            assert not etag.startswith("W/")  # strong: one per coding
            tags.add(etag)
            again = await client.get(
                url, headers={"accept-encoding": coding, "if-none-match": etag}
            )
            assert again.status_code == 304
            assert again.content == b""
        assert len(tags) == (3 if len(original) >= 1024 else 1)


async def test_an_unknown_hash_is_not_found_and_plain_files_still_work(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/static/graphiql/boot.000000000000.js")).status_code == 404
    plain = await client.get("/static/graphiql/boot.js")
    assert plain.status_code == 200
    assert "immutable" not in plain.headers.get("cache-control", "")


# The GraphiQL page is not here: each load carries fresh example variables (a new
# idempotency key, the coming week), so its ETag changes and it is always sent anew.
@pytest.mark.parametrize(("path", "headers"), [("/console", {})])
async def test_the_pages_are_revalidated_by_etag(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    page = await client.get(path, headers=headers)
    assert page.headers["cache-control"] == "no-cache"
    etag = page.headers["etag"]
    again = await client.get(path, headers={**headers, "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert "content-security-policy" in again.headers


async def test_the_graphiql_bundle_shrinks_and_was_compressed_at_fetch_time(
    client: httpx.AsyncClient,
) -> None:
    bundle = assets.VENDOR_DIR / "graphiql" / "graphiql.min.js"
    assert sidecars_present(bundle)  # made once by fetch-assets, at the best levels
    url = next(
        u
        for u in await _page_urls(client, "/graphql", **HTML)
        if "graphiql.min." in u and u.endswith(".js")
    )
    sizes = {}
    for coding in ("identity", "gzip", "br"):
        async with client.stream("GET", url, headers={"accept-encoding": coding}) as r:
            sizes[coding] = len(b"".join([c async for c in r.aiter_raw()]))
    # Measured (bench/bytes_bench.py): 3,513,580 -> gzip 728,483 -> brotli 568,464.
    assert sizes["gzip"] * 4 < sizes["identity"]
    assert sizes["br"] * 6 < sizes["identity"]
    assert sizes["br"] < sizes["gzip"]
