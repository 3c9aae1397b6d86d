"""A Redis server of the test's own, on its own free port, to kill mid-test (outages).

Never the Redis on 6379 (shared by every suite on the machine): `private_redis`
starts `redis-server --port N --save ''` and `kill()` stops it with SIGKILL, as a
crash would; `start()` brings it back on the same port, empty.
"""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.processes import free_port

REDIS_SERVER = shutil.which("redis-server")


@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen | None = field(default=None)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(  # noqa: S603 - the system's redis-server, fixed args
            [
                REDIS_SERVER,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._answers_ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        """SIGKILL: every connection drops at once, nothing is saved."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(tmp_path_factory):
    """`private_redis()`: one more Redis server of this test's; all are killed at the end."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server on PATH to start a Redis of the test's own")
    servers: list[RedisServer] = []

    def start() -> RedisServer:
        server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"))
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.kill()
