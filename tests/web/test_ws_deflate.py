"""permessage-deflate on our sockets follows WS_PER_MESSAGE_DEFLATE (uvicorn's default
is on; ours is off: bench/ws_memory_bench.py measured its cost per socket)."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from app.cli.main import server_options
from app.core.settings import Settings
from tests.servers import serve_in_loop


@pytest.mark.parametrize("deflate", [False, True])
async def test_uvicorn_negotiates_permessage_deflate_as_configured(
    app: Starlette, settings: Settings, deflate: bool
) -> None:
    options = server_options(settings.with_(ws_per_message_deflate=deflate))
    async with (
        serve_in_loop(app, **options) as url,
        connect(
            url.replace("http", "ws") + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            compression="deflate",  # the client offers it
        ) as ws,
    ):
        names = [e.name for e in ws.protocol.extensions]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await asyncio.wait_for(ws.wait_closed(), timeout=10)
    assert ws.close_code == 4403  # the socket works either way (no token: refused)
    assert names == (["permessage-deflate"] if deflate else [])


def test_the_default_is_off() -> None:
    assert Settings().ws_per_message_deflate is False
