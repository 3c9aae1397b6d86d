"""On PostgreSQL each HTTP request runs in a thread of its own, reused by later requests.

The handler is called from an event loop as Daphne calls it (no `async_to_sync` above
it). Sequential requests are served by one reused thread, every request's database
connection goes back to the pool when it ends, and parallel requests get threads of
their own.
"""

import asyncio
import threading
import time

import pytest
from django.db import connection

from dmsite.handlers import OneCallASGIHandler
from tests.factories import UserFactory, token_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _scope(token: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/api/v1/me",
        "raw_path": b"/api/v1/me",
        "query_string": b"",
        "server": ("localhost", 443),
        "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"localhost"), (b"authorization", f"Token {token}".encode())],
    }


async def _get(handler: OneCallASGIHandler, token: str) -> int:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await handler(_scope(token), receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def _threads_of(handler: OneCallASGIHandler) -> set:
    return {executor._threads.copy().pop() for executor in handler.idle_threads}


def test_requests_reuse_their_threads_and_give_their_connections_back():
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite every request runs on the one worker thread")
    token = token_for(UserFactory())
    handler = OneCallASGIHandler()

    def lent() -> int:
        stats = connection.pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]

    def lent_settles_at(most: int) -> bool:
        """Whether the connections out of the pool come back to at most `most` (a
        connection the pool is still adding counts as out until it has joined)."""
        deadline = time.monotonic() + 5
        while lent() > most:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    connection.ensure_connection()
    lent_before = lent()  # the test's own, and any a thread of an earlier test kept

    async def one_after_another():
        return [await _get(handler, token) for _ in range(5)]

    assert asyncio.run(one_after_another()) == [200] * 5
    assert len(handler.idle_threads) == 1  # five requests, one thread
    (thread,) = _threads_of(handler)
    assert thread.is_alive()
    assert thread is not threading.current_thread()
    assert lent_settles_at(lent_before)

    async def together():
        return await asyncio.gather(*(_get(handler, token) for _ in range(3)))

    assert asyncio.run(together()) == [200] * 3
    assert len(handler.idle_threads) == 3  # parallel requests had threads of their own
    assert thread in _threads_of(handler)
    assert lent_settles_at(lent_before)
