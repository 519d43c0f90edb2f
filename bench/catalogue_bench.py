"""Catalogue home screen with live availability: latency and throughput.

Run by hand (never in the test suite), from the repository root:

    .venv/bin/python bench/catalogue_bench.py                       # SQLite, 112 then 10,000
    .venv/bin/python bench/catalogue_bench.py --postgres postgres://postgres@127.0.0.1:5432
    .venv/bin/python bench/catalogue_bench.py --sizes 112 --requests 100 --concurrency 4

For each catalogue size it seeds a separate database (the demo catalogue, its working
hours and about a month of bookings per psychologist, bulk-inserted), starts one
uvicorn process on 127.0.0.1, and measures with a bounded number of requests at a
bounded concurrency:

- ``Catalogue``: the contract's home-screen query, 20 cards with ``nextSlots(first: 3)``
  (and the same query without ``nextSlots`` as a baseline);
- ``SoonestSlots``: ``soonestSlots(first: 10)`` across the whole catalogue;
- ``Catalogue SOONEST_AVAILABLE``: 20 cards ordered by their next free slot.

It reports p50 / p95 / p99 latency (and p99/p50) and requests per second. The PostgreSQL database it
creates (``--db``) is dropped at the end unless ``--keep-db``. Bench bookings are
inserted without SQLite's booked cells (the read path never uses them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.settings import Settings  # noqa: E402
from bench.common import free_port, start_server  # noqa: E402
from bench.seed import prepare  # noqa: E402
from tests.helpers import op  # noqa: E402

# The contract's Catalogue minus nextSlots: what availability adds to the home screen.
NO_SLOTS = re.sub(r"nextSlots\(first: 3\) \{.*?\n        \}\n", "", op("Catalogue"), flags=re.S)


async def wait_ready(base: str, deadline: float = 60) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        t_end = time.monotonic() + deadline
        while time.monotonic() < t_end:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not become ready")


async def measure(
    base: str, name: str, query: str, variables: dict[str, Any], requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        payload = {"query": query, "variables": variables}
        for _ in range(min(5, requests)):  # warm-up: imports, caches, connections
            await http.post("/graphql", json=payload)

        async def worker() -> None:
            nonlocal failures
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                response = await http.post("/graphql", json=payload)
                latencies.append(time.perf_counter() - t)
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    failures += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "scenario": name,
        "requests": requests,
        "concurrency": concurrency,
        "failures": failures,
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1),
        "p99/p50": round(
            latencies[int(0.99 * (len(latencies) - 1))] / statistics.median(latencies), 2
        ),
        "rps": round(requests / wall, 1),
    }


async def run_size(args: argparse.Namespace, size: int, database_url: str, var_dir: Path) -> None:
    settings = Settings(env="development", database_url=database_url, var_dir=var_dir)
    info = await prepare(settings, size)
    print(f"\n== {size} psychologists requested: {info}", flush=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PSYLINE_VAR_DIR": str(var_dir),
        "APP_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "GRAPHIQL": "0",
    }
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base)
        scenarios = [
            ("Catalogue 20 cards, baseline without nextSlots", NO_SLOTS, {"first": 20}),
            ("Catalogue 20 cards nextSlots(3)", op("Catalogue"), {"first": 20}),
            ("SoonestSlots(first: 10)", op("SoonestSlots"), {"first": 10}),
            (
                "Catalogue SOONEST_AVAILABLE 20",
                op("Catalogue"),
                {"first": 20, "orderBy": "SOONEST_AVAILABLE"},
            ),
        ]
        for name, query, variables in scenarios:
            result = await measure(base, name, query, variables, args.requests, args.concurrency)
            print(f"   {result}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def psql(admin_url: str, sql: str, *, check: bool = True) -> None:
    subprocess.run(["psql", f"{admin_url}/postgres", "-qc", sql], check=check)


async def run_all(args: argparse.Namespace, database_url: str, var_dir: Path) -> None:
    for size in sorted(int(s) for s in args.sizes.split(",")):
        await run_size(args, size, database_url, var_dir)  # the same database grows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="112,10000", help="catalogue sizes, ascending")
    parser.add_argument("--requests", type=int, default=200, help="per scenario (max 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="in flight (max 64)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server URL (without database); default: an SQLite file",
    )
    parser.add_argument("--db", default="psyline_catalogue_bench", help="PostgreSQL database")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    args.requests = max(1, min(args.requests, 2000))
    args.concurrency = max(1, min(args.concurrency, 64))
    admin = (args.postgres or "").rstrip("/").replace("postgres://", "postgresql://")
    with tempfile.TemporaryDirectory(prefix="psyline-bench-") as tmp:
        var_dir = Path(tmp)
        if args.postgres:
            database_url = f"{args.postgres.rstrip('/')}/{args.db}"
            psql(admin, f"DROP DATABASE IF EXISTS {args.db}")
            psql(admin, f"CREATE DATABASE {args.db}")
        else:
            database_url = f"sqlite://{var_dir / 'bench.sqlite3'}"
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; cpus: {os.cpu_count()}")
        try:
            asyncio.run(run_all(args, database_url, var_dir))
        finally:
            if args.postgres and not args.keep_db:
                psql(admin, f"DROP DATABASE IF EXISTS {args.db}", check=False)


if __name__ == "__main__":
    main()
