"""Work stops when its time is up or its client has gone.

A query or mutation running past ``OPERATION_TIMEOUT_SECONDS`` (here a microsecond: the
first database round trip is too long) ends with a TIMEOUT error, over HTTP and over a
socket, and a booking cut short leaves nothing behind; subscriptions have no time limit.
An HTTP request whose client disconnects is cancelled.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from app.core.settings import Settings
from app.web.app import create_app
from app.web.limits import BodyLimit
from models.booking import Booking
from models.catalogue import Service
from models.enums import Role, ServiceKind
from schema.catalogue.types import slot_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.conftest import make_psychologist as make_psychologist  # a fixture
from tests.chat.support import client_with_conversation, send_ok
from tests.chat.ws import ws_session
from tests.factories import signed_in
from tests.helpers import gql_raw, op
from tests.servers import serve_in_loop

SOONEST = "{ soonestSlots(first: 5) { id } }"


@pytest.fixture
async def hasty(app: Starlette, settings: Settings) -> Starlette:
    """The session's app (same database and runtime) with a one-microsecond time limit."""
    return create_app(settings.with_(operation_timeout_seconds=1e-6), runtime=app.state.runtime)


@pytest.fixture
async def hasty_client(hasty: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hasty)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def timed_out(body: dict[str, Any]) -> None:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "TIMEOUT", "limitSeconds": 1e-6}, error


async def test_a_query_past_its_time_limit_ends_with_a_timeout_error(
    hasty_client: httpx.AsyncClient,
) -> None:
    timed_out(await gql_raw(hasty_client, SOONEST))


async def test_a_booking_cut_short_by_the_time_limit_leaves_nothing(
    hasty_client: httpx.AsyncClient, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    person = await signed_in(settings, Role.CLIENT)
    variables = {
        "slotId": slot_id(p.id, service.id, day_at(3, 10)),
        "idempotencyKey": uuid.uuid4().hex,
    }
    timed_out(await gql_raw(hasty_client, op("BookSlot"), variables, token=person.token))
    assert not await Booking.filter(client_id=person.user.id).exists()


async def test_over_a_socket_queries_have_the_limit_and_subscriptions_do_not(
    client: httpx.AsyncClient, settings: Settings, hasty: Starlette
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    async with serve_in_loop(hasty) as url, ws_session(url, person.token) as ws:
        sub = await ws.subscribe(op("MessageAdded"), {"conversationId": conversation["id"]})
        query = await ws.subscribe(SOONEST)
        message = await ws.next(query)
        assert message["type"] == "next"
        timed_out(message["payload"])
        assert (await ws.next(query))["type"] == "complete"
        await send_ok(client, person.token, conversation["id"], "Всё ещё на связи")
        assert (await ws.data(sub))["messageAdded"]["node"]["text"] == "Всё ещё на связи"


async def test_a_request_whose_client_disconnects_is_cancelled() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def endless(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["body"] == b"{}"
        started.set()
        try:
            await asyncio.Event().wait()  # a request that would run for ever
        except asyncio.CancelledError:
            cancelled.set()
            raise

    inbox: asyncio.Queue[Message] = asyncio.Queue()
    inbox.put_nowait({"type": "http.request", "body": b"{}", "more_body": False})

    async def send(message: Message) -> None:  # pragma: no cover - it never answers
        raise AssertionError(message)

    limited = BodyLimit(endless, max_bytes=1_000)
    request = asyncio.create_task(limited({"type": "http", "headers": []}, inbox.get, send))
    await asyncio.wait_for(started.wait(), 5)
    inbox.put_nowait({"type": "http.disconnect"})
    await asyncio.wait_for(cancelled.wait(), 5)
    await asyncio.wait_for(request, 5)
