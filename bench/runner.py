"""The harness behind ``python -m bench``: data sets, server processes, measurement, report.

Three server processes per data set, started alike (``bench/serve.py``):

- ``service``: the app of the checkout measured (``--root``, default this one);
- ``naive``: the same app with non-batching dataloaders (``bench/naive.py``): N+1;
- ``floor``: ``bench/floor.py`` from this checkout, the same rows and answer bytes from
  raw SQL through the same driver and JSON encoder, without GraphQL.

Each cell (scenario x concurrency) sends its requests in rounds, one round per variant
in turn (service, floor, naive, service, ...), so that noise on this shared machine
falls on all alike; latencies, the server process's CPU time (``/proc/<pid>/stat``) and
wall time are summed per variant over its rounds. SQL statements per request are
counted separately (``/__bench/sql`` of ``bench/serve.py``), never while timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent.parent  # this checkout (the harness, the floor)
BENCH_DIR = HERE / "bench"
CACHE = HERE / "var" / "bench"  # gitignored (var/)
PYTHON = sys.executable
SEED_VERSION = "1"  # bump when bench/seed.py makes a different data set

CONCURRENCY = (1, 4, 16)  # default --concurrency
MAX_CONCURRENCY = 64
VARIANTS = ("service", "floor", "naive")
MAX_REQUESTS = 2000  # per variant and cell, whatever --requests says
MAX_SIZE = 50_000
SQL_SAMPLES = 3  # sequential requests whose statements are counted, per variant
BOOK_CLIENTS = 50  # signed-in clients of the booking scenarios
# What bench/floor.py answers (its FLOORS), without importing the app here.
FLOOR_OPERATIONS = frozenset({"Catalogue", "SoonestSlots", "PsychologistProfile"})
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# Same request bytes to every variant; no compression (the floor has no middleware).
HEADERS = {"content-type": "application/json", "accept-encoding": "identity"}


# --- data sets --------------------------------------------------------------------


def migrations_key(root: Path) -> str:
    """Fingerprint of a checkout's migrations (names and contents) and of the seed."""
    digest = hashlib.sha256(SEED_VERSION.encode())
    for path in sorted((root / "models" / "migrations").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@dataclass(frozen=True)
class DataSet:
    size: int
    database_url: str
    var_dir: Path  # PSYLINE_VAR_DIR of every process (development keys live there)
    dialect: str  # "sqlite" or "postgresql"
    key: str
    owned: bool = True  # chosen by the harness (may be wiped when incomplete)


def data_set(size: int, root: Path, postgres: str | None, database_url: str | None) -> DataSet:
    key = migrations_key(root)
    var_dir = CACHE / f"var-{key}"
    if database_url:
        dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        return DataSet(size, database_url, var_dir, dialect, key, owned=False)
    if postgres:
        admin = postgres.rstrip("/")
        name = f"bench_{size}_{key}"
        ensure_pg_database(admin, name)
        return DataSet(size, f"{admin}/{name}", var_dir, "postgresql", key)
    path = CACHE / f"bench-{size}-{key}.sqlite3"
    return DataSet(size, f"sqlite://{path}", var_dir, "sqlite", key)


def psql(admin: str, sql: str) -> str:
    url = admin.replace("postgres://", "postgresql://", 1) + "/postgres"
    done = subprocess.run(
        ["psql", url, "-tAqc", sql], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


def ensure_pg_database(admin: str, name: str) -> None:
    if psql(admin, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        psql(admin, f"CREATE DATABASE {name}")


def code_env(root: Path, ds: DataSet, **extra: str) -> dict[str, str]:
    """The environment of a process running ``root``'s code over the data set."""
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": ds.database_url,
        "PSYLINE_VAR_DIR": str(ds.var_dir),
        "LOG_LEVEL": "WARNING",
        "GRAPHIQL": "0",
        "RATE_LIMITS": "off",  # the load comes from one address
        # Absolute photo URLs without the port: every variant answers the same bytes.
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "ACCESS_TOKEN_TTL_SECONDS": "7200",  # the booking clients' tokens outlive a run
        **extra,
    }
    for name in ("REDIS_URL", "TEST_DATABASE_URL", "PYTHONPATH"):
        env.pop(name, None)
    return env


# Runs a file of this checkout with ``root`` (the working directory) first on sys.path.
BOOT = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_in_root(root: Path, ds: DataSet, script: Path, *args: str, timeout: float) -> str:
    done = subprocess.run(
        [PYTHON, "-c", BOOT, str(script), *args],
        cwd=root,
        env=code_env(root, ds),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def seed(ds: DataSet, root: Path, *, fresh: bool) -> dict[str, Any]:
    """Seed (or reuse) the data set with ``root``'s code and migrations."""
    ds.var_dir.mkdir(parents=True, exist_ok=True)
    out = run_in_root(
        root,
        ds,
        BENCH_DIR / "seed.py",
        f"--psychologists={ds.size}",
        f"--database-url={ds.database_url}",
        f"--var-dir={ds.var_dir}",
        f"--key={ds.key}",
        *(["--fresh"] if fresh else []),
        *(["--owned"] if ds.owned else []),
        timeout=3600,
    )
    info: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return info


# --- server processes -------------------------------------------------------------


@dataclass
class Server:
    variant: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """utime + stime of the server process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(variant: str, root: Path, ds: DataSet, logs: Path) -> Server:
    code = HERE if variant == "floor" else root
    port = free_port()
    log = logs / f"{variant}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                PYTHON,
                str(BENCH_DIR / "serve.py"),
                f"--variant={variant}",
                f"--code={code}",
                f"--port={port}",
            ],
            cwd=code,
            env=code_env(code, ds),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(variant, process, f"http://127.0.0.1:{port}", log)


async def wait_ready(server: Server, deadline: float = 90) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=2) as http:
        t_end = time.monotonic() + deadline
        while time.monotonic() < t_end:
            if server.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.variant} did not become ready:\n{tail}")


# --- scenarios --------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    operation: str  # the contract operation's name
    variables: dict[str, Any]
    variants: tuple[str, ...] = VARIANTS
    document: str = ""


def read_scenarios(names: list[str], profile_id: str) -> list[Scenario]:
    from tests.helpers import op

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    window = {"from": now.isoformat(), "to": (now + timedelta(days=31)).isoformat()}
    known = {
        "catalogue": Scenario("catalogue", "Catalogue", {"first": 20}),
        "soonest": Scenario("soonest", "SoonestSlots", {"first": 10}),
        "profile": Scenario("profile", "PsychologistProfile", {"id": profile_id, **window}),
    }
    out = []
    for name in names:
        if name not in known:
            continue
        s = known[name]
        s.document = op(s.operation)
        if s.operation not in FLOOR_OPERATIONS:
            s.variants = tuple(v for v in VARIANTS if v != "floor")
        out.append(s)
    return out


def payload(s: Scenario) -> bytes:
    return json.dumps({"query": s.document, "variables": s.variables}).encode()


# --- measurement ------------------------------------------------------------------


@dataclass
class Tally:
    """One variant's share of one cell."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    def summary(self, rss_mb: float, sql: float | None) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        return {
            "requests": n,
            "failures": self.failures,
            "p50_ms": round(statistics.median(lat) * 1000, 2) if lat else None,
            "p99_ms": round(lat[int(0.99 * (n - 1))] * 1000, 2) if lat else None,
            "rps": round(n / self.wall, 1) if self.wall else None,
            "cpu_ms_per_req": round(self.cpu * 1000 / n, 2) if n else None,
            "sql_per_req": sql,
            "rss_mb": rss_mb,
        }


async def burst(
    http: httpx.AsyncClient,
    bodies: Callable[[int], bytes],
    count: int,
    concurrency: int,
    tally: Tally,
    ok: Callable[[httpx.Response], bool],
    headers: Callable[[int], dict[str, str]] = lambda _i: HEADERS,
) -> None:
    """``count`` requests with ``concurrency`` in flight; appended to ``tally``."""
    next_index = iter(range(count))

    async def worker() -> None:
        for i in next_index:
            body = bodies(i)
            t = time.perf_counter()
            try:
                response = await http.post("/graphql", content=body, headers=headers(i))
            except httpx.HTTPError:
                tally.failures += 1
                continue
            tally.latencies.append(time.perf_counter() - t)
            if not ok(response):
                tally.failures += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.wall += time.perf_counter() - t0


def read_ok(response: httpx.Response) -> bool:
    return response.status_code == 200 and b'"errors":' not in response.content


def requests_for(base: int, concurrency: int) -> int:
    """Per variant and cell: ``base`` at 1 client, 2x at 2 to 8, 4x at more; at most 2000."""
    factor = 1 if concurrency == 1 else 2 if concurrency <= 8 else 4
    return max(1, min(MAX_REQUESTS, base * factor))


async def measure_cell(
    clients: dict[str, httpx.AsyncClient],
    servers: dict[str, Server],
    s: Scenario,
    concurrency: int,
    requests: int,
) -> dict[str, Tally]:
    body = payload(s)
    tallies = {v: Tally() for v in s.variants}
    round_size = max(20, 4 * concurrency)
    sent = rounds = 0
    while sent < requests:
        n = min(round_size, requests - sent)
        # Each round starts with the next variant (service, floor, naive; floor, naive,
        # service; ...): none always runs right after the same neighbour.
        k = rounds % len(s.variants)
        for v in s.variants[k:] + s.variants[:k]:
            cpu0 = servers[v].cpu_seconds()
            await burst(clients[v], lambda _i: body, n, concurrency, tallies[v], read_ok)
            tallies[v].cpu += servers[v].cpu_seconds() - cpu0
        sent += n
        rounds += 1
    return tallies


async def count_sql(http: httpx.AsyncClient, body: bytes, samples: int = SQL_SAMPLES) -> float:
    """SQL statements per request: ``samples`` sequential requests while counting."""
    await http.post("/__bench/sql?on=1")
    try:
        for _ in range(samples):
            await http.post("/graphql", content=body, headers=HEADERS)
        count = int((await http.get("/__bench/sql")).json()["count"])
    finally:
        await http.post("/__bench/sql?on=0")
    return round(count / samples, 1)


# --- the floor check ----------------------------------------------------------------


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two parsed JSON values first differ (None: equal)."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} vs {list(b)}"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


async def check_floor(
    clients: dict[str, httpx.AsyncClient], scenarios: list[Scenario]
) -> dict[str, dict[str, Any]]:
    """Per scenario with a floor: do the floor and the service answer the same?"""
    out: dict[str, dict[str, Any]] = {}
    for s in scenarios:
        if "floor" not in s.variants:
            continue
        body = payload(s)
        service, floor = await asyncio.gather(
            clients["service"].post("/graphql", content=body, headers=HEADERS),
            clients["floor"].post("/graphql", content=body, headers=HEADERS),
        )
        diff = first_difference(service.json(), floor.json())
        out[s.name] = {
            "equal_json": diff is None,
            "equal_bytes": service.content == floor.content,
            "service_bytes": len(service.content),
            "floor_bytes": len(floor.content),
            "first_difference": diff,
        }
    return out


# --- one data set -------------------------------------------------------------------


async def run_data_set(args: argparse.Namespace, root: Path, ds: DataSet) -> dict[str, Any]:
    info = seed(ds, root, fresh=args.fresh)
    print(f"\n== {ds.dialect}, {ds.size} psychologists: {info}", flush=True)
    logs = CACHE / "logs" / f"{ds.dialect}-{ds.size}"
    logs.mkdir(parents=True, exist_ok=True)
    servers: dict[str, Server] = {}
    result: dict[str, Any] = {
        "dialect": ds.dialect,
        "size": ds.size,
        "seed": info,
        "cells": [],
    }
    try:
        for v in VARIANTS:
            servers[v] = start(v, root, ds, logs)
        await asyncio.gather(*(wait_ready(s) for s in servers.values()))
        most = max(args.concurrency)
        limits = httpx.Limits(max_connections=most, max_keepalive_connections=most)
        async with contextlib.AsyncExitStack() as stack:
            clients = {
                v: await stack.enter_async_context(
                    httpx.AsyncClient(base_url=s.base, timeout=60, limits=limits)
                )
                for v, s in servers.items()
            }
            scenarios = read_scenarios(args.scenarios, await a_psychologist(clients["service"]))
            result["floor_check"] = await check_floor(clients, scenarios)
            for name, check in result["floor_check"].items():
                print(f"   floor check {name}: {check}", flush=True)
                if not check["equal_bytes"]:
                    print(f"   WARNING: the floor's {name} answer is not the service's", flush=True)
            if args.command == "check-floor":
                return result
            print_header()
            for s in scenarios:
                body = payload(s)
                for v in s.variants:  # warm-up: imports, caches, connections
                    for _ in range(3):
                        await clients[v].post("/graphql", content=body, headers=HEADERS)
                sql = {v: await count_sql(clients[v], body) for v in s.variants}
                for c in args.concurrency:
                    n = requests_for(args.requests, c)
                    tallies = await measure_cell(clients, servers, s, c, n)
                    cell = {
                        "scenario": s.name,
                        "concurrency": c,
                        "variants": {
                            v: t.summary(servers[v].rss_mb(), sql[v]) for v, t in tallies.items()
                        },
                    }
                    add_ratios(cell["variants"])
                    result["cells"].append(cell)
                    print_cell(cell)
            if "book" in args.scenarios:
                result["cells"] += await book(clients, servers, root, ds)
    finally:
        for server in servers.values():
            server.stop()
    return result


async def a_psychologist(http: httpx.AsyncClient) -> str:
    """The global ID of the catalogue's first card (the profile scenario's)."""
    query = "{ psychologists(first: 1) { edges { node { id } } } }"
    response = await http.post("/graphql", json={"query": query}, headers=HEADERS)
    node_id: str = response.json()["data"]["psychologists"]["edges"][0]["node"]["id"]
    return node_id


def add_ratios(variants: dict[str, dict[str, Any]]) -> None:
    """p50 and CPU of each variant over the floor's, and the naive's over the service's."""

    def ratio(a: Any, b: Any) -> float | None:
        return round(a / b, 2) if a and b else None

    floor = variants.get("floor")
    service = variants.get("service")
    for name, row in variants.items():
        row["p50_vs_floor"] = ratio(row["p50_ms"], floor["p50_ms"]) if floor else None
        row["cpu_vs_floor"] = (
            ratio(row["cpu_ms_per_req"], floor["cpu_ms_per_req"]) if floor else None
        )
        if service is not None and name == "naive":
            row["p50_vs_service"] = ratio(row["p50_ms"], service["p50_ms"])
            row["cpu_vs_service"] = ratio(row["cpu_ms_per_req"], service["cpu_ms_per_req"])
        else:
            row["p50_vs_service"] = row["cpu_vs_service"] = None


COLUMNS = (
    ("scenario", 10, "scenario"),
    ("c", 3, "concurrency"),
    ("variant", 8, "variant"),
    ("n", 5, "requests"),
    ("fail", 4, "failures"),
    ("p50 ms", 8, "p50_ms"),
    ("p99 ms", 8, "p99_ms"),
    ("rps", 7, "rps"),
    ("cpu ms", 7, "cpu_ms_per_req"),
    ("sql", 6, "sql_per_req"),
    ("rss MB", 7, "rss_mb"),
    ("p50/fl", 6, "p50_vs_floor"),
    ("cpu/fl", 6, "cpu_vs_floor"),
    ("p50/svc", 7, "p50_vs_service"),
    ("cpu/svc", 7, "cpu_vs_service"),
)


def format_row(values: dict[str, Any]) -> str:
    cells = []
    for _title, width, key in COLUMNS:
        value = values.get(key)
        text = "-" if value is None else str(value)
        cells.append(text.ljust(width) if key in ("scenario", "variant") else text.rjust(width))
    return " ".join(cells)


def print_header() -> None:
    print(
        " ".join(
            t.ljust(w) if key in ("scenario", "variant") else t.rjust(w) for t, w, key in COLUMNS
        ),
        flush=True,
    )


def print_cell(cell: dict[str, Any]) -> None:
    for variant, row in cell["variants"].items():
        values = {
            "scenario": cell["scenario"],
            "concurrency": cell["concurrency"],
            "variant": variant,
            **row,
        }
        print(format_row(values), flush=True)


# --- booking --------------------------------------------------------------------------

BOOK_VARIANTS = ("service", "naive")  # the floor does not write


def booked(response: httpx.Response) -> bool:
    """A booking made (``bookSlot.booking``), not refused (``bookSlot.errors``)."""
    if response.status_code != 200:
        return False
    data = (response.json().get("data") or {}).get("bookSlot") or {}
    return data.get("booking") is not None


async def soonest_slot_ids(http: httpx.AsyncClient, first: int) -> list[str]:
    from tests.helpers import op

    body = json.dumps({"query": op("SoonestSlots"), "variables": {"first": first}}).encode()
    response = await http.post("/graphql", content=body, headers=HEADERS)
    return [s["id"] for s in response.json()["data"]["soonestSlots"]]


async def book(
    clients: dict[str, httpx.AsyncClient], servers: dict[str, Server], root: Path, ds: DataSet
) -> list[dict[str, Any]]:
    """BookSlot: ``BOOK_CLIENTS`` clients at once on distinct slots (bookings/s), then as
    many on one slot (exactly one may win); per variant, new clients each time. The
    clients' bookings are deleted afterwards, so the data set stays as seeded."""
    from tests.helpers import op

    document = op("BookSlot")
    per_variant = 2 * BOOK_CLIENTS + SQL_SAMPLES
    out = run_in_root(
        root,
        ds,
        BENCH_DIR / "tokens.py",
        "issue",
        str(per_variant * len(BOOK_VARIANTS)),
        timeout=600,
    )
    issued = json.loads(out.strip().splitlines()[-1])
    tokens = iter(issued["tokens"])
    cells: dict[str, dict[str, Any]] = {
        name: {"scenario": name, "concurrency": BOOK_CLIENTS, "variants": {}}
        for name in ("book", "book-1slot")
    }
    sql: dict[str, float] = {}

    def request(slot_ids: list[str], group: list[str]) -> tuple[Any, Any]:
        bodies = [
            json.dumps(
                {
                    "query": document,
                    "variables": {
                        "slotId": slot_ids[i % len(slot_ids)],
                        "idempotencyKey": str(uuid.uuid4()),
                    },
                }
            ).encode()
            for i in range(len(group))
        ]
        headers = [{**HEADERS, "authorization": f"Bearer {t}"} for t in group]
        return (lambda i: bodies[i]), (lambda i: headers[i])

    async def timed(v: str, slot_ids: list[str], group: list[str]) -> tuple[Tally, int]:
        bodies, headers = request(slot_ids, group)
        tally, wins = Tally(), 0
        cpu0 = servers[v].cpu_seconds()

        def ok(response: httpx.Response) -> bool:
            nonlocal wins
            won = booked(response)
            wins += won
            return won

        await burst(clients[v], bodies, len(group), len(group), tally, ok, headers)
        tally.cpu = servers[v].cpu_seconds() - cpu0
        return tally, wins

    try:
        # Distinct slots, interleaved by variant.
        for v in BOOK_VARIANTS:
            slot_ids = await soonest_slot_ids(clients[v], BOOK_CLIENTS)
            group = [next(tokens) for _ in range(BOOK_CLIENTS)]
            tally, wins = await timed(v, slot_ids, group)
            row = tally.summary(servers[v].rss_mb(), None)
            row["bookings"] = wins
            cells["book"]["variants"][v] = row
        # SQL per booking: a few sequential bookings while counting.
        for v in BOOK_VARIANTS:
            slot_ids = await soonest_slot_ids(clients[v], SQL_SAMPLES)
            group = [next(tokens) for _ in range(SQL_SAMPLES)]
            bodies, headers = request(slot_ids, group)
            await clients[v].post("/__bench/sql?on=1")
            for i in range(len(group)):
                await clients[v].post("/graphql", content=bodies(i), headers=headers(i))
            count = (await clients[v].get("/__bench/sql")).json()["count"]
            await clients[v].post("/__bench/sql?on=0")
            sql[v] = round(count / len(group), 1)
            cells["book"]["variants"][v]["sql_per_req"] = sql[v]
        # One slot, everyone at once: exactly one winner.
        for v in BOOK_VARIANTS:
            slot_ids = await soonest_slot_ids(clients[v], 1)
            group = [next(tokens) for _ in range(BOOK_CLIENTS)]
            tally, wins = await timed(v, slot_ids, group)
            row = tally.summary(servers[v].rss_mb(), None)
            # Losers are refused (SLOT_UNAVAILABLE), as they must be: not failures.
            row["refused"] = len(group) - wins
            row["failures"] = len(group) - len(tally.latencies)
            row["winners"] = wins
            row["exactly_one_winner"] = wins == 1
            cells["book-1slot"]["variants"][v] = row
    finally:
        run_in_root(
            root, ds, BENCH_DIR / "tokens.py", "cleanup", *map(str, issued["ids"]), timeout=600
        )
    for cell in cells.values():
        add_ratios(cell["variants"])
        print_cell(cell)
    one = cells["book-1slot"]["variants"]
    print(
        f"   one slot, {BOOK_CLIENTS} clients: winners "
        + ", ".join(f"{v} {r['winners']}" for v, r in one.items())
    )
    return list(cells.values())


# --- chat -------------------------------------------------------------------------------


def chat(args: argparse.Namespace, root: Path) -> list[dict[str, Any]]:
    """Chat fan-out: ``bench/chat_delivery_bench.py`` (one process, then two via Redis) as
    a subprocess, the root's copy when it has one, with bounded arguments. It makes its own
    PostgreSQL databases (``bench_chat_single``/``_two``, dropped after) and uses Redis
    db 9; its per-scenario p50/p99 delivery latencies go into the report."""
    script = root / "bench" / "chat_delivery_bench.py"
    if not script.exists():
        script = BENCH_DIR / "chat_delivery_bench.py"
    command = [
        PYTHON,
        str(script),
        "--mode=both",
        f"--subscribers={args.chat_subscribers}",
        f"--messages={args.chat_messages}",
        "--db=bench_chat",
        "--redis-db=9",
        "--timeout=300",
    ]
    print(f"\n== chat fan-out: {' '.join(command[1:])}", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        print(f"   chat bench failed:\n{done.stderr[-2000:]}", flush=True)
        return [{"error": done.stderr[-2000:]}]
    lines = done.stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "[")
    rows: list[dict[str, Any]] = json.loads("\n".join(lines[start:]))
    for row in rows:
        print(
            f"   {row['scenario']:<30} deliveries {row['deliveries']}/{row['expected']}  "
            f"p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms",
            flush=True,
        )
    return rows


# --- command line ---------------------------------------------------------------------


def sizes(text: str) -> list[int]:
    out = sorted({int(s) for s in text.split(",") if s.strip()})
    if not out or out[0] < 1 or out[-1] > MAX_SIZE:
        raise argparse.ArgumentTypeError(f"sizes between 1 and {MAX_SIZE}")
    return out


def concurrency_list(text: str) -> list[int]:
    out = sorted({int(s) for s in text.split(",") if s.strip()})
    if not out or out[0] < 1 or out[-1] > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_CONCURRENCY}")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed_p = sub.add_parser("seed", help="seed (or reuse) one data set")
    seed_p.add_argument("--psychologists", type=sizes, required=True, metavar="N[,N...]")
    seed_p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="default: DATABASE_URL if set, else an SQLite file under var/bench/",
    )
    seed_p.add_argument("--postgres", metavar="URL", help="server URL: database bench_<N>_<key>")
    seed_p.add_argument("--root", type=Path, default=HERE, help="the checkout whose code seeds")
    seed_p.add_argument("--fresh", action="store_true", help="rebuild even when complete")
    for name in ("run", "check-floor"):
        p = sub.add_parser(name, help="measure" if name == "run" else "compare floor and service")
        p.add_argument(
            "--psychologists",
            type=sizes,
            default=[2000, 10000],
            metavar="N[,N...]",
            help="catalogue sizes, one data set each (default 2000,10000)",
        )
        p.add_argument("--postgres", metavar="URL", help="PostgreSQL server URL (no database)")
        p.add_argument("--root", type=Path, default=HERE, help="checkout of service and naive")
        p.add_argument(
            "--requests",
            type=int,
            default=200,
            metavar="N",
            help="per variant and cell at 1 client (default 200; 2x, 4x with more; max 2000)",
        )
        p.add_argument(
            "--scenarios",
            default="catalogue,soonest,profile,book,chat",
            help="comma-separated: catalogue, soonest, profile, book, chat",
        )
        p.add_argument(
            "--concurrency",
            type=concurrency_list,
            default=list(CONCURRENCY),
            metavar="C[,C...]",
            help="clients in flight per cell (default 1,4,16; at most 64)",
        )
        p.add_argument("--chat-subscribers", type=int, default=1000, help="at most 1000")
        p.add_argument("--chat-messages", type=int, default=10, help="at most 50")
        p.add_argument("--json", type=Path, help="default: var/bench/result-<time>.json")
        p.add_argument("--fresh", action="store_true", help="rebuild the data sets")
        p.add_argument("--drop", action="store_true", help="drop the PostgreSQL databases after")
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    if args.command != "seed":
        args.requests = max(1, min(args.requests, MAX_REQUESTS))
        args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        args.chat_subscribers = max(1, min(args.chat_subscribers, 1000))
        args.chat_messages = max(1, min(args.chat_messages, 50))
    return args


def main(argv: list[str] | None = None) -> None:
    try:
        run_command(parse_args(argv))
    except RuntimeError as exc:  # a subprocess failed: its stderr's tail says why
        raise SystemExit(f"bench: {exc}") from None


def run_command(args: argparse.Namespace) -> None:
    os.environ.setdefault("PSYLINE_CONTRACT_DIR", str(HERE.parent / "shared" / "contract"))
    if args.command == "seed":
        for size in args.psychologists:
            ds = data_set(size, args.root, args.postgres, args.database_url)
            print(
                json.dumps(
                    {"database_url": ds.database_url, **seed(ds, args.root, fresh=args.fresh)}
                )
            )
        return
    if args.command == "check-floor":
        args.scenarios = ["catalogue", "soonest", "profile"]
    results = []
    started = datetime.now(UTC)
    print(f"cpus: {os.cpu_count()}; root: {args.root}; harness: {HERE}", flush=True)
    per_size = set(args.scenarios) - {"chat"}
    for size in args.psychologists if per_size else []:
        ds = data_set(size, args.root, args.postgres, None)
        try:
            results.append(asyncio.run(run_data_set(args, args.root, ds)))
        finally:
            if args.drop and ds.dialect == "postgresql":
                name = ds.database_url.rsplit("/", 1)[1]
                psql(args.postgres.rstrip("/"), f"DROP DATABASE IF EXISTS {name}")
    chat_rows = chat(args, args.root) if "chat" in args.scenarios else None
    out = args.json or CACHE / f"result-{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "started": started.isoformat(),
        "root": str(args.root),
        "harness": str(HERE),
        "commit": git_commit(args.root),
        "harness_commit": git_commit(HERE),
        "cpus": os.cpu_count(),
        "results": results,
        "chat": chat_rows,
    }
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"\nJSON: {out}")
    differs = [
        f"{r['dialect']} {r['size']} {name}"
        for r in results
        for name, check in r.get("floor_check", {}).items()
        if not check["equal_bytes"]
    ]
    if differs and args.command == "check-floor":
        raise SystemExit(f"the floor's answers differ from the service's: {', '.join(differs)}")


def git_commit(root: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or None
