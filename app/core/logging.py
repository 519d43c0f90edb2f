"""Logging setup. SQL parameters (phones, message texts) must never reach the logs:
Tortoise logs every statement with its values at DEBUG, so its client logger is
pinned to WARNING whatever LOG_LEVEL says."""

from __future__ import annotations

import logging

QUIET = ("tortoise.db_client", "aiosqlite", "asyncpg", "websockets", "httpx", "httpcore")


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
