"""Finding 1 and 7: a socket lives only as long as its credential, and sockets are bounded.

Log-out (token or session), `DELETE me`, a moderator's deactivation, a password
change and revoking one device close, at once and server-side, exactly the sockets
of the credentials that ended; a frame that races the close is not served.
`WS_MAX_SOCKETS_PER_USER` closes the oldest socket past the cap; `RATE_WS_SYNC`
bounds what `sync` sends one socket per window.
"""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import DeviceToken, User
from accounts.tokens import token_create
from dmsite.env import Rate
from moderation.services import user_deactivate_by_moderator
from tests.factories import PASSWORD, UserFactory
from tests.messaging.test_consumers import (  # noqa: F401 (fixtures)
    ALLOWED_ORIGIN,
    TIMEOUT,
    ask,
    assert_usable,
    friends,
    receive,
    send_many,
    sockets,
)

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_UNAUTHENTICATED = {"type": "websocket.close", "code": 4401}
CLOSED_REPLACED = {"type": "websocket.close", "code": 4409}


@database_sync_to_async
def new_device(user: User) -> str:
    return token_create(user=user, name="test device")[1]


@database_sync_to_async
def browser_session(user: User) -> tuple[Client, str]:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    name = django_settings.SESSION_COOKIE_NAME
    return client, f"{name}={client.cookies[name].value}"


def api_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@database_sync_to_async
def call(function, *args, **kwargs):
    return function(*args, **kwargs)


async def token_socket(sockets, key: str):  # noqa: F811
    socket, connected = await sockets(f"/ws/?token={key}")
    assert connected
    await assert_usable(socket)
    return socket


async def session_socket(sockets, cookie: str):  # noqa: F811
    socket, connected = await sockets(
        "/ws/", headers=[(b"cookie", cookie.encode()), ALLOWED_ORIGIN]
    )
    assert connected
    await assert_usable(socket)
    return socket


async def closed(socket, expected=CLOSED_UNAUTHENTICATED) -> None:
    assert await socket.receive_output(timeout=TIMEOUT) == expected


async def test_logout_closes_that_tokens_sockets_only(sockets):  # noqa: F811
    (alice, _bob) = await friends("alice", "bob")
    phone, laptop = await new_device(alice), await new_device(alice)
    phone_socket, laptop_socket = (
        await token_socket(sockets, phone),
        await token_socket(sockets, laptop),
    )

    response = await call(api_with(phone).post, "/api/v1/auth/logout")

    assert response.status_code == 204
    await closed(phone_socket)
    await assert_usable(laptop_socket)  # the other device goes on
    assert (await call(api_with(laptop).get, "/api/v1/me")).status_code == 200


async def test_html_logout_closes_that_sessions_sockets_only(sockets):  # noqa: F811
    alice, _bob = await friends("alice", "bob")
    browser, cookie = await browser_session(alice)
    _, other_cookie = await browser_session(alice)
    key = await new_device(alice)
    socket = await session_socket(sockets, cookie)
    other_tab = await session_socket(sockets, other_cookie)
    app = await token_socket(sockets, key)

    response = await call(browser.post, "/logout")

    assert response.status_code == 302
    await closed(socket)
    await assert_usable(other_tab)
    await assert_usable(app)


@pytest.mark.parametrize("how", ["delete_me", "moderator"])
async def test_deactivation_closes_every_socket_of_the_user(sockets, how):  # noqa: F811
    alice, bob = await friends("alice", "bob")
    key = await new_device(alice)
    _, cookie = await browser_session(alice)
    app, tab = await token_socket(sockets, key), await session_socket(sockets, cookie)
    bobs = await token_socket(sockets, await new_device(bob))

    if how == "delete_me":
        response = await call(
            api_with(key).delete, "/api/v1/me", {"password": PASSWORD}, format="json"
        )
        assert response.status_code == 204
    else:
        moderator = await call(UserFactory, username="mod", is_staff=True)
        await call(user_deactivate_by_moderator, user=alice, moderator=moderator, reason="spam")

    await closed(app)
    await closed(tab)
    await assert_usable(bobs)


async def test_password_change_closes_every_other_socket_and_token(sockets):  # noqa: F811
    alice, _bob = await friends("alice", "bob")
    current, other = await new_device(alice), await new_device(alice)
    _, cookie = await browser_session(alice)
    mine = await token_socket(sockets, current)
    others = [await token_socket(sockets, other), await session_socket(sockets, cookie)]

    response = await call(
        api_with(current).post,
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": "a-new-long-secret-7"},
        format="json",
    )

    assert response.status_code == 204
    for socket in others:
        await closed(socket)
    await assert_usable(mine)
    assert (await call(api_with(other).get, "/api/v1/me")).status_code == 401
    assert (await call(api_with(current).get, "/api/v1/me")).status_code == 200


async def test_no_frame_is_served_once_the_credential_is_gone(sockets):  # noqa: F811
    """Even if the close notification were lost, the next frame finds the token gone."""
    alice, _bob = await friends("alice", "bob")
    key = await new_device(alice)
    socket = await token_socket(sockets, key)
    await call(lambda: DeviceToken.objects.filter(user=alice).delete())  # no event sent

    await socket.send_json_to({"type": "message.send", "to": "bob", "body": "hi", "client_id": "x"})

    await closed(socket)
    assert await call(lambda: alice.messages_sent.count()) == 0


async def test_revoking_one_device_from_me_sessions_closes_its_sockets(sockets):  # noqa: F811
    alice, _bob = await friends("alice", "bob")
    mine, stolen = await new_device(alice), await new_device(alice)
    stolen_socket = await token_socket(sockets, stolen)
    my_socket = await token_socket(sockets, mine)
    listed = (await call(api_with(mine).get, "/api/v1/me/sessions")).json()
    (stolen_row,) = [row for row in listed if not row["current"]]

    response = await call(api_with(mine).delete, f"/api/v1/me/sessions/{stolen_row['id']}")

    assert response.status_code == 204
    await closed(stolen_socket)
    await assert_usable(my_socket)


async def test_sockets_past_the_cap_close_the_oldest(sockets, settings):  # noqa: F811
    settings.WS_MAX_SOCKETS_PER_USER = 3
    alice, _bob = await friends("alice", "bob")
    key = await new_device(alice)
    opened = [await token_socket(sockets, key) for _ in range(3)]

    newest = await token_socket(sockets, key)

    await closed(opened[0], CLOSED_REPLACED)
    for socket in [*opened[1:], newest]:
        await assert_usable(socket)
    fifth = await token_socket(sockets, key)
    await closed(opened[1], CLOSED_REPLACED)
    await assert_usable(fifth)


async def test_sync_is_bounded_per_socket_per_window(sockets, monkeypatch):  # noqa: F811
    from messaging import consumers

    alice, bob = await friends("alice", "bob")
    await send_many([(bob, alice)] * 30)
    monkeypatch.setattr(django_settings, "RATE_WS_SYNC", Rate(25, 60))
    socket = await token_socket(sockets, await new_device(alice))
    assert consumers.SYNC_BATCH_SIZE > 25  # one batch, cut at the window's budget

    await socket.send_json_to({"type": "sync", "after": 0})
    batch = await receive(socket)
    done = await receive(socket)

    assert len(batch["messages"]) == 25
    assert done == {"type": "sync.done", "last_id": batch["messages"][-1]["id"], "has_more": True}
    refused = await ask(socket, {"type": "sync", "after": done["last_id"]})
    assert refused["type"] == "error"
    assert refused["code"] == "rate_limited"
    assert refused["retry_after"] >= 1
    # Another socket of the same user has its own budget.
    other = await token_socket(sockets, await new_device(alice))
    await other.send_json_to({"type": "sync", "after": done["last_id"]})
    assert len((await receive(other))["messages"]) == 5
