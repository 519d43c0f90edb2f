"""Every chat test runs against the session's migrated app (database, pub/sub, SLA watcher)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette


@pytest.fixture(autouse=True)
def _chat_app(app: Starlette) -> Starlette:
    return app
