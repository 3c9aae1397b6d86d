"""Too-large uploads are refused without the body ever being held in memory.

The request goes through the real ASGI application (as Daphne calls it), fed chunk by
chunk from a generator, so the test itself never holds the body either.
"""

import tracemalloc

import pytest
from django.conf import settings

from tests.asgi import asgi_request
from tests.factories import token_for

pytestmark = pytest.mark.django_db

CHUNK = 64 * 1024
BOUNDARY = b"memory-test-boundary"


def _multipart_chunks(file_size: int):
    yield (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    block = b"\xab" * CHUNK
    left = file_size
    while left > 0:
        yield block[: min(CHUNK, left)]
        left -= CHUNK
    yield b"\r\n--" + BOUNDARY + b"--\r\n"


def _body_length(file_size: int) -> int:
    return sum(len(chunk) for chunk in _multipart_chunks(0)) + file_size


def _post(user, file_size: int) -> tuple[int, bytes, int]:
    """POST an upload of `file_size` bytes; (status, body, chunks the server read)."""
    return asgi_request(
        "/api/v1/attachments",
        _multipart_chunks(file_size),
        headers=[
            (b"authorization", f"Token {token_for(user)}".encode()),
            (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY),
            (b"content-length", str(_body_length(file_size)).encode()),
        ],
    )


def test_a_body_declaring_too_much_is_refused_unread(pair):
    me, _ = pair
    status, body, read = _post(me, settings.MEDIA_MAX_BYTES * 4)
    assert status == 413
    assert b'"file_too_large"' in body
    assert read == 0  # not one byte of the body was taken from the client


def test_one_byte_over_is_refused_while_streaming_in_constant_memory(pair, media_root):
    me, _ = pair
    size = settings.MEDIA_MAX_BYTES + 1  # 25 MiB + 1: within the header's allowance
    tracemalloc.start()
    try:
        status, body, _ = _post(me, size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413
    assert b'"file_too_large"' in body
    # The body streamed to disk: memory stayed a small fraction of its 25 MiB.
    assert peak < 6 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    assert list(media_root.rglob("*.*")) == []
