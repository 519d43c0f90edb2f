"""The benchmarks' data set: N approved psychologists with about a month of bookings each.

``prepare`` migrates the database (``app.core.db.migrate``: the current schema), seeds the
demo catalogue (``app.demo.seed``) and bulk-adds generated psychologists, their services,
methods, topics, working hours and bookings until ``size`` are approved, then ANALYZE.

Used two ways:

- imported (``bench/catalogue_bench.py``);
- run as a script by ``python -m bench seed|run`` (``bench/__main__.py``), from the
  checkout being measured (``--root``): this file imports only ``app``, ``models`` and the
  standard library, so it seeds with that checkout's code and migrations while the file
  itself comes from the harness's checkout. As a script it reuses a database that holds
  the marker row of a complete seed of the same size and key (``bench_marker``), and
  otherwise wipes it and seeds anew.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.booking.slots import Schedule, WeeklyHours, iter_free_starts
from app.core.settings import Settings
from app.core.sql import placeholders

DEMO_SIZE = 112  # the realistic demo catalogue; larger sizes add generated psychologists
FILL = 0.55  # share of the free non-overlapping session times that get booked
BENCH_CLIENTS = 200
MARKER = "bench_marker"  # one row (size, key) written once a seed is complete


async def prepare(settings: Settings, size: int) -> dict[str, Any]:
    """Migrate, seed ``size`` demo psychologists and a month of bookings each."""
    from tortoise import connections

    from app.core.db import analyze, close_db, migrate, open_db
    from app.demo.seed import seed_demo
    from models.booking import Booking, WorkingHours
    from models.catalogue import Psychologist, Service
    from models.enums import Role, ServiceKind
    from models.identity import User

    t0 = time.perf_counter()
    await migrate(settings)
    await open_db(settings)
    try:
        await seed_demo(settings, psychologists=min(size, DEMO_SIZE))
        await grow_catalogue(size)
        t_seed = time.perf_counter() - t0
        conn = connections.get("default")
        dialect = conn.capabilities.dialect
        clients = list(
            await User.filter(phone_e164__startswith="+7990").values_list("id", flat=True)
        )
        if len(clients) < BENCH_CLIENTS:
            await User.bulk_create(
                [
                    User(role=Role.CLIENT, phone_e164=f"+7990{i:07d}", display_name="bench")
                    for i in range(len(clients), BENCH_CLIENTS)
                ]
            )
            clients = list(
                await User.filter(phone_e164__startswith="+7990").values_list("id", flat=True)
            )
        # Psychologists with bookings (the bench's or the demo's) keep theirs: the
        # generated ones must not overlap them (PostgreSQL's constraint would refuse).
        already = set(await Booking.all().distinct().values_list("psychologist_id", flat=True))
        people = await Psychologist.all().values_list("id", "timezone")
        services = {
            pid: (sid, duration, price)
            for pid, sid, duration, price in await Service.filter(
                kind=ServiceKind.SESSION, is_active=True
            ).values_list("psychologist_id", "id", "duration_minutes", "price")
        }
        weekly: dict[int, list[WeeklyHours]] = {}
        for pid, wd, s, e in await WorkingHours.all().values_list(
            "psychologist_id", "weekday", "start_minute", "end_minute"
        ):
            weekly.setdefault(pid, []).append(WeeklyHours(wd, s, e))
        now = datetime.now(UTC)
        rng = random.Random(7)
        rows: list[list[Any]] = []
        for pid, tz in people:
            if pid in already or pid not in services or pid not in weekly:
                continue
            sid, duration, price = services[pid]
            schedule = Schedule(timezone=tz, weekly=weekly[pid], notice_minutes=0, horizon_days=30)
            free_from = 0
            for start in iter_free_starts(schedule, duration, now):
                if start < free_from or rng.random() > FILL:
                    continue
                s = datetime.fromtimestamp(start, UTC)
                e = s + timedelta(minutes=duration)
                b = e + timedelta(minutes=10)
                free_from = int(b.timestamp())
                rows.append(
                    [
                        rng.choice(clients),
                        pid,
                        sid,
                        s,
                        e,
                        b,
                        "CONFIRMED",
                        price,
                        "RUB",
                        f"bench-{pid}-{start}",
                        now,
                        now,
                    ]
                )
        cols = (
            "client_id, psychologist_id, service_id, starts_at, ends_at, blocked_until, "
            "status, price, currency, video_room, created_at, updated_at"
        )
        sql = f"INSERT INTO bookings ({cols}) VALUES ({placeholders(12)})"
        if dialect == "sqlite":  # the sqlite driver wants ISO strings for timestamps
            for r in rows:
                for i in (3, 4, 5, 10, 11):
                    r[i] = r[i].isoformat(" ")
                r[7] = str(r[7])
        for i in range(0, len(rows), 5000):
            await conn.execute_many(sql, rows[i : i + 5000])
        await analyze()  # after the bulk load, as seed does
        await refresh_derived()
        await analyze()  # the derived rows were all rewritten: vacuum them (PostgreSQL)
        total_bookings = await Booking.all().count()
        approved = await Psychologist.filter(vetting_status="APPROVED").count()
    finally:
        await close_db()
    return {
        "approved": approved,
        "bookings": total_bookings,
        "new_bench_bookings": len(rows),
        "prepare_seconds": round(time.perf_counter() - t0, 1),
        "seed_seconds": round(t_seed, 1),
    }


async def refresh_derived() -> None:
    """Recompute the derived next free slots after the bulk load, as ``seed_demo`` does,
    in checkouts that have them (``app.booking.next_free``); others have nothing to do."""
    try:
        from app.booking import next_free  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return
    from app.core import clock

    await next_free.refresh_all(clock.now())


async def grow_catalogue(size: int) -> None:
    """Bulk-add generated approved psychologists until ``size`` are approved."""
    from tortoise import connections

    from app.demo.booking import seed_working_hours
    from models.catalogue import Method, Psychologist, Service, Topic
    from models.enums import ServiceKind, VettingStatus

    have = await Psychologist.filter(vetting_status=VettingStatus.APPROVED).count()
    missing = size - have
    if missing <= 0:
        return
    rng = random.Random(size)
    start = await Psychologist.filter(slug__startswith="bench-").count()
    zones = (
        "Europe/Moscow",
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Europe/Samara",
        "Asia/Vladivostok",
        "Europe/Kaliningrad",
        "Europe/Berlin",
    )
    people = []
    for i in range(start, start + missing):
        price = Decimal(rng.randrange(20, 90) * 100)
        rating = rng.randrange(350, 500)
        people.append(
            Psychologist(
                slug=f"bench-{i}",
                full_name=f"Бенч Психолог {i}",
                search_name=f"бенч психолог {i}",
                practice_since=rng.randrange(1995, 2022),
                timezone=rng.choice(zones),
                vetting_status=VettingStatus.APPROVED,
                rating_avg=Decimal(rating) / 100,
                review_count=rng.randrange(1, 40),
                price_from=price,
                sort_rating=rating,
                sort_price=int(price * 100),
            )
        )
    await Psychologist.bulk_create(people, batch_size=2000)
    ids = dict(
        await Psychologist.filter(slug__in=[p.slug for p in people]).values_list("slug", "id")
    )
    services = []
    for p in people:
        pid = ids[p.slug]
        services.append(
            Service(
                psychologist_id=pid,
                kind=ServiceKind.SESSION,
                title="Сессия",
                duration_minutes=50,
                price=p.price_from,
            )
        )
        if rng.random() < 0.4:
            services.append(
                Service(
                    psychologist_id=pid,
                    kind=ServiceKind.CHECKUP,
                    title="Чекап",
                    duration_minutes=30,
                    price=Decimal(1500),
                )
            )
    await Service.bulk_create(services, batch_size=5000)
    methods = list(await Method.all().values_list("id", flat=True))
    topics = list(await Topic.all().values_list("id", flat=True))
    conn = connections.get("default")
    mark = placeholders(2)
    for table, column, pool in (
        ("psychologist_methods", "method_id", methods),
        ("psychologist_topics", "topic_id", topics),
    ):
        pairs = [[pid, x] for pid in ids.values() for x in rng.sample(pool, min(3, len(pool)))]
        await conn.execute_many(
            f"INSERT INTO {table} (psychologist_id, {column}) VALUES ({mark})", pairs
        )
    await seed_working_hours(list(ids.values()))


def _sqlite_marker(path: Path) -> tuple[int, str] | None:
    if not path.exists():
        return None
    with sqlite3.connect(path) as db:
        try:
            row = db.execute(f"SELECT size, key FROM {MARKER}").fetchone()
        except sqlite3.OperationalError:
            return None
    return (int(row[0]), str(row[1])) if row else None


def _remove_sqlite(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


async def marker_of(settings: Settings) -> tuple[int, str] | None:
    """The (size, key) of the complete seed in this database, or None."""
    if settings.is_sqlite:
        return _sqlite_marker(Path(settings.database_url.removeprefix("sqlite://")))
    from tortoise import Tortoise

    from app.core.db import open_db

    await open_db(settings)
    try:
        conn = Tortoise.get_connection("default")
        try:
            _, rows = await conn.execute_query(f"SELECT size, key FROM {MARKER}")
        except Exception:  # no such table: not seeded (or not completely)
            return None
        return (int(rows[0][0]), str(rows[0][1])) if rows else None
    finally:
        await Tortoise.close_connections()


async def wipe(settings: Settings) -> None:
    """An empty database: the SQLite file removed, PostgreSQL's public schema recreated."""
    if settings.is_sqlite:
        _remove_sqlite(Path(settings.database_url.removeprefix("sqlite://")))
        return
    from tortoise import Tortoise

    from app.core.db import open_db

    await open_db(settings)
    try:
        await Tortoise.get_connection("default").execute_script(
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
        )
    finally:
        await Tortoise.close_connections()


async def write_marker(settings: Settings, size: int, key: str) -> None:
    from tortoise import Tortoise

    from app.core.db import open_db

    await open_db(settings)
    try:
        conn = Tortoise.get_connection("default")
        await conn.execute_script(f"CREATE TABLE {MARKER} (size INTEGER, key TEXT)")
        mark = "?, ?" if settings.is_sqlite else "$1, $2"
        await conn.execute_query(f"INSERT INTO {MARKER} VALUES ({mark})", [size, key])
    finally:
        await Tortoise.close_connections()


def _sqlite_tables(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(
            db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        )


async def table_count(settings: Settings) -> int:
    """How many tables the database holds (0: empty, nothing to lose)."""
    if settings.is_sqlite:
        return _sqlite_tables(Path(settings.database_url.removeprefix("sqlite://")))
    from tortoise import Tortoise

    from app.core.db import open_db

    await open_db(settings)
    try:
        _, rows = await Tortoise.get_connection("default").execute_query(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return int(rows[0][0])
    finally:
        await Tortoise.close_connections()


class NotABenchDatabase(RuntimeError):
    """A database with tables but no marker, which the harness did not create."""


async def ensure(
    settings: Settings, size: int, key: str, *, fresh: bool, owned: bool
) -> dict[str, Any]:
    """Reuse a complete seed of (size, key), else wipe and seed; what was done.

    A database without the marker is wiped only when the harness owns it (its SQLite file
    under var/bench/, its ``bench_*`` PostgreSQL database: an interrupted seed), when it
    is empty, or with ``fresh``: a DATABASE_URL pointing at a developer's database is
    refused, never wiped."""
    found = await marker_of(settings)
    if found == (size, key) and not fresh:
        return {"status": "reused", "size": size}
    if found is None and not (owned or fresh) and await table_count(settings):
        raise NotABenchDatabase(
            f"{settings.database_url} has tables but is no benchmark data set: "
            "not wiped (pass --fresh to wipe it)"
        )
    await wipe(settings)
    info = await prepare(settings, size)
    await write_marker(settings, size, key)
    return {"status": "seeded", "size": size, **info}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Seed (or reuse) one benchmark database.")
    parser.add_argument("--psychologists", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--var-dir", required=True, help="PSYLINE_VAR_DIR of the servers")
    parser.add_argument("--key", required=True, help="the migrations' fingerprint")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--owned", action="store_true", help="the harness chose the database")
    args = parser.parse_args(argv)
    settings = Settings(
        env="development", database_url=args.database_url, var_dir=Path(args.var_dir)
    )
    t0 = time.perf_counter()
    try:
        info = asyncio.run(
            ensure(settings, args.psychologists, args.key, fresh=args.fresh, owned=args.owned)
        )
    except NotABenchDatabase as exc:
        raise SystemExit(str(exc)) from None
    info["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
