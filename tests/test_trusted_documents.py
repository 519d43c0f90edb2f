"""Trusted documents: with TRUSTED_DOCUMENTS_ONLY a production-like app runs registered
operations only (by hash or by text, formatting aside) and refuses anything else with
PERSISTED_QUERY_NOT_IN_LIST; ``documents add`` reads .graphql files and Apollo manifests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.core.persisted import sha256_hex
from app.core.settings import ROOT, Settings
from app.demo.seed import seed_documents
from app.web.app import create_app
from app.web.documents import operations_of_graphql, register
from models.enums import Role
from tests.chat.ws import ws_session
from tests.factories import signed_in
from tests.helpers import console_op
from tests.servers import serve_in_loop


def a_registered_query() -> str:
    """A query of its own (its alias makes it unique) in the form it is registered."""
    return f"query Methods{uuid.uuid4().hex[:8]} {{ methods {{ id name }} }}"


@pytest.fixture
async def trusted(app: Starlette, settings: Settings) -> Starlette:
    return create_app(settings.with_(trusted_documents_only=True), runtime=app.state.runtime)


@pytest.fixture
async def http(trusted: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=trusted)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def not_in_list(body: dict[str, object]) -> bool:
    errors = body.get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code") == "PERSISTED_QUERY_NOT_IN_LIST"  # type: ignore[union-attr,index]


async def test_only_registered_operations_run(http: httpx.AsyncClient) -> None:
    text = a_registered_query()
    (operation,) = operations_of_graphql(text)
    assert await register([operation], "test") == 1

    refused = (await http.post("/graphql", json={"query": "{ methods { id } }"})).json()
    assert not_in_list(refused)
    assert refused.get("data") is None

    reformatted = text.replace(" { ", "{\n  ").replace(" }", "\n}")  # same operation
    by_text = (await http.post("/graphql", json={"query": reformatted})).json()
    assert "errors" not in by_text
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(operation.body)}}
    by_hash = (await http.post("/graphql", json={"extensions": extensions})).json()
    assert by_hash["data"] == by_text["data"]

    unknown = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex("{ nope }")}}
    assert not_in_list((await http.post("/graphql", json={"extensions": unknown})).json())
    # Sending the text with the hash does not register it (that is APQ, off here).
    apq = {"query": "{ topics { id } }", "extensions": {"persistedQuery": {
        "version": 1, "sha256Hash": sha256_hex("{ topics { id } }")}}}  # fmt: skip
    assert not_in_list((await http.post("/graphql", json=apq)).json())


async def test_the_seeded_list_runs_the_consoles_own_operations(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    await seed_documents()
    agent = await signed_in(settings, Role.CARE_AGENT)
    headers = {"Authorization": f"Bearer {agent.token}"}
    for name, variables in (("MyConversations", {"first": 5}), ("ConversationClient", {"id": "x"})):
        body = (
            await http.post(
                "/graphql",
                json={"query": console_op(name), "variables": variables},
                headers=headers,
            )
        ).json()
        assert not not_in_list(body), (name, body)
        assert body.get("data") is not None, (name, body)


async def test_sockets_run_registered_operations_only(
    trusted: Starlette, settings: Settings
) -> None:
    person = await signed_in(settings)
    text = a_registered_query()
    await register(operations_of_graphql(text), "test")
    async with serve_in_loop(trusted) as url, ws_session(url, person.token) as ws:
        refused = await ws.next(await ws.subscribe("{ methods { id } }"))
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        ran = await ws.data(await ws.subscribe(text))
        assert ran["methods"] is not None


def test_documents_add_reads_graphql_files_and_apollo_manifests(tmp_path: Path) -> None:
    database = f"sqlite://{tmp_path / 'docs.sqlite3'}"
    env = {**os.environ, "APP_ENV": "development", "PSYLINE_VAR_DIR": str(tmp_path),
           "DATABASE_URL": database, "LOG_LEVEL": "WARNING"}  # fmt: skip

    def app(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    assert app("migrate").returncode == 0
    graphql_file = tmp_path / "app.graphql"
    graphql_file.write_text(
        "query A { methods { ...M } }\nfragment M on Method { id name }\n"
        "mutation B { signOut { ok } }\n",
        encoding="utf-8",
    )
    body = "query C { topics { id } }"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": sha256_hex(body), "name": "C", "type": "query", "body": body}],
    }), encoding="utf-8")  # fmt: skip
    added = app("documents", "add", str(graphql_file), str(manifest))
    assert added.returncode == 0, added.stderr
    assert "app.graphql: 2 operations, 2 new" in added.stdout
    assert "manifest.json: 1 operations, 1 new" in added.stdout
    again = app("documents", "add", str(graphql_file))
    assert "2 operations, 0 new" in again.stdout
    listing = app("documents", "list").stdout
    assert f"{sha256_hex(body)}\tquery\tC\tmanifest.json" in listing
    assert "\tmutation\tB\tapp.graphql" in listing

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": "0" * 64, "name": "X", "type": "query", "body": body}],
    }), encoding="utf-8")  # fmt: skip
    refused = app("documents", "add", str(forged))
    assert refused.returncode == 2
    assert "not the SHA-256" in refused.stderr
