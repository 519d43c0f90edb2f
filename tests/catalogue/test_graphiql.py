"""GraphiQL is served by the service itself, under a strict Content-Security-Policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from graphql import parse, print_ast

from app.web import assets
from schema import build_schema
from tests.catalogue.support import without_fields

HTML = {"accept": "text/html"}


async def _page(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200, response.text
    return response


async def test_graphiql_page_loads_everything_from_our_origin(client: httpx.AsyncClient) -> None:
    response = await _page(client)
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources
    for src in sources:
        assert src.startswith(("/static/", "data:")), src
        if src.startswith("/static/"):
            asset = await client.get(src)
            assert asset.status_code == 200, src
            assert len(asset.content) > 20
    assert not re.search(r"https?://(?!testserver)", response.text.split("graphiql-config")[0])


async def test_graphiql_page_has_a_strict_csp(client: httpx.AsyncClient) -> None:
    response = await _page(client)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "ws://testserver" in directives["connect-src"]
    assert directives["frame-ancestors"] == "'none'"
    # No inline script: every <script> either has a src or is a JSON data block.
    for tag in re.findall(r"<script[^>]*>", response.text):
        assert "src=" in tag or 'type="application/json"' in tag, tag


async def test_graphiql_preloads_the_catalogue_and_says_how_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    response = await _page(client)
    raw = re.search(
        r'<script id="graphiql-config" type="application/json">(.*?)</script>', response.text
    )
    assert raw is not None
    assert "<" not in raw.group(1)  # escaped: nothing can close the block early
    config = json.loads(raw.group(1))
    assert config["url"] == "http://testserver/graphql"
    assert config["subscriptionUrl"] == "ws://testserver/graphql"
    assert json.loads(config["defaultVariables"]) == {"first": 20}
    assert "Authorization" in config["defaultQuery"]
    assert "query Catalogue" in config["defaultQuery"]
    # The preloaded query is valid against the live schema.
    from graphql import validate

    assert not validate(build_schema()._schema, parse(config["defaultQuery"]))


async def test_missing_assets_answer_503_with_the_fix(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path)
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 503
    assert "python -m app fetch-assets" in response.text


def test_without_fields_removes_the_named_fields_and_their_variables() -> None:
    doc = parse("query Q($a: Int!) { methods { id name bogus(first: $a) { id } } topics { id } }")
    stripped = print_ast(without_fields(doc, {"bogus"}))
    assert "bogus" not in stripped
    assert "$a" not in stripped  # its variable went with it
    assert "name" in stripped
    kept = print_ast(without_fields(parse("{ methods { id name } }"), {"bogus"}))
    assert kept == print_ast(parse("{ methods { id name } }"))
