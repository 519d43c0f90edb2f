"""The floor: the benchmark's reads answered without GraphQL, as cheaply as honest.

A plain Starlette app on the same uvicorn, the same driver (Tortoise's connection
``default``, opened by ``app.core.db.open_db``, raw ``execute_query``) and the same JSON
encoder (``app.web.app.json_text``) as the service. ``POST /graphql`` recognises the
operation by its name in the document (``query Catalogue(...``) and answers with the
rows and columns that operation needs, fetched with the fewest statements, encoded as
the service encodes them (global IDs, cursors, money, times), so that the answer is the
service's byte for byte: ``python -m bench check-floor`` compares them.

Free slots are computed by the service's own code (``app.booking.availability.search``
and ``slots_in_window``, ``app.catalogue.soonest.soonest_slots``), this checkout's: the
floor measures what GraphQL, the resolvers and the ORM add, not another availability
algorithm. (With ``--root``, the service may compute them otherwise: a change of the
algorithm itself shows as a change of ``p50/fl``.)

Operations: ``Catalogue`` (the default order, RATING_DESC, no filter), ``SoonestSlots``
(no filter) and ``PsychologistProfile``; anything else is answered with an error.
Always runs from the harness's checkout.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.booking.availability import (
    ScheduleCache,
    ServiceLite,
    SlotInfo,
    rank_by_first_slot,
    search,
    slots_in_window,
)
from app.catalogue import soonest
from app.catalogue.filters import CatalogueFilter, filtered
from app.catalogue.service import CURSORS, PsychologistOrder
from app.core.cursors import b64encode
from app.core.db import close_db, open_db
from app.core.heap import freeze_startup_heap
from app.core.settings import load_settings
from app.core.sql import db, placeholders
from app.web.app import json_text
from models.enums import ServiceKind

settings = load_settings()
schedules = ScheduleCache()  # per process: the reference algorithm of older data sets
RATING_CURSOR = CURSORS[PsychologistOrder.RATING_DESC]
OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
MEDIA = "application/json; charset=utf-8"

Row = Sequence[Any]
Json = dict[str, Any]


# --- the service's encodings ----------------------------------------------------------


def gid(type_name: str, pk: int | str) -> str:
    """``schema.relay.to_global_id``."""
    return b64encode(f"{type_name}:{pk}".encode())


def money(amount: Any, currency: str) -> Json:
    """``schema.common.Money.of``: a Decimal quantized to cents, as a string."""
    return {"amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))), "currency": currency}


def photo(url: str) -> str:
    """``Psychologist.photo_url`` (PUBLIC_BASE_URL is set for every bench process)."""
    if url.startswith("/") and settings.public_base_url:
        return settings.public_base_url + url
    return url


def client_types(csv: str) -> list[str]:
    return [v for v in csv.strip(",").split(",") if v]


def rating(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def when(value: Any) -> str:
    """A timestamp as strawberry's DateTime writes it (ISO 8601 of the aware UTC value)."""
    if isinstance(value, str):  # SQLite's driver gives the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.isoformat())


def slot_id(slot: SlotInfo) -> str:
    """``schema.catalogue.types.slot_id``."""
    return gid(
        "Slot", f"{slot.psychologist_id}:{slot.service_id}:{int(slot.starts_at.timestamp())}"
    )


class Unsupported(ValueError):
    """Variables the floor does not implement (it would answer something else)."""


def unsupported(variables: Json, **allowed: Any) -> None:
    """Refuse a variable given as anything but null or the one value the floor implements
    (None: only null or absent)."""
    for name, value in allowed.items():
        given = variables.get(name)
        if given is not None and given != value:
            raise Unsupported(f"the floor does not implement {name}={given!r}")


# --- SQL ----------------------------------------------------------------------------


async def rows(sql: str, values: Sequence[Any] = ()) -> list[Row]:
    """The driver's rows as they are (as ``app.core.sql.fetch_rows``)."""
    _, found = await db().execute_query(sql, list(values))
    # sqlite3.Row or asyncpg Record (typed as dicts by Tortoise): positional either way.
    return cast(list[Row], list(found))


def approved() -> str:
    return "vetting_status = 'APPROVED'"


async def named_lists(table: str, columns: str) -> list[Row]:
    """All methods or topics, in display order (their models' ``Meta.ordering``)."""
    return await rows(f"SELECT {columns} FROM {table} ORDER BY position, id")


async def m2m(
    through: str, table: str, column: str, columns: str, ids: list[int]
) -> dict[int, list[Row]]:
    """Methods or topics of many psychologists in one statement, in display order."""
    grouped: dict[int, list[Row]] = defaultdict(list)
    if not ids:
        return grouped
    for row in await rows(
        f"SELECT t.psychologist_id, {columns} FROM {through} t JOIN {table} m "
        f"ON m.id = t.{column} WHERE t.psychologist_id IN ({placeholders(len(ids))}) "
        "ORDER BY m.position, m.id",
        ids,
    ):
        grouped[row[0]].append(row[1:])
    return grouped


async def services_by_id(ids: set[int]) -> dict[int, Row]:
    if not ids:
        return {}
    found = await rows(
        "SELECT id, kind, duration_minutes, price, currency FROM services "
        f"WHERE id IN ({placeholders(len(ids))})",
        sorted(ids),
    )
    return {r[0]: r for r in found}


def named(type_name: str, items: list[Row]) -> list[Json]:
    return [{"id": gid(type_name, r[0]), "name": r[1]} for r in items]


# --- Catalogue --------------------------------------------------------------------


async def catalogue(variables: Json) -> Json:
    """20 cards (``first``) in the default order (rating, then id), no filter, no cursor."""
    unsupported(variables, filter=None, orderBy="RATING_DESC", after=None)
    first = min(int(variables.get("first", 20)), 100)
    methods = await named_lists("methods", "id, name")
    topics = await named_lists("topics", "id, name")
    page = await rows(
        "SELECT id, full_name, photo_url, practice_since, rating_avg, review_count, "
        "client_types_csv, price_from, price_currency, timezone, sort_rating "
        f"FROM psychologists WHERE {approved()} ORDER BY sort_rating DESC, id LIMIT {first + 1}"
    )
    more = len(page) > first
    page = page[:first]
    total = (await rows(f"SELECT COUNT(*) FROM psychologists WHERE {approved()}"))[0][0]
    ids = [r[0] for r in page]
    by_method = await m2m("psychologist_methods", "methods", "method_id", "m.id, m.name", ids)
    by_topic = await m2m("psychologist_topics", "topics", "topic_id", "m.id, m.name", ids)
    now = datetime.now(UTC)
    slots = await search([(r[0], r[9]) for r in page], ServiceKind.SESSION, now, per_psychologist=3)
    services = await services_by_id({s.service_id for found in slots.values() for s in found})
    edges = []
    for r in page:
        pid = r[0]
        edges.append(
            {
                "cursor": RATING_CURSOR.encode(r[10], pid),
                "node": {
                    "id": gid("Psychologist", pid),
                    "fullName": r[1],
                    "photoUrl": photo(r[2]),
                    "experienceYears": max(0, now.year - r[3]),
                    "rating": rating(r[4]),
                    "reviewCount": r[5],
                    "clientTypes": client_types(r[6]),
                    "methods": named("Method", by_method.get(pid, [])),
                    "topics": named("Topic", by_topic.get(pid, [])),
                    "priceFrom": None if r[7] is None else money(r[7], r[8]),
                    "nextSlots": [slot(s, services) for s in slots.get(pid, [])[:3]],
                },
            }
        )
    return {
        "methods": named("Method", methods),
        "topics": named("Topic", topics),
        "psychologists": {
            "totalCount": total,
            "pageInfo": {
                "hasNextPage": more,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "edges": edges,
        },
    }


def slot(s: SlotInfo, services: dict[int, Row]) -> Json:
    service = services[s.service_id]
    return {
        "id": slot_id(s),
        "startsAt": s.starts_at.isoformat(),
        "endsAt": s.ends_at.isoformat(),
        "service": {
            "id": gid("Service", service[0]),
            "kind": service[1],
            "durationMinutes": service[2],
            "price": money(service[3], service[4]),
        },
    }


# --- SoonestSlots -------------------------------------------------------------------


_derived: list[bool] = []  # whether the data set has next_free_slots (asked once)


async def _has_derived_slots() -> bool:
    if not _derived:
        try:
            await db().execute_query("SELECT 1 FROM next_free_slots LIMIT 1")
            _derived.append(True)
        except Exception:
            _derived.append(False)
    return _derived[0]


async def soonest_slots(variables: Json) -> Json:
    """The ``first`` (at most 50) earliest session slots, one per psychologist."""
    unsupported(variables, filter=None)
    first = max(0, min(int(variables.get("first", 10)), 50))
    now = datetime.now(UTC)
    if await _has_derived_slots():
        found = await soonest.soonest_slots(CatalogueFilter(), first, now)
    else:  # a data set seeded by an older checkout (--root): the algorithm it had
        ranked = await rank_by_first_slot(
            filtered(CatalogueFilter()), ServiceKind.SESSION, now, schedules=schedules, limit=first
        )
        found = [slot for _, slot in ranked if slot is not None]
    people: dict[int, Row] = {}
    if found:
        pids = sorted({s.psychologist_id for s in found})
        people = {
            r[0]: r
            for r in await rows(
                "SELECT id, full_name, photo_url FROM psychologists "
                f"WHERE id IN ({placeholders(len(pids))})",
                pids,
            )
        }
    services = await services_by_id({s.service_id for s in found})
    out = []
    for s in found:
        person, service = people[s.psychologist_id], services[s.service_id]
        out.append(
            {
                "id": slot_id(s),
                "startsAt": s.starts_at.isoformat(),
                "endsAt": s.ends_at.isoformat(),
                "psychologist": {
                    "id": gid("Psychologist", person[0]),
                    "fullName": person[1],
                    "photoUrl": photo(person[2]),
                },
                "service": {
                    "id": gid("Service", service[0]),
                    "kind": service[1],
                    "price": money(service[3], service[4]),
                },
            }
        )
    return {"soonestSlots": out}


# --- PsychologistProfile ------------------------------------------------------------


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def profile(variables: Json) -> Json:
    """One approved psychologist's profile with ``availability(from, to)`` and 5 reviews."""
    from base64 import urlsafe_b64decode

    raw = str(variables["id"])
    type_name, _, pk = urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().partition(":")
    if type_name != "Psychologist" or not pk.isdigit():
        return {"node": None}
    pid = int(pk)
    found = await rows(
        "SELECT id, full_name, photo_url, bio, practice_since, rating_avg, review_count, "
        "client_types_csv, languages, timezone FROM psychologists "
        f"WHERE id = {placeholders(1)} AND {approved()}",
        [pid],
    )
    if not found:
        return {"node": None}
    p = found[0]
    now = datetime.now(UTC)
    credentials = await rows(
        "SELECT kind, title, institution, hours, year FROM credentials "
        f"WHERE psychologist_id = {placeholders(1)} ORDER BY year, id",
        [pid],
    )
    methods = (
        await m2m(
            "psychologist_methods", "methods", "method_id", "m.id, m.name, m.description", [pid]
        )
    ).get(pid, [])
    topics = (await m2m("psychologist_topics", "topics", "topic_id", "m.id, m.name", [pid])).get(
        pid, []
    )
    services = await rows(
        "SELECT id, kind, title, duration_minutes, price, currency FROM services "
        f"WHERE psychologist_id = {placeholders(1)} AND is_active ORDER BY price, id",
        [pid],
    )
    kinds = {r[0]: r[1] for r in services}
    slots = await slots_in_window(
        pid,
        p[9],
        None,
        parse_time(variables["from"]),
        parse_time(variables["to"]),
        now,
        [ServiceLite(r[0], r[3], Decimal(str(r[4]))) for r in services],
    )
    missing = {s.service_id for s in slots} - set(kinds)
    if missing:  # not active any more: the service's ServiceById loads it all the same
        kinds.update({k: r[1] for k, r in (await services_by_id(missing)).items()})
    reviews = await rows(
        "SELECT id, rating, text, created_at FROM reviews "
        f"WHERE psychologist_id = {placeholders(1)} AND is_published ORDER BY id DESC LIMIT 6",
        [pid],
    )
    languages = p[8]
    if isinstance(languages, str):
        languages = json.loads(languages)
    return {
        "node": {
            "id": gid("Psychologist", p[0]),
            "fullName": p[1],
            "photoUrl": photo(p[2]),
            "bio": p[3],
            "experienceYears": max(0, now.year - p[4]),
            "rating": rating(p[5]),
            "reviewCount": p[6],
            "clientTypes": client_types(p[7]),
            "languages": list(languages or []),
            "credentials": [
                {"kind": c[0], "title": c[1], "institution": c[2], "hours": c[3], "year": c[4]}
                for c in credentials
            ],
            "methods": [
                {"id": gid("Method", m[0]), "name": m[1], "description": m[2]} for m in methods
            ],
            "topics": named("Topic", topics),
            "services": [
                {
                    "id": gid("Service", s[0]),
                    "kind": s[1],
                    "title": s[2],
                    "durationMinutes": s[3],
                    "price": money(s[4], s[5]),
                }
                for s in services
            ],
            "availability": [
                {
                    "id": slot_id(s),
                    "startsAt": s.starts_at.isoformat(),
                    "endsAt": s.ends_at.isoformat(),
                    "service": {"id": gid("Service", s.service_id), "kind": kinds[s.service_id]},
                }
                for s in slots
            ],
            "reviews": {
                "edges": [
                    {
                        "node": {
                            "id": gid("Review", r[0]),
                            "rating": r[1],
                            "text": r[2],
                            "createdAt": when(r[3]),
                        }
                    }
                    for r in reviews[:5]
                ]
            },
        }
    }


# --- the app ------------------------------------------------------------------------

FLOORS: dict[str, Callable[[Json], Awaitable[Json]]] = {
    "Catalogue": catalogue,
    "SoonestSlots": soonest_slots,
    "PsychologistProfile": profile,
}


_costs: dict[bytes, Json] = {}


def extensions(raw: bytes, body: Json) -> Json:
    """``extensions.cost`` as the service writes it (``schema.cost.RequestLimits``),
    computed once per distinct request body and cached: the estimate is work of the
    service's GraphQL layer, which the floor has not. The schema is built on first use."""
    found = _costs.get(raw)
    if found is None:
        from graphql import parse

        from schema import build_schema
        from schema.cost import MAX_REPEATS, Budget, operation_cost

        budget = Budget(
            cost=settings.query_cost_budget,
            max_selections=settings.max_selections,
            max_repeats=MAX_REPEATS,
            default_maximum=settings.max_page_size,
        )
        schema = build_schema(
            introspection=settings.introspection,
            max_depth=settings.max_query_depth,
            budget=budget,
        )
        requested = operation_cost(
            schema._schema,
            parse(body["query"]),
            body.get("operationName"),
            body.get("variables"),
            default_maximum=budget.default_maximum,
        )
        found = {"cost": {"requested": requested, "budget": budget.cost}}
        _costs[raw] = found
    return found


async def graphql(request: Request) -> Response:
    raw = await request.body()
    body = json.loads(raw)
    match = OPERATION.match(body.get("query") or "")
    handler = FLOORS.get(match.group(1)) if match else None
    if handler is None:
        unknown = {"errors": [{"message": "the floor answers only the benchmark's reads"}]}
        return Response(json_text(unknown), status_code=400, media_type=MEDIA)
    try:
        data = await handler(body.get("variables") or {})
    except Unsupported as exc:
        refused = {"errors": [{"message": str(exc)}]}
        return Response(json_text(refused), status_code=400, media_type=MEDIA)
    result = {"data": data, "extensions": extensions(raw, body)}
    return Response(json_text(result), media_type=MEDIA)


async def readyz(request: Request) -> Response:
    await db().execute_query("SELECT 1")
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await open_db(settings)
    try:
        # The serving process's GC settings, as the service's lifespan sets them.
        freeze_startup_heap()
        yield
    finally:
        await close_db()


app = Starlette(
    routes=[Route("/graphql", graphql, methods=["POST"]), Route("/readyz", readyz)],
    lifespan=lifespan,
)
