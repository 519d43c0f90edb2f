"""GraphiQL is served by the service itself, under a strict Content-Security-Policy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    parse,
    print_ast,
    validate,
)

from app.contract import CONTRACT_DIR, contract_operations, operations_of
from app.core.settings import Settings
from app.demo.identity import DEMO_STAFF
from app.web import assets
from models.enums import Role
from models.identity import User
from schema import build_schema
from tests.catalogue.support import without_fields
from tests.factories import fresh_token
from tests.helpers import gql

# Operations only staff may run (the console's): the care agent runs their examples.
CONSOLE_ONLY = {o.name for o in operations_of(CONTRACT_DIR / "console.graphql")}
# Back-office tabs of the psychologist's own schedule run as the demo psychologist.
AS_PSYCHOLOGIST = {"MySchedule", "MySessions"}

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


def _config(page: httpx.Response) -> dict[str, Any]:
    raw = re.search(
        r'<script id="graphiql-config" type="application/json">(.*?)</script>', page.text
    )
    assert raw is not None
    assert "<" not in raw.group(1)  # escaped: nothing can close the block early
    config: dict[str, Any] = json.loads(raw.group(1))
    return config


async def test_graphiql_opens_a_tab_per_runnable_contract_operation_catalogue_first(
    client: httpx.AsyncClient,
) -> None:
    config = _config(await _page(client))
    assert config["url"] == "http://testserver/graphql"
    assert config["subscriptionUrl"] == "ws://testserver/graphql"
    schema = build_schema()._schema
    runnable = [o.name for o in contract_operations() if not validate(schema, parse(o.text))]
    names = [_operation_name(tab["query"]) for tab in config["tabs"]]
    assert names == ["Catalogue", *(n for n in runnable if n != "Catalogue")]
    assert {"SignIn", "BookSlot", "MyBookings", "CareChat", "StaffSignIn", "CareQueue"} <= set(
        names
    )
    first = config["tabs"][0]
    assert "query Catalogue" in first["query"]
    assert "Authorization" in first["query"]  # the help: how to sign in
    assert json.loads(first["variables"]) == {"first": 20}
    for tab in config["tabs"]:
        document = parse(tab["query"])
        assert not validate(schema, document), tab["query"][:200]
        variables = json.loads(tab["variables"])
        for definition in document.definitions:
            assert isinstance(definition, OperationDefinitionNode)
            for var in definition.variable_definitions or ():
                if isinstance(var.type, NonNullTypeNode) and var.default_value is None:
                    assert var.variable.name.value in variables, tab["query"][:200]
    # New tabs open with the help only.
    assert config["newTabQuery"].startswith("# Psyline GraphiQL")


def _operation_name(query: str) -> str:
    for definition in parse(query).definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    raise AssertionError(query)


async def test_the_example_variables_run_against_the_demo_data(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Every tab whose example needs no id from an earlier answer (no "<...>") and that
    reads (queries) runs as it opens, signed in as the demo client or care agent."""
    config = _config(await _page(client))
    tokens = {role: await _demo_token(client, role) for role in ("client", "careAgent")}
    shrink = await User.get(email=next(e for e, r, _ in DEMO_STAFF if r is Role.PSYCHOLOGIST))
    tokens["psychologist"] = await fresh_token(settings, shrink)
    ran = []
    for tab in config["tabs"]:
        document = parse(tab["query"])
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        if operation.operation is not OperationType.QUERY or "<" in tab["variables"]:
            continue
        name = _operation_name(tab["query"])
        role = "careAgent" if name in CONSOLE_ONLY else "client"
        if name in AS_PSYCHOLOGIST:
            role = "psychologist"
        data = await gql(client, tab["query"], json.loads(tab["variables"]), tokens[role])
        assert data, name
        ran.append(name)
    assert {"Catalogue", "SoonestSlots", "PsychologistProfile", "MyBookings", "CareChat"} <= set(
        ran
    )
    assert "CareQueue" in ran
    assert set(ran) >= AS_PSYCHOLOGIST


async def _demo_token(client: httpx.AsyncClient, role: str) -> str:
    response = await client.post("/dev/demo-session", json={"as": role})
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


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
