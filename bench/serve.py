"""One benchmark server process: ``python bench/serve.py --variant V --code DIR --port P``.

Variants (``bench/__main__.py`` starts one process of each, all alike):

- ``service``: ``app.web.app:app`` of the checkout ``--code`` (what ``uvicorn
  app.web.app:app`` serves);
- ``naive``: ``bench/naive.py`` (this harness's file) over that checkout's app;
- ``floor``: ``bench/floor.py`` (``--code`` is then the harness's own checkout).

``--code`` goes first on ``sys.path`` (and is the working directory), so ``app``,
``schema`` and ``models`` come from the checkout being measured; the harness's files are
loaded by their path. The app is wrapped in ``Probe``, which answers ``/__bench/sql``
(count the SQL statements Tortoise sends while counting is on) and passes everything
else through untouched; counting is off, and costs nothing, while latency is measured.
Served by uvicorn's ``uvicorn.run`` with the same options for every variant.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent

Scope = dict[str, Any]


class _Counter(logging.Handler):
    """Counts Tortoise's statements (as ``tests.helpers.count_sql`` does): connection
    chatter and the app's background tasks (``psyline-*``) are not requests' SQL."""

    _skip = re.compile(r"^(Created connection|Closed connection|Connection|Acquir|Releas)", re.I)

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        sql = str(record.args[0]) if isinstance(record.args, tuple) and record.args else ""
        if self._skip.match(sql or record.getMessage()):
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        if task is not None and task.get_name().startswith("psyline-"):
            return
        self.count += 1


class Probe:
    """The app, plus ``POST /__bench/sql?on=1|0`` and ``GET /__bench/sql``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counter = _Counter()
        self.logger = logging.getLogger("tortoise.db_client")
        self.level, self.propagate = self.logger.level, self.logger.propagate

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/__bench/sql":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST":
            on = b"on=1" in scope.get("query_string", b"")
            self.logger.removeHandler(self.counter)
            self.counter.count = 0
            if on:
                self.logger.setLevel(logging.DEBUG)
                self.logger.propagate = False
                self.logger.addHandler(self.counter)
            else:
                self.logger.setLevel(self.level)
                self.logger.propagate = self.propagate
        body = json.dumps({"count": self.counter.count}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def load_file(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build(variant: str) -> Any:
    if variant == "service":
        from app.web.app import create_app

        return create_app()
    if variant == "naive":
        return load_file("bench_naive", BENCH_DIR / "naive.py").app
    if variant == "floor":
        return load_file("bench_floor", BENCH_DIR / "floor.py").app
    raise SystemExit(f"unknown variant {variant!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", required=True, choices=("service", "naive", "floor"))
    parser.add_argument("--code", required=True, help="the checkout whose app is served")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    code = str(Path(args.code).resolve())
    # Script mode put bench/ first on sys.path: the measured checkout goes there instead.
    sys.path[:] = [code, *(p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR)]
    import uvicorn

    uvicorn.run(
        Probe(build(args.variant)),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
