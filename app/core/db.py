"""Tortoise ORM configuration: one Tortoise app per domain, each with its own migrations.

Domains are separate Tortoise apps so that their migrations evolve independently
(``tortoise makemigrations catalogue``); cross-domain relations are written as
``"identity.User"``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api.migrate import migrate as _migrate

from app.core.settings import Settings, SettingsError, load_settings

# Domain app label -> models module. Order matters only for readability.
DOMAINS: dict[str, str] = {
    "identity": "models.identity",
    "catalogue": "models.catalogue",
    "booking": "models.booking",
    "chat": "models.chat",
    "checkup": "models.checkup",
    "api": "models.api",
    "notify": "models.notify",
    "audit": "models.audit",
}


def _with_pool(url: str, settings: Settings) -> str:
    """Size the PostgreSQL pool (Tortoise defaults to 1..5) unless the URL says otherwise."""
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("minsize", "1")
    query.setdefault("maxsize", str(settings.db_pool_max))
    return urlunsplit(parts._replace(query=urlencode(query)))


def tortoise_config(settings: Settings) -> dict[str, Any]:
    if settings.is_sqlite:
        path = settings.database_url.removeprefix("sqlite://")
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": _with_pool(settings.database_url, settings)},
        "apps": {
            label: {
                "models": [module],
                "migrations": f"models.migrations.{label}",
                "default_connection": "default",
            }
            for label, module in DOMAINS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads `app.core.db.TORTOISE_ORM` (pyproject [tool.tortoise]);
    # computed lazily so that importing this module never reads the environment.
    if name == "TORTOISE_ORM":
        return tortoise_config(load_settings())
    raise AttributeError(name)


async def open_db(settings: Settings) -> None:
    # Uvicorn runs requests in tasks that do not inherit the lifespan's context
    # variables: make this context the process-wide fallback (as RegisterTortoise
    # does), unless one is active already (a second app in the same process).
    from tortoise.context import get_current_context

    await Tortoise.init(
        config=tortoise_config(settings), _enable_global_fallback=get_current_context() is None
    )
    if settings.is_sqlite:
        await _unicode_upper(Tortoise.get_connection("default"))


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


async def _unicode_upper(client: Any) -> None:
    """SQLite's UPPER() folds ASCII only, so Tortoise's case-insensitive filters
    (``icontains`` is ``UPPER(x) LIKE UPPER(y)``) would miss "Анна" for "анна". Replace it
    with Python's on our one SQLite connection (PostgreSQL's UPPER follows the locale)."""
    await client.create_connection(with_db=True)
    await client._connection.create_function("upper", 1, _upper, deterministic=True)


async def analyze() -> None:
    """Refresh the planner's statistics after a bulk load (seed, import): autovacuum may be
    off or late on PostgreSQL, and SQLite keeps none until asked (``sqlite_stat1``).
    PostgreSQL also vacuums: a bulk update (the derived next free slots are all rewritten
    after a load) leaves a dead copy of every row, which scans then read through."""
    conn = Tortoise.get_connection("default")
    sqlite = conn.capabilities.dialect == "sqlite"
    await conn.execute_script("ANALYZE" if sqlite else "VACUUM ANALYZE")


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(settings: Settings) -> None:
    """Apply every pending migration (what `python -m app migrate` runs)."""
    await _migrate(config=tortoise_config(settings))
    await Tortoise.close_connections()


def _unavailable_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [OSError, TimeoutError, DBConnectionError]
    try:
        import asyncpg.exceptions as pg  # type: ignore[import-untyped]  # no stubs
    except ImportError:  # pragma: no cover - SQLite-only installs
        return tuple(types)
    types += [pg.PostgresConnectionError, pg.InterfaceError, pg.OperatorInterventionError]
    return tuple(types)


UNAVAILABLE_TYPES = _unavailable_types()


def is_unavailable(exc: BaseException | None) -> bool:
    """Did this fail because the database cannot be reached (down, restarting, network)?
    The exception and its causes are looked at; anything else is a bug, not an outage."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, UNAVAILABLE_TYPES):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


# Migrations the code brings and the database has not recorded: production refuses to start
# with any (`migrate` is a separate step), /readyz is 503 while there are some.


class MigrationsPending(SettingsError):
    """The database is behind the code: `python -m app migrate` first."""


def known_migrations() -> frozenset[str]:
    """``label.name`` of every migration on disk (tortoise's rule: modules not starting
    with ``_`` or ``~``), read without importing them."""
    import importlib
    import pkgutil

    names: set[str] = set()
    for label in DOMAINS:
        package = importlib.import_module(f"models.migrations.{label}")
        names.update(
            f"{label}.{name}"
            for _, name, is_pkg in pkgutil.iter_modules(package.__path__)
            if not is_pkg and name[0] not in "_~"
        )
    return frozenset(names)


async def pending_migrations(known: frozenset[str] | None = None) -> list[str]:
    """The known migrations the open database has not applied, sorted (a database without
    the migrations table: all of them). Raises when the database cannot be reached."""
    conn = Tortoise.get_connection("default")
    try:
        _, rows = await conn.execute_query('SELECT "app", "name" FROM "tortoise_migrations"')
    except Exception as exc:
        if is_unavailable(exc):
            raise
        rows = []  # no table yet: nothing was ever migrated
    applied = {f"{row['app']}.{row['name']}" for row in rows}
    return sorted((known if known is not None else known_migrations()) - applied)


async def require_migrations_applied() -> None:
    """Refuse (SettingsError, one line) a database that is behind or cannot be reached."""
    try:
        pending = await pending_migrations()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        raise SettingsError(
            f"DATABASE_URL: the database cannot be reached ({type(exc).__name__})"
        ) from None
    if pending:
        shown = ", ".join(pending[:3]) + (", ..." if len(pending) > 3 else "")
        raise MigrationsPending(
            f"{len(pending)} database migration(s) pending ({shown}): "
            "run `python -m app migrate` before starting the server"
        )
