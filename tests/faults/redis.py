"""A Redis of the test's own, on its own port, that the test can stop and start.

From this machine's ``redis-server``: the tests skip without it, and fail instead when
``PSYLINE_REQUIRE_FAULT_SERVERS`` is set (CI).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.faults import required
from tests.servers import free_port


def require_redis_server() -> str:
    return required(shutil.which("redis-server"), "redis-server")


@dataclass
class OwnRedis:
    binary: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):  # bounded: until it accepts connections
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis(require_redis_server())
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
