"""``python -m app <command>`` (also the ``psyline`` console script): serve, worker, migrate,
seed, export-schema, fetch-assets, and the sub-commands of ``COMMAND_MODULES`` (each has
``register(subparsers)`` that adds its commands with ``func=<callable(args)>``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from app.cli import documents, identity, outbox
from app.cli.runner import run_with_db
from app.core.settings import ROOT, Settings, SettingsError, load_settings, refuse

COMMAND_MODULES = (identity, documents, outbox)


def server_options(settings: Settings) -> dict[str, Any]:
    """What ``serve`` tells uvicorn besides where to listen (tests start it the same way)."""
    return {
        "proxy_headers": True,
        "access_log": False,  # it prints query strings: app.web.edge logs requests instead
        "ws_max_size": settings.max_body_bytes,  # frames refused while read (1009)
        # uvicorn's default is on; what it costs per socket: bench/ws_memory_bench.py.
        "ws_per_message_deflate": settings.ws_per_message_deflate,
    }


def cmd_serve(args: argparse.Namespace) -> None:
    """Every refusal (app.core.settings, the migrations in production) is checked here,
    once, before uvicorn forks: the workers check again as they start."""
    import uvicorn

    if args.workers is not None:  # inherited: each worker's settings see the same count
        os.environ["WEB_CONCURRENCY"] = str(args.workers)
    settings = load_settings()
    if settings.workers > 1 and args.reload:
        raise SettingsError("--reload runs one worker: drop --workers")
    preflight(settings)
    uvicorn.run(
        "app.web.app:app",
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=settings.workers,
        log_level="info",
        **server_options(settings),
    )


def preflight(settings: Settings) -> None:
    """Production starts only on a database that has every migration (``migrate`` is a
    separate step); SettingsError (one line) otherwise."""
    if settings.is_production:
        from app.core.db import require_migrations_applied

        run_with_db(lambda _: require_migrations_applied())


def cmd_worker(args: argparse.Namespace) -> None:
    """The outbox worker alone (``NOTIFY_WORKER_IN_PROCESS=off`` on the servers, or not:
    on PostgreSQL any number of workers share the rows). SIGTERM/SIGINT stop it after the
    batch in hand; SIGKILL loses nothing (its claimed rows are taken again after the lease)."""
    import signal

    from app.core.logging import configure_logging
    from app.notify.runtime import notify_runtime

    async def work(settings: Settings) -> None:
        async with notify_runtime(settings, start_worker=True) as notify:
            if notify.worker is None:
                raise SystemExit("no push provider is configured (FCM_*, APNS_*)")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            print("worker started", flush=True)
            await stop.wait()

    settings = load_settings()
    preflight(settings)
    configure_logging(settings.log_level)
    run_with_db(work)


def cmd_migrate(args: argparse.Namespace) -> None:
    from app.core.db import migrate

    asyncio.run(migrate(load_settings()))
    print("migrations applied")


def cmd_seed(args: argparse.Namespace) -> None:
    if not args.demo:
        print("nothing to do: pass --demo", file=sys.stderr)
        raise SystemExit(2)
    from app.demo.seed import DEMO_IN_PRODUCTION, seed_demo

    if load_settings().is_production:
        print(DEMO_IN_PRODUCTION, file=sys.stderr)
        raise SystemExit(1)

    summary = run_with_db(lambda s: seed_demo(s, psychologists=args.psychologists))
    print(summary)


def export_schema_sdl() -> str:
    from schema import build_schema

    return build_schema().as_str() + "\n"


def cmd_export_schema(args: argparse.Namespace) -> None:
    out = Path(args.output)
    out.write_text(export_schema_sdl(), encoding="utf-8")
    print(f"wrote {out}")


def cmd_schema_changes(args: argparse.Namespace) -> None:
    from schema import build_schema
    from schema.evolution import RELEASED, compare, removal_problems

    released, live = RELEASED.read_text(encoding="utf-8"), build_schema()._schema
    changes = compare(released, live)
    for change in changes.breaking:
        mark = "intended" if change in changes.intended else "BREAKING"
        print(f"{mark}\t{change}")
    for change in changes.dangerous:
        print(f"dangerous\t{change}")
    problems = removal_problems(released, live, _documents_in_use())
    for problem in problems:
        print(f"REMOVAL\t{problem}")
    if changes.unintended or problems:
        raise SystemExit(1)


def _documents_in_use() -> dict[str, str]:
    """The console's operations and every registered trusted document (when the database
    can be read), by name: a field they select may not be removed."""
    from app.web.console import console_operations
    from models.api import TrustedDocument

    documents = {"console": console_operations()}
    url = load_settings().database_url
    if not url.startswith("sqlite://") or Path(url.removeprefix("sqlite://")).exists():

        async def registered(settings: object) -> dict[str, str]:
            rows = await TrustedDocument.all()
            return {f"{r.name or r.id} ({r.source})": r.body for r in rows}

        try:
            documents.update(run_with_db(registered))
        except Exception as exc:  # no database yet: the shipped documents still count
            print(f"note\tregistered documents not read: {type(exc).__name__}")
    return documents


def cmd_release_schema(args: argparse.Namespace) -> None:
    from schema.evolution import INTENDED, RELEASED

    RELEASED.write_text(export_schema_sdl(), encoding="utf-8")
    kept = [
        line for line in INTENDED.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    INTENDED.write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"wrote {RELEASED}; the intended breaking changes are cleared")


def cmd_fetch_assets(args: argparse.Namespace) -> None:
    from app.web.assets import fetch_all

    fetched = fetch_all()
    print("fetched: " + ", ".join(fetched) if fetched else "assets up to date")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the ASGI server (uvicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--reload", action="store_true")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes on one port (default: WEB_CONCURRENCY or 1; more need REDIS_URL)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="deliver the outbox's push notifications (no server)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed", help="load data")
    p.add_argument("--demo", action="store_true", help="deterministic demo catalogue")
    p.add_argument("--psychologists", type=int, default=112, help="approved psychologists")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser(
        "schema-changes", help="the live schema against the last release (exit 1: breaking)"
    )
    p.set_defaults(func=cmd_schema_changes)
    p = sub.add_parser("release-schema", help="record the live schema as the released one")
    p.set_defaults(func=cmd_release_schema)
    p = sub.add_parser("export-schema", help="write the SDL of the live schema")
    p.add_argument("--output", default=str(ROOT / "schema.graphql"))
    p.set_defaults(func=cmd_export_schema)

    p = sub.add_parser("fetch-assets", help="download pinned front-end assets from npm")
    p.set_defaults(func=cmd_fetch_assets)

    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except SettingsError as exc:
        refuse(exc)
