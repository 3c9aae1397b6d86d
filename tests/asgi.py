"""Calling the real ASGI application as Daphne does, the body fed chunk by chunk.

The chunks come from an iterable, so a test never holds a large body either; the
count of chunks the application took tells how much of a body was read.
"""

import asyncio

from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from dmsite.asgi import application


def asgi_request(path: str, chunks, *, headers=(), method: str = "POST") -> tuple[int, bytes, int]:
    """(status, answer body, chunks the application took from the client)."""
    read, finished, sent = 0, False, []
    chunks = iter(chunks)

    async def receive():
        nonlocal read, finished
        if finished:  # the client stays connected until the answer is sent
            await asyncio.Event().wait()
        chunk = next(chunks, None)
        if chunk is None:
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",  # the app was built with production redirects on
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "server": ("localhost", 443),
        "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"localhost"), *headers],
    }
    # As Django's test client does: the test's own database connection stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(application)(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    starts = [message for message in sent if message["type"] == "http.response.start"]
    assert len(starts) == 1, sent  # exactly one answer, never two
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return starts[0]["status"], body, read
