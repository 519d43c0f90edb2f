"""Several server processes on PostgreSQL + Redis, as production runs them: workers are
stateless, so a booking race across them has one winner and a message sent through one
is delivered by another (Redis fan-out).

Two ``serve`` processes on two ports make it deterministic which worker each request
reaches; ``serve --workers 2`` (uvicorn's processes behind one port, in production
configuration) is started once to show it serves.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.settings import Settings
from models.booking import OCCUPYING_STATUSES, Booking
from models.catalogue import Service
from models.enums import ServiceKind
from schema.catalogue.types import slot_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.conftest import make_psychologist as make_psychologist  # a fixture
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.chat.ws import ws_session
from tests.factories import SignedIn, signed_in
from tests.fixtures import POSTGRES_AND_REDIS
from tests.helpers import op
from tests.servers import serve_processes

# A message sent through one worker and delivered by the other:
# tests/chat/test_chat_multiprocess.py, on the same two-process set-up.
pytestmark = POSTGRES_AND_REDIS


@pytest.fixture(scope="module")
async def two_workers(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    async with serve_processes(settings, 2, log_name="workers", with_redis=True) as urls:
        yield urls[0], urls[1]


async def book(http: httpx.AsyncClient, who: SignedIn, slot: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={
            "query": op("BookSlot"),
            "variables": {"slotId": slot, "idempotencyKey": uuid.uuid4().hex},
        },
        headers=who.headers,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"]["bookSlot"]
    return payload


async def test_a_booking_race_across_two_workers_has_one_winner(
    settings: Settings, two_workers: tuple[str, str], make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    slot = slot_id(p.id, service.id, day_at(3, 11))
    clients = [await signed_in(settings) for _ in range(20)]
    async with (
        httpx.AsyncClient(base_url=two_workers[0], timeout=60) as a,
        httpx.AsyncClient(base_url=two_workers[1], timeout=60) as b,
    ):
        results = await asyncio.gather(
            *(book(a if i % 2 else b, who, slot) for i, who in enumerate(clients))
        )
    winners = [r["booking"]["id"] for r in results if r["booking"]]
    assert len(winners) == 1
    assert sorted(e["code"] for r in results for e in r["errors"]) == ["SLOT_UNAVAILABLE"] * 19
    assert await Booking.filter(psychologist_id=p.id, status__in=OCCUPYING_STATUSES).count() == 1


async def test_serve_with_two_workers_on_one_port(settings: Settings) -> None:
    """``serve --workers 2`` in production configuration: the start-up checks pass (every
    migration applied), both workers start, /readyz is green, sockets on it get messages."""
    production = {
        "APP_ENV": "production",
        "VIDEO_APP_SECRET": "w" * 40,
        "PUBLIC_BASE_URL": "https://api.psyline.example",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    async with (
        serve_processes(
            settings, 1, log_name="workers2", extra_args=("--workers", "2"), extra_env=production
        ) as (url,),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        ready = await http.get("/readyz")
        assert ready.json() == {
            "status": "ok",
            "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
        }
        person, conversation = await client_with_conversation(http, settings)
        staff = await agent(settings)
        # Three sockets land on whichever worker: each gets the message, once.
        async with (
            ws_session(url, person.token) as one,
            ws_session(url, person.token) as two,
            ws_session(url, person.token) as three,
        ):
            subs = [
                (ws, await ws.subscribe(op("MessageAdded"), {"conversationId": conversation["id"]}))
                for ws in (one, two, three)
            ]
            await asyncio.sleep(0.3)
            await send_ok(http, staff.token, conversation["id"], "Всем", operation="AgentReply")
            for ws, sub in subs:
                assert (await ws.data(sub))["messageAdded"]["node"]["text"] == "Всем"
                await ws.nothing(sub, 0.1)
    started = (Path(settings.var_dir) / f"workers2-{url.rsplit(':', 1)[1]}.log").read_text()
    assert started.count("Started server process") == 2, started
