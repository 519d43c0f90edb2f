"""What every data-touching command shares: the ORM opened around it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from app.core.settings import Settings, load_settings


def run_with_db(fn: Callable[[Settings], Awaitable[Any]]) -> Any:
    """Run ``fn(settings)`` with the ORM open (for commands that touch data)."""
    from app.core.db import close_db, open_db

    settings = load_settings()

    async def runner() -> Any:
        await open_db(settings)
        try:
            return await fn(settings)
        finally:
            await close_db()

    return asyncio.run(runner())
