"""Demo data: a sequence of independent, idempotent steps, run in order.

Each step is ``step(settings) -> str | None`` (the catalogue's also takes how many
psychologists); their summaries are joined into the command's output. Every step must
be safe to re-run.
"""

from __future__ import annotations

from app.booking import next_free
from app.contract import contract_files
from app.core import clock
from app.core.db import analyze
from app.core.settings import Settings
from app.demo.booking import seed_booking
from app.demo.catalogue import DEFAULT_PSYCHOLOGISTS, seed_catalogue
from app.demo.identity import seed_identity
from app.web.console import CONSOLE_OWN_DOCUMENT
from app.web.documents import operations_of_file, register


async def seed_documents() -> str | None:
    """Register the contract's operations (app/contract, what the demo apps send) and the
    care console's own (app/web/static/console/console.graphql) as trusted documents."""
    added = 0
    for path in [*contract_files(), CONSOLE_OWN_DOCUMENT]:
        added += await register(operations_of_file(path), path.name)
    return f"{added} trusted documents registered" if added else None


DEMO_IN_PRODUCTION = (
    "seed --demo refuses to run in production (APP_ENV=production): demo psychologists, "
    "clients and staff passwords would mix with real data"
)


async def seed_demo(settings: Settings, psychologists: int = DEFAULT_PSYCHOLOGISTS) -> str:
    if settings.is_production:  # the command checks first; this holds for any other caller
        raise RuntimeError(DEMO_IN_PRODUCTION)
    summaries = [
        await seed_catalogue(settings, psychologists),
        await seed_identity(settings),
        await seed_booking(settings),
        await seed_documents(),
    ]
    await analyze()  # bulk inserts: give the planner fresh statistics
    await next_free.refresh_all(clock.now())  # the first catalogue search needs not compute
    return "; ".join(s for s in summaries if s) or "nothing to do"
