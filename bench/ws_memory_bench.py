"""What an open WebSocket costs the server, with and without permessage-deflate.

    .venv/bin/python bench/ws_memory_bench.py [--sockets 500]

Starts uvicorn (its default WebSocket implementation, websockets-sansio, as
``python -m app serve`` runs it) on 127.0.0.1 twice, with ``--ws-per-message-deflate``
on and off, serving a small echo app (the transport's cost alone: the application's
own per-socket state is the same either way). Opens N sockets, each exchanging one
2 KB JSON message (so both directions' compressors are in use, as with a live
subscription), and reads the server's resident memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from websockets.asyncio.client import connect

from bench.common import free_port, start_server

MESSAGE = json.dumps({"type": "next", "id": "1", "payload": {"data": {"x": "y" * 2000}}})


async def echo_app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": event.get("text") or ""})


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def measure(deflate: bool, sockets: int) -> dict[str, object]:
    port = free_port()
    server = start_server(
        {},
        port,
        app="bench.ws_memory_bench:echo_app",
        options=("--ws-per-message-deflate", "true" if deflate else "false"),
    )
    try:
        url = f"ws://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                async with connect(url) as ws:
                    await ws.send(MESSAGE)
                    await ws.recv()
                break
            except OSError:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        before = rss_kib(server.pid)
        opened = []
        negotiated = 0
        for _ in range(sockets):
            ws = await connect(url, max_queue=4)
            await ws.send(MESSAGE)
            await ws.recv()
            negotiated += any("permessage-deflate" in str(e.name) for e in ws.protocol.extensions)
            opened.append(ws)
        await asyncio.sleep(0.5)
        after = rss_kib(server.pid)
        for ws in opened:
            await ws.close()
        return {
            "deflate": deflate,
            "sockets": sockets,
            "negotiated": negotiated,
            "rss_before_kib": before,
            "rss_after_kib": after,
            "kib_per_socket": round((after - before) / sockets, 1),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=500)
    args = parser.parse_args()
    for deflate in (False, True):
        print(json.dumps(await measure(deflate, args.sockets)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
