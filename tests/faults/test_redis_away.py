# ruff: noqa: RUF001 - Russian text
"""Redis going away: sign-in and booking keep working, live delivery degrades to replay
when it is back (nothing lost, nothing twice), and /readyz says so.

The app under test is the session's database with a runtime of its own whose pub/sub and
rate limits use a Redis the test starts on its own port (``tests.faults.redis``), served
by uvicorn in the test loop; the test stops and starts that Redis under it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from starlette.applications import Starlette

from app.core.settings import Settings
from app.demo.identity import demo_partner_token
from app.runtime import open_runtime
from app.web.app import create_app
from models.catalogue import Service
from models.enums import ServiceKind
from schema.catalogue.types import slot_id
from tests.booking.conftest import MakePsychologist, day_at
from tests.booking.conftest import make_psychologist as make_psychologist  # a fixture
from tests.chat.support import agent, client_with_conversation, send_ok
from tests.chat.ws import ws_session
from tests.factories import next_phone
from tests.faults.redis import own_redis
from tests.helpers import gql, op
from tests.servers import serve_in_loop


async def ready(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/readyz")
    assert response.status_code == 200  # Redis away degrades, it does not take us out
    body: dict[str, Any] = response.json()
    return body


async def test_without_redis_sign_in_and_booking_work_and_delivery_catches_up(
    app: Starlette, settings: Settings, make_psychologist: MakePsychologist
) -> None:
    p = await make_psychologist()
    service = await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION)
    with own_redis() as redis:
        mine = settings.with_(redis_url=redis.url)
        async with open_runtime(mine, watch_sla=False) as runtime:
            served = create_app(mine, runtime=runtime)
            async with (
                serve_in_loop(served) as url,
                httpx.AsyncClient(base_url=url, timeout=10) as http,
            ):
                assert (await ready(http))["checks"]["redis"] == "ok"
                person, conversation = await client_with_conversation(http, settings)
                staff = await agent(settings)
                cid = conversation["id"]
                async with ws_session(url, person.token) as ws:
                    sub = await ws.subscribe(op("MessageAdded"), {"conversationId": cid})
                    await asyncio.sleep(0.2)  # the subscription is live
                    await send_ok(http, staff.token, cid, "До отключения")
                    first = await ws.data(sub)
                    assert first["messageAdded"]["node"]["text"] == "До отключения"

                    redis.stop()
                    assert await ready(http) == {
                        "status": "degraded",
                        "checks": {"database": "ok", "redis": "unreachable", "migrations": "ok"},
                    }
                    # Sign-in and booking do not need Redis.
                    token = await demo_partner_token(settings, next_phone())
                    signed = await gql(http, op("SignIn"), {"token": token})
                    access = signed["signInWithPartner"]["session"]["accessToken"]
                    variables = {
                        "slotId": slot_id(p.id, service.id, day_at(5, 10)),
                        "idempotencyKey": uuid.uuid4().hex,
                    }
                    booked = await gql(http, op("BookSlot"), variables, token=access)
                    assert booked["bookSlot"]["errors"] == []
                    # A message written meanwhile is stored; live delivery waits for Redis.
                    await send_ok(http, staff.token, cid, "Во время отключения")

                    redis.start()
                    # The listener reconnects and resyncs: the message arrives, once.
                    caught_up = await ws.data(sub, wait=15)
                    assert caught_up["messageAdded"]["node"]["text"] == "Во время отключения"
                    assert (await ready(http))["checks"]["redis"] == "ok"
                    await send_ok(http, staff.token, cid, "После")
                    after = await ws.data(sub, wait=5)
                    assert after["messageAdded"]["node"]["text"] == "После"
                    await ws.nothing(sub)
