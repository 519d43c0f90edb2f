"""Care chat delivery latency: one message to N ``messageAdded`` subscribers.

Run by hand (never in the test suite), from the repository root:

    .venv/bin/python bench/chat_delivery_bench.py                 # both scenarios
    .venv/bin/python bench/chat_delivery_bench.py --mode single --subscribers 1000

Scenarios (each a fresh set of uvicorn subprocesses on 127.0.0.1 only):

- ``single``: one uvicorn process, in-process broker (no ``REDIS_URL``); all
  subscribers and the sender talk to it.
- ``two``: two uvicorn processes sharing PostgreSQL and Redis; half of the
  subscribers on each, every message sent to process A. Deliveries on B crossed
  processes through Redis; the figures are reported for A and B separately.

Latency of one delivery = the moment a subscriber's socket yields the message
minus the moment the sender started the ``SendMessage`` HTTP request (so it
includes the commit). ``time.monotonic`` is system-wide on Linux, so subscriber
worker processes and the sender share one clock. The subscribers run in
``--workers`` separate processes so that parsing 1,000 frames per message does
not all queue behind one Python loop (their CPU still competes with the servers'
on a small machine: read the figures with ``nproc`` in mind).

Each scenario creates its own PostgreSQL database (``--db`` + ``_single`` /
``_two``, dropped at the end unless ``--keep-db``) and uses its own Redis db
number (``--redis-db``, default 7; pub/sub channel names carry it). Everything
is bounded: subscriber and message counts are capped and each scenario has a
deadline (``--timeout``).

Measured 2026-11-26 (2 CPUs; 1,000 subscribers, 10 messages 3 s apart), after reads
were shared per process (``app/chat/delivery.py``):

    1 process, in-process broker      p50  434 ms   p99  883 ms
    2 processes, subscribers on A     p50  215 ms   p99  705 ms
    2 processes, on B (via Redis)     p50  143 ms   p99  692 ms

One database read serves every subscriber of a process; what remains grows with
the subscriber count is the GraphQL execution of each subscriber's event.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, start_server  # noqa: E402

MAX_SUBSCRIBERS = 5000
MAX_MESSAGES = 200
PG = "postgres://postgres@127.0.0.1:5432"


def _contract_op(name: str) -> str:
    from tests.helpers import op

    return op(name)


# --------------------------------------------------------------------------- setup


def _psql(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=60)


def create_database(name: str) -> str:
    _psql("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name)
    _psql("createdb", "-h", "127.0.0.1", "-U", "postgres", name)
    return f"{PG}/{name}"


def drop_database(name: str) -> None:
    _psql("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name)


@dataclass
class Fixture:
    conversation_id: str  # global id
    subscriber_tokens: list[str]
    sender_tokens: list[str]


async def prepare_data(env: dict[str, str], subscribers: int, messages: int) -> Fixture:
    """Migrate; one client with its conversation; agents who subscribe and agents who send."""
    for key, value in env.items():
        os.environ[key] = value
    from app.chat.service import ensure_conversation
    from app.core.db import close_db, migrate, open_db
    from app.core.settings import load_settings
    from app.identity.sessions import start_session
    from models.enums import Role
    from models.identity import User
    from schema.relay import to_global_id

    settings = load_settings()
    await migrate(settings)
    await open_db(settings)
    try:
        run = uuid.uuid4().hex[:8]
        client = await User.create(
            role=Role.CLIENT, phone_e164="+79990000001", display_name="Bench"
        )
        conversation = await ensure_conversation(client.id)
        # Care agents may subscribe to any conversation; one per subscriber keeps
        # the run realistic (one connection, one token each).
        await User.bulk_create(
            [
                User(role=Role.CARE_AGENT, email=f"sub{i}-{run}@bench.test", display_name=f"A{i}")
                for i in range(subscribers)
            ]
        )
        # One sender per message: the per-author rate limit never interferes.
        await User.bulk_create(
            [
                User(role=Role.CARE_AGENT, email=f"snd{i}-{run}@bench.test", display_name=f"S{i}")
                for i in range(messages + 1)
            ]
        )
        subs = await User.filter(email__startswith="sub", email__endswith=f"-{run}@bench.test")
        senders = await User.filter(email__startswith="snd", email__endswith=f"-{run}@bench.test")
        sub_tokens = [(await start_session(settings, u)).access_token for u in subs]
        snd_tokens = [(await start_session(settings, u)).access_token for u in senders]
        return Fixture(
            conversation_id=to_global_id("CareConversation", conversation.id),
            subscriber_tokens=sub_tokens,
            sender_tokens=snd_tokens,
        )
    finally:
        await close_db()


def wait_ready(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    import httpx

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"server on port {port} did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# --------------------------------------------------------------------------- subscribers


async def _subscriber(
    url: str,
    token: str,
    conversation_id: str,
    expected: set[str],
    received: dict[str, float],
    ready: asyncio.Event,
    opened: list[int],
    total: int,
    deadline: float,
) -> None:
    import websockets

    for attempt in range(3):  # a loaded machine may drop a handshake: retry, bounded
        try:
            ws = await websockets.connect(
                url,
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                max_queue=None,
                open_timeout=60,
            )
            break
        except (OSError, TimeoutError):
            if attempt == 2:
                raise
            await asyncio.sleep(1 + attempt)
    async with ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no ack: {ack}")
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": _contract_op("MessageAdded"),
                        "variables": {"conversationId": conversation_id, "after": None},
                    },
                }
            )
        )
        opened[0] += 1
        if opened[0] == total:
            ready.set()
        pending = set(expected)
        while pending and time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            now = time.monotonic()
            msg = json.loads(raw)
            if msg.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if msg.get("type") != "next":
                continue
            text = msg["payload"]["data"]["messageAdded"]["node"]["text"]
            if text in pending:
                pending.discard(text)
                received[text] = now


def subscriber_worker(
    tag: int,
    url: str,
    tokens: list[str],
    conversation_id: str,
    expected: list[str],
    deadline_in: float,
    out: Any,
) -> None:
    """A process holding ``len(tokens)`` subscriptions; puts ready, then its timings."""

    async def main() -> None:
        deadline = time.monotonic() + deadline_in
        ready = asyncio.Event()
        opened = [0]
        per_sub: list[dict[str, float]] = [{} for _ in tokens]
        tasks = []
        for i, token in enumerate(tokens):
            tasks.append(
                asyncio.create_task(
                    _subscriber(
                        url,
                        token,
                        conversation_id,
                        set(expected),
                        per_sub[i],
                        ready,
                        opened,
                        len(tokens),
                        deadline,
                    )
                )
            )
            if i % 20 == 19:  # ramp the connections up (~200/s per worker)
                await asyncio.sleep(0.1)
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait(
            [waiter, *tasks],
            timeout=max(1.0, deadline - time.monotonic()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not ready.is_set():
            failed = [t for t in tasks if t.done() and t.exception()]
            out.put(("failed", tag, repr(failed[0].exception()) if failed else "timeout"))
        else:
            out.put(("ready", tag))
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        out.put(("done", tag, per_sub, errors[:3], len(errors)))

    try:
        asyncio.run(main())
    except BaseException as exc:  # report, never leave the parent waiting
        out.put(("failed", tag, repr(exc)))


# --------------------------------------------------------------------------- sender


async def send_messages(
    http_url: str, conversation_id: str, tokens: list[str], texts: list[str], gap: float
) -> dict[str, float]:
    import httpx

    query = _contract_op("SendMessage")
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=http_url, timeout=30) as client:
        for text, token in zip(texts, tokens, strict=False):
            t0 = time.monotonic()
            resp = await client.post(
                "/graphql",
                json={
                    "query": query,
                    "variables": {
                        "conversationId": conversation_id,
                        "text": text,
                        "clientMessageId": uuid.uuid4().hex,
                    },
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            body = resp.json()
            payload = (body.get("data") or {}).get("sendMessage") or {}
            if body.get("errors") or payload.get("errors"):
                raise RuntimeError(f"send failed: {body}")
            sent[text] = t0
            await asyncio.sleep(gap)
    return sent


# --------------------------------------------------------------------------- run


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summarise(label: str, latencies: list[float], expected: int) -> dict[str, Any]:
    ms = [x * 1000 for x in latencies]
    row = {
        "scenario": label,
        "deliveries": len(ms),
        "expected": expected,
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
    }
    print(
        f"{label:<28} deliveries {row['deliveries']}/{expected}  p50 {row['p50_ms']} ms  "
        f"p99 {row['p99_ms']} ms  max {row['max_ms']} ms",
        flush=True,
    )
    return row


def run_scenario(args: argparse.Namespace, mode: str, workdir: Path) -> list[dict[str, Any]]:
    deadline = time.monotonic() + args.timeout
    db_name = f"{args.db}_{mode}"
    db_url = create_database(db_name)
    from app.identity.tokens import ed25519_pem_file

    env = {
        "APP_ENV": "development",
        "DATABASE_URL": db_url,
        "JWT_PRIVATE_KEY": ed25519_pem_file(workdir / "jwt_ed25519.pem"),
        "PSYLINE_VAR_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
        "GRAPHIQL": "0",
        "DB_POOL_MAX": str(args.pool),
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}"
        if mode == "two" or args.redis_single
        else "",
    }
    procs: list[subprocess.Popen[bytes]] = []
    workers: list[mp.process.BaseProcess] = []
    try:
        t0 = time.monotonic()
        fixture = asyncio.run(prepare_data(env, args.subscribers, args.messages + 1))
        print(f"[{mode}] data ready in {time.monotonic() - t0:.1f} s", flush=True)
        n_servers = 2 if mode == "two" else 1
        ports = [free_port() for _ in range(n_servers)]
        for i, port in enumerate(ports):
            # As `python -m app serve` runs it: no permessage-deflate (Settings).
            procs.append(
                start_server(
                    env,
                    port,
                    workdir / f"server-{mode}-{i}.log",
                    options=("--ws-per-message-deflate", "false"),
                )
            )
        for port, proc in zip(ports, procs, strict=True):
            wait_ready(port, proc, deadline)

        rss_before = [rss_kib(proc.pid) for proc in procs]
        texts = [f"bench {mode} #{i} {uuid.uuid4().hex[:6]}" for i in range(args.messages + 1)]
        warmup, measured = texts[0], texts[1:]
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        # Subscribers split evenly over the servers, each server's share over workers.
        plan: list[tuple[int, list[str]]] = []  # (server index, tokens)
        per_server = max(1, args.workers // n_servers)
        for s_idx in range(n_servers):
            tokens = fixture.subscriber_tokens[s_idx::n_servers]
            plan.extend((s_idx, tokens[w::per_server]) for w in range(per_server))
        plan = [(s, chunk) for s, chunk in plan if chunk]
        for tag, (s_idx, chunk) in enumerate(plan):
            p = ctx.Process(
                target=subscriber_worker,
                args=(
                    tag,
                    f"ws://127.0.0.1:{ports[s_idx]}/graphql",
                    chunk,
                    fixture.conversation_id,
                    texts,
                    max(5.0, deadline - time.monotonic()),
                    out,
                ),
                daemon=True,
            )
            p.start()
            workers.append(p)
        t0 = time.monotonic()
        for _ in plan:
            item = out.get(timeout=max(1.0, deadline - time.monotonic()))
            if item[0] != "ready":
                raise RuntimeError(f"subscriber worker: {item}")
        print(
            f"[{mode}] {args.subscribers} subscribed in {time.monotonic() - t0:.1f} s", flush=True
        )
        # Every subscribe frame is out; let the servers register them, then a
        # warm-up message (not measured) goes through every subscription.
        time.sleep(1.0)
        http_url = f"http://127.0.0.1:{ports[0]}"
        senders = fixture.sender_tokens
        rss_subscribed = [rss_kib(proc.pid) for proc in procs]
        sent = asyncio.run(
            send_messages(http_url, fixture.conversation_id, senders[:1], [warmup], 2.0)
        )
        cpu_before = [cpu_seconds(proc.pid) for proc in procs]
        sent.update(
            asyncio.run(
                send_messages(http_url, fixture.conversation_id, senders[1:], measured, args.gap)
            )
        )

        latencies: list[list[float]] = [[] for _ in range(n_servers)]
        subs_per_server = [0] * n_servers
        failures = 0
        cpu_after: list[float] = []
        for _ in plan:
            item = out.get(timeout=max(1.0, deadline - time.monotonic() + 10))
            if not cpu_after:  # the first worker is done: every delivery is out
                cpu_after = [cpu_seconds(proc.pid) for proc in procs]
            if item[0] != "done":
                raise RuntimeError(f"subscriber worker: {item}")
            _, tag, per_sub, errs, n_err = item
            s_idx = plan[tag][0]
            subs_per_server[s_idx] += len(per_sub)
            if n_err:
                failures += n_err
                print(f"  {n_err} subscriber(s) failed, e.g. {errs}", flush=True)
            for received in per_sub:
                latencies[s_idx].extend(received[t] - sent[t] for t in measured if t in received)
        rows = []
        if n_servers == 1:
            label = f"1 process ({'redis' if env['REDIS_URL'] else 'in-process'} broker)"
            rows.append(summarise(label, latencies[0], subs_per_server[0] * len(measured)))
        else:
            rows.append(
                summarise(
                    "2 processes, on A (sender's)",
                    latencies[0],
                    subs_per_server[0] * len(measured),
                )
            )
            rows.append(
                summarise(
                    "2 processes, on B (via Redis)",
                    latencies[1],
                    subs_per_server[1] * len(measured),
                )
            )
            rows.append(
                summarise(
                    "2 processes, all",
                    latencies[0] + latencies[1],
                    sum(subs_per_server) * len(measured),
                )
            )
        for row in rows:
            row["failed_subscribers"] = failures
        # What each server spent: CPU per delivery made there (the measured messages,
        # their HTTP sends included) and memory per open subscription.
        for i, proc in enumerate(procs):
            deliveries = max(1, len(latencies[i]))
            subs = max(1, subs_per_server[i])
            server = {
                "server": i,
                "cpu_ms_per_delivery": round((cpu_after[i] - cpu_before[i]) * 1000 / deliveries, 3),
                "kib_per_subscription": round((rss_subscribed[i] - rss_before[i]) / subs, 1),
                "rss_mib": round(rss_kib(proc.pid) / 1024, 1),
            }
            print(f"  server {i}: {server}", flush=True)
            rows[min(i, len(rows) - 1)].setdefault("servers", []).append(server)
        return rows
    finally:
        for p in workers:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        for proc in procs:
            stop_server(proc)
        if not args.keep_db:
            drop_database(db_name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("single", "two", "both"), default="both")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="measured messages")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between messages")
    parser.add_argument("--workers", type=int, default=2, help="subscriber processes")
    parser.add_argument("--pool", type=int, default=20, help="DB_POOL_MAX of each server")
    parser.add_argument("--db", default="psyline_bench_chat")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--redis-single", action="store_true", help="single mode through Redis too")
    parser.add_argument("--timeout", type=float, default=300, help="deadline per scenario, s")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.subscribers <= MAX_SUBSCRIBERS:
        parser.error(f"--subscribers must be 1..{MAX_SUBSCRIBERS}")
    if not 1 <= args.messages <= MAX_MESSAGES:
        parser.error(f"--messages must be 1..{MAX_MESSAGES}")
    modes = ("single", "two") if args.mode == "both" else (args.mode,)
    print(
        f"{args.subscribers} subscribers, {args.messages} messages, {args.workers} subscriber "
        f"processes, {os.cpu_count()} CPUs",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="psyline-bench-") as tmp:
        for mode in modes:
            rows.extend(run_scenario(args, mode, Path(tmp)))
    print(json.dumps(rows, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
