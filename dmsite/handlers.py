"""Django's HTTP handling for ASGI, served as under WSGI: one request, one thread call.

Django's own `ASGIHandler` runs `request_started`, the middleware chain, the view and
`request_finished` as separate calls between the event loop and a worker thread, and
switches to the loop and back again around every middleware that is only sync
(WhiteNoise) and before the view: five waits on a busy loop per request. Here the
whole request, from `request_started` to `request_finished`, is one call in one
thread, with the middleware in sync mode (as WSGI servers and `runserver` run it);
only reading the body and writing the response happen on the loop. A streaming
response (an export, a media file) is closed after it was sent, as Django does.
Measured on SQLite: REST CPU per send 5.8 -> 3.0 ms (bench/README.md).
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import AsyncToSync, ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import FileResponse
from django.urls import set_script_prefix


class OneCallASGIHandler(ASGIHandler):
    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        # PostgreSQL: a thread per request, as Django does, each borrowing a pooled
        # connection. SQLite has one writer at a time: requests wait their turn on the one
        # worker thread (shared with the sockets' calls) instead of queueing on its lock,
        # and that thread keeps its connection.
        self.one_thread = connections["default"].vendor != "postgresql"
        self.idle_threads: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self.one_thread:
            await self.handle(scope, receive, send)
            return
        if getattr(AsyncToSync.executors, "current", None) is not None:
            # Called from sync code through `async_to_sync` (tests do): as with Django's
            # handler, the request runs in that caller's thread.
            async with ThreadSensitiveContext():
                await self.handle(scope, receive, send)
            return
        # A thread of its own for the request's life, as Django gives it, but reused:
        # starting and joining a new thread per request was 7 % of an API send's CPU.
        thread = self.idle_threads.pop() if self.idle_threads else self._new_thread()
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            self.idle_threads.append(thread)

    @staticmethod
    def _new_thread() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self._serve, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client went away while we answered
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _serve(self, scope, body_file):
        """`request_started`, the request, and (unless it streams) `request_finished`."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # the content is rendered: connections go back now
        return response
