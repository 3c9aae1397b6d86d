"""The ASGI body limit (dmsite/bodylimit.py): refused from Content-Length unread, and
counted while reading when the body has no length (chunked).

Requests go through the real ASGI application, as Daphne calls it, fed chunk by chunk
from a generator, so the test never holds a body either.
"""

import json

import pytest

from dmsite.bodylimit import body_limit
from messaging.models import Message
from tests.asgi import asgi_request
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend

pytestmark = pytest.mark.django_db

CHUNK = 64 * 1024


def call(path: str, chunks, *, headers=()) -> tuple[int, dict, int]:
    status, body, read = asgi_request(path, chunks, headers=headers)
    return status, json.loads(body) if body else {}, read


def blocks(total: int):
    left = total
    while left > 0:
        yield b"x" * min(CHUNK, left)
        left -= CHUNK


@pytest.fixture
def sender():
    me, friend = UserFactory.create_batch(2)
    befriend(me, friend)
    auth = (b"authorization", f"Token {token_for(me)}".encode())
    return me, friend, auth


def assert_too_large(status: int, answer: dict) -> None:
    assert status == 413
    assert answer["code"] == "file_too_large"


def test_the_limits_follow_the_settings(settings):
    settings.MEDIA_MAX_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    assert body_limit("/api/v1/attachments") == 1000 + 64 * 1024
    assert body_limit("/api/v1/me/avatar") == 1000 + 64 * 1024
    assert body_limit("/settings/avatar") == 1000 + 64 * 1024
    assert body_limit("/api/v1/messages") == 2000 + 64 * 1024
    assert body_limit("/login") == 2000 + 64 * 1024


def test_a_json_body_declaring_too_much_is_refused_unread(sender):
    _, _, auth = sender
    length = body_limit("/api/v1/messages") + 1
    status, answer, read = call(
        "/api/v1/messages",
        blocks(length),
        headers=[auth, (b"content-type", b"application/json"), (b"content-length", b"%d" % length)],
    )
    assert_too_large(status, answer)
    assert read == 0


def test_a_chunked_json_body_is_counted_and_cut_at_the_limit(sender):
    me, _, auth = sender
    limit = body_limit("/api/v1/messages")
    status, answer, read = call(
        "/api/v1/messages",
        blocks(50 * 2**20),  # 50 MiB, with no Content-Length
        headers=[auth, (b"content-type", b"application/json")],
    )
    assert_too_large(status, answer)
    assert read == limit // CHUNK + 1  # not one chunk more than the limit needed
    assert not Message.objects.filter(sender=me).exists()


def test_a_chunked_upload_is_cut_at_the_upload_limit(sender, settings):
    settings.MEDIA_MAX_BYTES = 2 * 2**20
    _, _, auth = sender
    limit = body_limit("/api/v1/attachments")
    status, answer, read = call(
        "/api/v1/attachments",
        blocks(40 * 2**20),
        headers=[auth, (b"content-type", b"multipart/form-data; boundary=b")],
    )
    assert_too_large(status, answer)
    assert read == limit // CHUNK + 1


def test_a_body_within_the_limit_is_served_whatever_its_chunks(sender):
    me, friend, auth = sender
    body = json.dumps({"to": friend.username, "body": "hello", "client_id": "c1"}).encode()
    status, answer, read = call(
        "/api/v1/messages",
        [body[:10], body[10:]],
        headers=[
            auth,
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
        ],
    )
    assert status == 201, answer
    assert read == 2
    assert Message.objects.get(sender=me).body == "hello"


def test_a_chunked_body_within_the_limit_reaches_django(sender):
    """Django reads a body without Content-Length as empty: its own 400, not the guard's."""
    _, _, auth = sender
    status, answer, read = call(
        "/api/v1/messages",
        blocks(3 * CHUNK),
        headers=[auth, (b"content-type", b"application/json")],
    )
    assert status == 400
    assert answer["code"] == "invalid"
    assert read == 3


def test_a_declared_body_just_within_the_limit_reaches_django(sender):
    """At the limit the guard lets it through: Django itself answers 400 `invalid`."""
    _, _, auth = sender
    length = body_limit("/api/v1/messages")
    status, answer, read = call(
        "/api/v1/messages",
        blocks(length),
        headers=[auth, (b"content-type", b"application/json"), (b"content-length", b"%d" % length)],
    )
    assert status == 400
    assert answer["code"] == "invalid"
    assert read == -(-length // CHUNK)
