"""The socket's Origin check compares scheme, host and port, as Django's CSRF check does.

`same_origin` is the check itself (a table of handshakes); the sockets below go through
the whole ASGI application, so a refused Origin is a refused handshake.
"""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from dmsite.asgi import application
from messaging.ws_auth import same_origin
from tests.factories import PASSWORD, UserFactory, token_for

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def scope(origin: str | None, host: str = "localhost", scheme: str = "ws", **headers: str):
    items = [(b"host", host.encode())]
    if origin is not None:
        items.append((b"origin", origin.encode()))
    items += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": items, "path": "/ws/"}


@pytest.mark.parametrize(
    ("handshake", "allowed"),
    [
        (scope("http://localhost"), True),
        (scope("https://localhost"), False),  # wrong scheme
        (scope("http://localhost:8000"), False),  # wrong port
        (scope("http://localhost:8000", host="localhost:8000"), True),
        (scope("http://localhost", host="localhost:8000"), False),  # the port left out
        (scope("http://127.0.0.1"), False),  # another host, allowed or not
        (scope("https://localhost", scheme="wss"), True),
        (scope("http://localhost", scheme="wss"), False),  # a page over http, socket over TLS
        (scope("http://evil.example", host="evil.example"), False),  # not in ALLOWED_HOSTS
        (scope("null"), False),
        (scope(None), False),  # no Origin at all
        # X-Forwarded-Proto means nothing without a trusted proxy (SECURE_PROXY_SSL_HEADER).
        (scope("https://localhost", x_forwarded_proto="https"), False),
    ],
)
def test_same_origin_compares_scheme_host_and_port(handshake, allowed):
    assert same_origin(handshake) is allowed


def test_behind_a_trusted_proxy_x_forwarded_proto_gives_the_scheme(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert same_origin(scope("https://localhost", x_forwarded_proto="https"))
    assert not same_origin(scope("http://localhost", x_forwarded_proto="https"))
    assert same_origin(scope("http://localhost", x_forwarded_proto="http"))


def test_csrf_trusted_origins_are_trusted_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    assert same_origin(scope("https://app.example.com"))
    assert not same_origin(scope("http://app.example.com"))
    assert not same_origin(scope("https://app.example.com:8443"))


def _session_cookie(user) -> str:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def _connects(path: str, headers: list, scheme: str = "ws") -> bool:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["scheme"] = scheme  # the application has not started yet
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    await communicator.disconnect(timeout=TIMEOUT)
    return connected


@pytest.mark.parametrize(
    ("origin", "scheme", "connects"),
    [
        (b"http://localhost", "ws", True),
        (b"https://localhost", "ws", False),
        (b"http://localhost:8000", "ws", False),
        (b"https://localhost", "wss", True),
        (b"http://localhost", "wss", False),
    ],
)
async def test_a_cookie_socket_connects_only_from_its_own_origin(origin, scheme, connects):
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)
    headers = [(b"host", b"localhost"), (b"cookie", cookie.encode()), (b"origin", origin)]
    assert await _connects("/ws/", headers, scheme) is connects


async def test_a_token_socket_with_a_wrong_port_or_scheme_is_refused():
    user = await database_sync_to_async(UserFactory)()
    path = f"/ws/?token={await database_sync_to_async(token_for)(user)}"
    host = (b"host", b"localhost")
    assert await _connects(path, [host])  # no Origin: an app client with its token
    assert await _connects(path, [host, (b"origin", b"http://localhost")])
    assert not await _connects(path, [host, (b"origin", b"http://localhost:9999")])
    assert not await _connects(path, [host, (b"origin", b"https://localhost")])


async def test_a_cookie_socket_without_origin_is_refused():
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)
    assert not await _connects("/ws/", [(b"host", b"localhost"), (b"cookie", cookie.encode())])
