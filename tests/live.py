"""Live Daphne servers for tests that need real processes (cluster and browser tests).

Each server is a separate `daphne` process on a free loopback port, using the
test database (so the test must use `transactional_db`: its rows are committed)
and the same REDIS_URL as the test session.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.processes import free_port, wait_until_listening

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).with_name("daphne")


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def live_database_url() -> str:
    """DATABASE_URL of the test database the test session is using."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def live_server_env(tmp_path, transactional_db) -> dict[str, str]:
    """The environment of a live server: this session's database, Redis and an SMS file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_SETTINGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="dmsite.settings",
        DATABASE_URL=live_database_url(),
        DJANGO_DEBUG="1",
        SECURE_SSL_REDIRECT="0",
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(tmp_path / "sms.jsonl"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    if getattr(settings, "REDIS_URL", ""):
        env["REDIS_URL"] = settings.REDIS_URL
    return env


@pytest.fixture
def start_daphne(live_server_env, tmp_path):
    """Start one more Daphne process; all are stopped at the end of the test."""
    servers: list[LiveServer] = []

    def start(port: int | None = None, **extra_env: str) -> LiveServer:
        """`port`: listen where a stopped server listened (a restart); else a free port."""
        port = port or free_port()
        log_path = tmp_path / f"daphne-{port}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own daphne, fixed arguments
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "dmsite.asgi:application"],
                cwd=PROJECT_ROOT,
                env={**live_server_env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = LiveServer(process, port, log_path)
        servers.append(server)
        wait_until_listening(process, port, server.log)
        return server

    yield start
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
