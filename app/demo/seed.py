"""Demo data: a sequence of independent, idempotent steps.

Each step is an async function ``step(settings) -> str | None`` referenced by dotted path in
``DEMO_STEPS``; domains append their own step with a one-line edit. Steps run in order and
their summaries are joined into the command's output. Every step must be safe to re-run.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from app.core.settings import Settings

DEMO_STEPS: tuple[str, ...] = (
    "app.demo.catalogue.seed_catalogue",
    "app.demo.identity.seed_identity",
    "app.demo.booking.seed_booking",
)

DEFAULT_PSYCHOLOGISTS = 112
# Parameter of the current run (set by seed_demo, read by steps via demo_psychologists()).
_psychologists: int = DEFAULT_PSYCHOLOGISTS


def demo_psychologists() -> int:
    """How many approved demo psychologists the current seed run should create."""
    return _psychologists


def load_step(path: str) -> Callable[[Settings], Awaitable[str | None]]:
    module_name, _, attr = path.rpartition(".")
    step: Callable[[Settings], Awaitable[str | None]] = getattr(
        importlib.import_module(module_name), attr
    )
    return step


async def seed_demo(settings: Settings, psychologists: int = DEFAULT_PSYCHOLOGISTS) -> str:
    global _psychologists
    _psychologists = psychologists
    summaries: list[str] = []
    try:
        for path in DEMO_STEPS:
            summary = await load_step(path)(settings)
            if summary:
                summaries.append(summary)
    finally:
        _psychologists = DEFAULT_PSYCHOLOGISTS
    return "; ".join(summaries) or "nothing to do"
