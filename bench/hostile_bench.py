"""Hostile queries: what each costs the server, and whether ``/healthz`` stays responsive.

Run by hand (never in the test suite), from the repository root:

    .venv/bin/python bench/hostile_bench.py
    .venv/bin/python bench/hostile_bench.py --app-root ../old-checkout   # before/after

It migrates and seeds the demo catalogue into a temporary SQLite file, starts one
uvicorn process (``--app-root``: the checkout whose ``app`` it serves, by default this
one) and sends each hostile query ``--repeat`` times from one client while another
asks ``/healthz`` every 50 ms. For each query it reports the answer (HTTP status and
the first error code), the server's CPU seconds per request (from /proc), its RSS
growth and the ``/healthz`` latency (p50 / max) while under attack. Every request has a
client timeout (``--timeout``) so a stalled server cannot hang the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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

from bench.common import free_port  # noqa: E402

CYCLE = (  # 133 bytes: slots -> psychologist -> slots ..., 12 levels deep
    "{soonestSlots(first:50){psychologist{nextSlots(first:20){psychologist{nextSlots(first:20)"
    "{psychologist{nextSlots(first:20){id}}}}}}}}"
)
ALIASES = "{" + " ".join(f"a{i}:soonestSlots(first:50){{id}}" for i in range(30)) + "}"
COPIES = "{" + " ".join(["methods{id}"] * 300) + "}"
QUERIES = {"cycle": CYCLE, "30 aliases": ALIASES, "300 copies": COPIES}
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_app(root: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app", *args], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


async def healthz_probe(http: httpx.AsyncClient, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            await http.get("/healthz")
        out.append(time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def attack(base: str, pid: int, name: str, query: str, args: argparse.Namespace) -> None:
    probes: list[float] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout) as http:
        probe = asyncio.create_task(healthz_probe(http, stop, probes))
        cpu0, rss0 = cpu_seconds(pid), rss_mb(pid)
        answers: list[str] = []
        for _ in range(args.repeat):
            try:
                response = await http.post("/graphql", json={"query": query})
                body: dict[str, Any] = response.json()
                errors = body.get("errors") or [{}]
                code = (errors[0].get("extensions") or {}).get("code", "ok")
                answers.append(f"{response.status_code} {code}")
            except httpx.TimeoutException:
                answers.append("client timeout")
        cpu = (cpu_seconds(pid) - cpu0) / args.repeat
        stop.set()
        await probe
    print(
        f"{name:>11}: {len(query):>5} bytes  answer {sorted(set(answers))}  "
        f"CPU {cpu:.3f} s/request  RSS +{rss_mb(pid) - rss0:.0f} MB  "
        f"/healthz p50 {statistics.median(probes) * 1000:.1f} ms, "
        f"max {max(probes) * 1000:.1f} ms ({len(probes)} probes)"
    )


async def attack_all(base: str, pid: int, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        for _ in range(100):  # bounded wait for the server
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/healthz")).status_code == 200:
                    break
            await asyncio.sleep(0.1)
    for name, query in QUERIES.items():
        await attack(base, pid, name, query, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-root", default=str(ROOT))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    root = Path(args.app_root).resolve()
    with tempfile.TemporaryDirectory(prefix="psyline-hostile-") as var:
        env = {
            **os.environ,
            "PSYLINE_VAR_DIR": var,
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite://{var}/hostile.sqlite3",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        run_app(root, env, "migrate")
        run_app(root, env, "seed", "--demo")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.web.app:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-access-log"],
            cwd=root, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            print(f"app root: {root}")
            asyncio.run(attack_all(f"http://127.0.0.1:{port}", server.pid, args))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
