"""ASGI middleware: a request body over its limit is refused before the app holds it.

Django's ASGI handler reads a whole body (to memory, then a temporary file) before any
view runs, so a limit decided in a view comes after the client sent everything. Here:

- a `Content-Length` over the limit is answered 413 at once, the body never read;
- a body without one (chunked) is counted while Django reads it: at the limit the 413
  goes out and Django is told the client left, so it stops reading.

Uploads (`POST attachments`, `PUT me/avatar`, the profile page's photo form) may carry
MEDIA_MAX_BYTES plus the multipart framing; every other body DATA_UPLOAD_MAX_MEMORY_SIZE
plus the same allowance (Django answers 400 `invalid` past DATA_UPLOAD_MAX_MEMORY_SIZE
itself). Daphne still buffers what the client sends before calling the app, so the
memory bound in production comes from the proxy's `client_max_body_size`
(docs/deploy.md); this guard bounds what reaches Django (disk, memory, time) under any
ASGI server.
"""

import json

from django.conf import settings

from attachments.errors import file_too_large
from attachments.uploads import MULTIPART_OVERHEAD, UPLOAD_PATHS
from dmsite.errors import error_body

PAGE_UPLOAD_PATHS = ("/settings/avatar",)


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    if path in UPLOAD_PATHS or path in PAGE_UPLOAD_PATHS:
        return settings.MEDIA_MAX_BYTES + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + MULTIPART_OVERHEAD


def _declared_length(scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(send, limit: int) -> None:
    error = file_too_large()
    detail = f"The request body is too large: at most {limit} bytes."
    body = json.dumps(error_body(error.code, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(send, limit)

        received = 0
        refused = False

        async def counted_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _refuse(send, limit)
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        return await self.app(scope, counted_receive, guarded_send)
