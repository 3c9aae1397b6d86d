"""The message rate limit is one count shared by every process using the same Redis.

Two separate Python processes (no shared memory, each its own Django and Redis
connection) acquire from one sender's `dm_messages` window, the one
`message_send` uses, under RATE_MESSAGES=5/60: what one admits, the other sees.
"""

import json
import os
import select
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django_redis import get_redis_connection

from messaging.policy import messages_window

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
RATE = "5/60"

# Set up Django, touch Redis once, say "ready", wait for "go", then try `attempts` sends.
CHILD = """
import json, os, sys

import django

django.setup()
from django.conf import settings

from dmsite.errors import RateLimited
from messaging.policy import messages_window

sender, attempts = sys.argv[1], int(sys.argv[2])
window = messages_window()
window.state(sender)  # connected before the start signal, so both start together
ready = {"rate": str(settings.RATE_MESSAGES), "cache": settings.CACHES["default"]["BACKEND"]}
print(json.dumps(ready), flush=True)
sys.stdin.readline()
results = []
for _ in range(attempts):
    try:
        window.acquire(sender)
        results.append({"admitted": True})
    except RateLimited as error:
        results.append({"admitted": False, "retry_after": error.retry_after})
print(json.dumps({"pid": os.getpid(), "results": results}), flush=True)
"""


@pytest.fixture
def sender() -> str:
    """A sender id of nobody else's, its window empty before and after the test."""
    if not settings.REDIS_URL:
        pytest.skip(
            "REDIS_URL is not set: sharing a rate limit across processes needs Redis "
            "(the local-memory cache is per process)"
        )
    key = str(10**15 + uuid.uuid4().int % 10**15)
    _clean(key)
    yield key
    _clean(key)


def _clean(key: str) -> None:
    """Delete the window's keys under the session's prefix, however the window stored them."""
    messages_window().reset(key)
    client = get_redis_connection("default")
    for name in client.scan_iter(match=f"*ratelimit:dm_messages:{key}"):
        client.delete(name)
    assert not list(client.scan_iter(match=f"*ratelimit:dm_messages:{key}"))


class Sender:
    """One OS process that will try `attempts` sends as `sender` when told to go."""

    def __init__(self, sender: str, attempts: int):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dmsite.settings",
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
            "RATE_MESSAGES": RATE,
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CHILD, sender, str(attempts)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ready = json.loads(self._line())
        assert self.ready == {"rate": RATE, "cache": "django_redis.cache.RedisCache"}

    def go(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def results(self) -> list[dict]:
        out, err = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["pid"] != os.getpid()
        return report["results"]

    def _line(self, timeout: float = 60) -> str:
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if readable else ""
        if not line:
            self.process.kill()
            _, err = self.process.communicate()
            pytest.fail(f"the sender process did not start: {err}")
        return line


def admitted(results: list[dict]) -> int:
    return sum(result["admitted"] for result in results)


def test_a_second_process_sees_what_the_first_admitted(sender):
    first = Sender(sender, 3)
    first.go()
    assert admitted(first.results()) == 3
    assert len(messages_window().state(sender).members) == 3  # this process sees them too

    second = Sender(sender, 3)
    second.go()
    results = second.results()
    assert [result["admitted"] for result in results] == [True, True, False]
    assert results[2]["retry_after"] > 0
    assert results[2]["retry_after"] <= 60


def test_two_processes_at_once_admit_exactly_the_limit(sender):
    senders = [Sender(sender, 5), Sender(sender, 5)]  # both connected and waiting
    for process in senders:
        process.go()
    results = [process.results() for process in senders]

    assert admitted(results[0]) + admitted(results[1]) == 5
    refused = [result for each in results for result in each if not result["admitted"]]
    assert len(refused) == 5
    assert all(0 < result["retry_after"] <= 60 for result in refused)
    assert len(messages_window().state(sender).members) == 5
