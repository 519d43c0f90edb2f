"""The two-click flow with the client a mobile team ships: Apollo Client v4 with its
PersistedQueryLink (``useGETForHashedQueries``), from npm, run by Node against uvicorn.

``tests/node/`` holds the script and its ``package.json``; the packages are installed
from npm into the session's directory (never committed: ``tests/node_clients.py``).
Skipped without Node and npm, failed instead when ``PSYLINE_REQUIRE_NODE`` is set (CI).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from app.core.settings import Settings
from app.demo.identity import demo_partner_token
from models.catalogue import Service
from models.enums import ServiceKind
from schema.catalogue.types import slot_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.conftest import make_psychologist as make_psychologist  # a fixture
from tests.factories import next_phone
from tests.helpers import contract_operations, contract_present

pytestmark = pytest.mark.skipif(not contract_present(), reason="needs ../shared/contract")


async def test_apollo_with_persisted_queries_books_in_two_clicks(
    node_clients: Path,
    live_server: str,
    settings: Settings,
    make_psychologist: MakePsychologist,
    tmp_path: Path,
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    ops = {name: contract_operations()[name] for name in ("Catalogue", "SignIn", "BookSlot")}
    ops_file = tmp_path / "operations.json"
    ops_file.write_text(json.dumps(ops), encoding="utf-8")
    token = await demo_partner_token(settings, next_phone())
    # Not subprocess.run: the server runs in this event loop and must keep answering.
    node = await asyncio.create_subprocess_exec(
        "node", "apollo_two_clicks.mjs", f"{live_server}/graphql", str(ops_file), token,
        slot_id(p.id, service.id, day_at(6, 10)),
        cwd=node_clients, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(node.communicate(), 120)
    assert node.returncode == 0, stderr.decode()
    result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])

    assert result["cards"] == 5
    assert result["cardsAgain"] == 5
    assert result["signInErrors"] == []
    assert result["bookingErrors"] == []
    assert result["booking"] == "CONFIRMED"
    requests = result["requests"]
    # The first catalogue request: a hashed GET, PersistedQueryNotFound, then the text.
    # Apollo accepts application/graphql-response+json, where a miss (a request error,
    # nothing executed) is a 400; Apollo reads it as the GraphQL response it is.
    assert requests[0] == {
        "method": "GET", "queryInUrl": False, "queryInBody": False, "status": 400,
        "notFound": True,
    }  # fmt: skip
    assert requests[1]["status"] == 200
    assert requests[1]["queryInUrl"] or requests[1]["queryInBody"]
    # The second install: one hashed GET, answered from the store.
    assert requests[-1] == {
        "method": "GET", "queryInUrl": False, "queryInBody": False, "status": 200,
        "notFound": False,
    }  # fmt: skip
    assert all(r["status"] == (400 if r["notFound"] else 200) for r in requests)
