"""The naive variant of the service: the same app with every dataloader non-batching.

``schema.context.Loader`` is the base of every per-request dataloader; here it is made
``DataLoader(batch=False, cache=True)`` before the app is built, so each ``load(key)``
runs its own ``load_batch([key])``: every relation of every card is one SQL statement
(N+1), as an implementation without dataloaders would do. Per-request caching stays on
(a key asked twice in one request is loaded once), so the comparison isolates batching.

Started by ``bench/serve.py --variant naive`` with the measured checkout (``--root``)
first on ``sys.path``: ``app`` and ``schema`` are that checkout's, this file is the
harness's (loaded by its path).
"""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader

import schema.context as context_module


def _unbatched_init(self: Any, context: Any) -> None:
    DataLoader.__init__(self, batch=False, cache=True)
    self.context = context


context_module.Loader.__init__ = _unbatched_init  # type: ignore[method-assign]

from app.web.app import create_app  # noqa: E402 - after the patch, on purpose

app = create_app()
