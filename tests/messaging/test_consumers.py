"""The `/ws/` socket (SPEC section 6): authentication, every frame, every error, isolation.

Sockets talk to `dmsite.asgi.application` through `WebsocketCommunicator`; state is
built through the real services. Events leave on commit, hence transactional tests.
"""

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from dmsite.asgi import application
from dmsite.env import Rate
from messaging import consumers, services
from messaging.errors import (
    AgeRestricted,
    CannotMessageSelf,
    EmptyMessage,
    PhoneRequired,
    RecipientNotAccepting,
    RequestPending,
)
from messaging.models import Message, Participant
from messaging.selectors import MAX_DB_ID
from privacy import services as privacy_services
from privacy.errors import YouBlockedUser
from privacy.models import DmPreference
from tests.conftest import years_ago
from tests.factories import PASSWORD, UserFactory
from tests.factories import token_for as new_token

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3  # seconds to wait for a frame that must come (Redis adds a round trip)
QUIET = 0.3  # seconds of silence that show a frame did not come
HOST = (b"host", b"localhost")
ALLOWED_ORIGIN = (b"origin", b"http://localhost")

# A valid frame with a known answer: shows the socket still works after an error.
PROBE = {"type": "sync", "after": MAX_DB_ID}
PROBE_ANSWER = {"type": "sync.done", "last_id": MAX_DB_ID, "has_more": False}


# Sockets ------------------------------------------------------------------------------


@pytest.fixture
async def sockets():
    """Opens sockets to the ASGI application; every one is disconnected at the end."""
    opened: list[WebsocketCommunicator] = []

    async def open_socket(path: str = "/ws/", headers=()) -> tuple[WebsocketCommunicator, bool]:
        headers = list(headers)
        if not any(name == b"host" for name, _ in headers):
            headers.insert(0, HOST)  # as every real server's handshake has
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        return communicator, connected

    yield open_socket
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


@pytest.fixture
def connect(sockets):
    """An authenticated socket of `user`, by `?token=` as an app client connects."""

    async def open_for(user: User) -> WebsocketCommunicator:
        communicator, connected = await sockets(f"/ws/?token={await token_for(user)}")
        assert connected
        return communicator

    return open_for


async def receive(communicator: WebsocketCommunicator) -> dict:
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def ask(communicator: WebsocketCommunicator, frame: dict) -> dict:
    """Send one frame and return the first frame that comes back."""
    await communicator.send_json_to(frame)
    return await receive(communicator)


async def assert_usable(communicator: WebsocketCommunicator) -> None:
    assert await ask(communicator, PROBE) == PROBE_ANSWER


async def assert_closed_unauthenticated(communicator: WebsocketCommunicator) -> None:
    closing = await communicator.receive_output(timeout=TIMEOUT)
    assert closing == {"type": "websocket.close", "code": 4401}


async def assert_quiet(*communicators: WebsocketCommunicator) -> None:
    """None of these sockets receives anything for QUIET seconds (watched together)."""
    silent = await asyncio.gather(
        *(communicator.receive_nothing(timeout=QUIET) for communicator in communicators)
    )
    assert all(silent), silent


def error(code: str, detail: str, **extra) -> dict:
    return {"type": "error", "code": code, "detail": detail, **extra}


# State through the real services --------------------------------------------------------


@database_sync_to_async
def make_users(*usernames: str, **fields) -> list[User]:
    return [UserFactory(username=username, **fields) for username in usernames]


@database_sync_to_async
def token_for(user: User) -> str:
    return new_token(user)


@database_sync_to_async
def befriend(a: User, b: User) -> None:
    privacy_services.follow_create(follower=a, followee=b)
    privacy_services.follow_create(follower=b, followee=a)


@database_sync_to_async
def block(blocker: User, blocked: User) -> None:
    privacy_services.block_create(blocker=blocker, blocked=blocked)


@database_sync_to_async
def update_privacy(user: User, **changes) -> None:
    privacy_services.privacy_settings_update(user=user, **changes)


@database_sync_to_async
def send(sender: User, recipient: User, body: str = "hello") -> Message:
    message, created = services.message_send(sender=sender, recipient=recipient, body=body)
    assert created
    return message


@database_sync_to_async
def send_many(pairs: list[tuple[User, User]]) -> list[int]:
    ids = []
    with transaction.atomic():  # one commit for them all keeps the suite fast
        for number, (sender, recipient) in enumerate(pairs):
            message, _ = services.message_send(
                sender=sender, recipient=recipient, body=f"message {number}"
            )
            ids.append(message.pk)
    return ids


@database_sync_to_async
def open_conversation(user: User, other: User) -> int:
    participant, _ = services.conversation_open(user=user, other=other)
    return participant.conversation_id


@database_sync_to_async
def hide_conversation(user: User, conversation_id: int) -> None:
    services.conversation_hide(
        participant=Participant.objects.get(user=user, conversation_id=conversation_id)
    )


@database_sync_to_async
def rest(user: User, method: str, path: str, data: dict | None = None):
    client = APIClient()
    client.force_authenticate(user)
    return getattr(client, method)(path, data, format="json")


@database_sync_to_async
def suspend(user: User) -> datetime:
    """Suspended for a day (to the minute), with a reason; the end."""
    until = timezone.now().replace(second=0, microsecond=0) + timedelta(days=1)
    User.objects.filter(pk=user.pk).update(
        messaging_suspended_until=until, messaging_suspension_reason="Spam."
    )
    return until


@database_sync_to_async
def message_count() -> int:
    return Message.objects.count()


def _message_json(message_id: int) -> dict:
    """A message as every frame must carry it, read from the database (the truth)."""
    message = Message.objects.select_related("sender", "reply_to__sender").get(pk=message_id)
    quoted = message.reply_to
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "kind": message.kind,
        "sender": message.sender.username,
        "body": message.body,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
        "unsent": message.unsent_at is not None,
        "attachments": [],
        "reply_to": quoted
        and {
            "id": quoted.pk,
            "seq": quoted.seq,
            "sender": quoted.sender.username,
            "body": quoted.body[:100],
            "unsent": quoted.unsent_at is not None,
        },
        "reactions": [
            {"user": username, "emoji": emoji}
            for username, emoji in message.reactions.order_by("id").values_list(
                "user__username", "emoji"
            )
        ],
    }


message_json = database_sync_to_async(_message_json)


@database_sync_to_async
def messages_json(message_ids: list[int]) -> list[dict]:
    return [_message_json(message_id) for message_id in message_ids]


@database_sync_to_async
def last_message_id() -> int:
    return Message.objects.order_by("-pk").values_list("pk", flat=True).first()


def side(
    conversation_id: int,
    other: User,
    *,
    folder: str = "inbox",
    unread: int = 0,
    muted: bool = False,
) -> dict:
    """The `conversation` of a `message.new` frame as one participant sees it."""
    return {
        "id": conversation_id,
        "folder": folder,
        "unread_count": unread,
        "muted": muted,
        "other_user": {
            "username": other.username,
            "display_name": other.display_name,
            "avatar_url": None,
        },
    }


async def friends(*usernames: str) -> list[User]:
    users = await make_users(*usernames)
    for index, user in enumerate(users):
        for other in users[index + 1 :]:
            await befriend(user, other)
    return users


# Authentication -----------------------------------------------------------------------


async def test_token_authenticates_without_origin(sockets):
    alice, _bob = await friends("alice", "bob")
    socket, connected = await sockets(f"/ws/?token={await token_for(alice)}")
    assert connected

    ack = await ask(socket, {"type": "message.send", "to": "bob", "body": "hi", "client_id": "a1"})

    assert ack["type"] == "message.ack"
    assert ack["message"]["sender"] == "alice"


async def test_token_authenticates_with_an_allowed_origin(sockets):
    alice, _bob = await friends("alice", "bob")
    path = f"/ws/?token={await token_for(alice)}"
    socket, connected = await sockets(path, headers=[ALLOWED_ORIGIN])
    assert connected

    ack = await ask(socket, {"type": "message.send", "to": "bob", "body": "hi", "client_id": "a1"})

    assert ack["type"] == "message.ack"
    assert ack["message"]["sender"] == "alice"


async def test_session_cookie_with_an_allowed_origin_authenticates(sockets):
    alice, _bob = await friends("alice", "bob")
    session = await database_sync_to_async(_session_cookie)(alice)
    socket, connected = await sockets(
        "/ws/", headers=[(b"cookie", session.encode()), ALLOWED_ORIGIN]
    )
    assert connected

    ack = await ask(socket, {"type": "message.send", "to": "bob", "body": "hi", "client_id": "a1"})

    assert ack["type"] == "message.ack"
    assert ack["message"]["sender"] == "alice"


def _session_cookie(user: User) -> str:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def test_anonymous_socket_is_closed_with_4401(sockets):
    socket, accepted = await sockets("/ws/", headers=[ALLOWED_ORIGIN])
    assert accepted  # accepted first, so that the client sees the close code
    await assert_closed_unauthenticated(socket)


async def test_bad_token_is_closed_with_4401(sockets):
    (alice,) = await make_users("alice")
    await token_for(alice)  # a real token exists; none of these is it
    for token in ("nope", "0" * 40, "%00", "a" * 1000, "%ED%A0%80", "%FF", "a%00b"):
        socket, accepted = await sockets(f"/ws/?token={token}")
        assert accepted, token
        await assert_closed_unauthenticated(socket)


async def test_inactive_users_token_is_closed_with_4401(sockets):
    (alice,) = await make_users("alice", is_active=False)
    socket, accepted = await sockets(f"/ws/?token={await token_for(alice)}")
    assert accepted
    await assert_closed_unauthenticated(socket)


async def test_foreign_origin_is_refused_even_with_a_token(sockets):
    (alice,) = await make_users("alice")
    path = f"/ws/?token={await token_for(alice)}"
    for origin in (b"http://evil.example", b"null", b"http://localhost.evil.example"):
        _, connected = await sockets(path, headers=[(b"origin", origin)])
        assert not connected, origin


async def test_session_cookie_from_a_foreign_origin_is_refused(sockets):
    (alice,) = await make_users("alice")
    session = await database_sync_to_async(_session_cookie)(alice)
    _, connected = await sockets(
        "/ws/", headers=[(b"cookie", session.encode()), (b"origin", b"http://evil.example")]
    )
    assert not connected


async def test_session_cookie_without_origin_is_refused(sockets):
    (alice,) = await make_users("alice")
    session = await database_sync_to_async(_session_cookie)(alice)
    _, connected = await sockets("/ws/", headers=[(b"cookie", session.encode())])
    assert not connected


# message.send and message.new ---------------------------------------------------------


async def test_message_send_by_username_reaches_every_socket_of_both_users(connect):
    alice, bob = await friends("alice", "bob")
    alice_1, alice_2 = await connect(alice), await connect(alice)
    bob_1, bob_2 = await connect(bob), await connect(bob)

    ack = await ask(
        alice_1, {"type": "message.send", "to": "BOB", "body": "  hi bob  ", "client_id": "c-1"}
    )

    message = await message_json(await last_message_id())
    assert message["body"] == "hi bob"
    assert message["seq"] == 1
    assert ack == {"type": "message.ack", "client_id": "c-1", "message": message}
    conversation = message["conversation"]
    for socket in (alice_1, alice_2):
        assert await receive(socket) == {
            "type": "message.new",
            "message": message,
            "conversation": side(conversation, bob),
        }
    for socket in (bob_1, bob_2):
        assert await receive(socket) == {
            "type": "message.new",
            "message": message,
            "conversation": side(conversation, alice, unread=1),
        }
    await assert_quiet(alice_1, alice_2, bob_1, bob_2)


async def test_message_send_by_conversation_reaches_both_users(connect):
    alice, bob = await friends("alice", "bob")
    conversation = await open_conversation(alice, bob)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    ack = await ask(
        alice_socket,
        {"type": "message.send", "conversation": conversation, "body": "hello", "client_id": "c-2"},
    )

    message = await message_json(await last_message_id())
    assert message["conversation"] == conversation
    assert ack == {"type": "message.ack", "client_id": "c-2", "message": message}
    assert await receive(alice_socket) == {
        "type": "message.new",
        "message": message,
        "conversation": side(conversation, bob),
    }
    assert await receive(bob_socket) == {
        "type": "message.new",
        "message": message,
        "conversation": side(conversation, alice, unread=1),
    }


async def test_message_send_retry_with_the_same_client_id_stores_and_pushes_nothing(connect):
    alice, bob = await friends("alice", "bob")
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    frame = {"type": "message.send", "to": "bob", "body": "once", "client_id": "retry-1"}
    first = await ask(alice_socket, frame)
    await receive(alice_socket)  # message.new
    await receive(bob_socket)  # message.new

    again = await ask(alice_socket, frame)

    assert again == first
    assert await message_count() == 1
    await assert_quiet(alice_socket, bob_socket)


async def test_message_send_without_client_id_acks_with_null(connect):
    alice, _bob = await friends("alice", "bob")
    alice_socket = await connect(alice)

    ack = await ask(alice_socket, {"type": "message.send", "to": "bob", "body": "hi"})

    message = await message_json(await last_message_id())
    assert message["client_id"] == ""
    assert ack == {"type": "message.ack", "client_id": None, "message": message}


async def test_message_request_lands_in_the_requests_folder_of_the_recipient(connect):
    alice, bob = await make_users("alice", "bob")
    await update_privacy(bob, dm_preference=DmPreference.EVERYONE)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    ack = await ask(
        alice_socket, {"type": "message.send", "to": "bob", "body": "hi", "client_id": "r"}
    )

    conversation = ack["message"]["conversation"]
    assert (await receive(bob_socket))["conversation"] == side(
        conversation, alice, folder="requests", unread=1
    )


async def test_message_sent_over_rest_is_pushed_to_both_users(connect):
    alice, bob = await friends("alice", "bob")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    response = await rest(
        alice, "post", "/api/v1/messages", {"to": "bob", "body": "over rest", "client_id": "r-1"}
    )

    assert response.status_code == 201
    message = await message_json(response.json()["id"])
    assert message["body"] == "over rest"
    assert await receive(alice_socket) == {
        "type": "message.new",
        "message": message,
        "conversation": side(message["conversation"], bob),
    }
    assert await receive(bob_socket) == {
        "type": "message.new",
        "message": message,
        "conversation": side(message["conversation"], alice, unread=1),
    }
    await assert_quiet(alice_socket, bob_socket)


async def test_message_sent_over_rest_to_a_conversation_is_pushed_to_both_users(connect):
    alice, bob = await friends("alice", "bob")
    conversation = await open_conversation(bob, alice)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    response = await rest(
        bob, "post", f"/api/v1/conversations/{conversation}/messages", {"body": "yo"}
    )

    assert response.status_code == 201
    message = await message_json(response.json()["id"])
    assert (await receive(alice_socket))["message"] == message
    assert (await receive(bob_socket))["message"] == message


async def test_unsend_over_rest_pushes_message_deleted_to_both_users(connect):
    alice, bob = await friends("alice", "bob")
    message = await send(alice, bob, "oops")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    response = await rest(alice, "delete", f"/api/v1/messages/{message.pk}")

    assert response.status_code == 204
    deleted = {"type": "message.deleted", "id": message.pk, "conversation": message.conversation_id}
    assert await receive(alice_socket) == deleted
    assert await receive(bob_socket) == deleted
    await assert_quiet(alice_socket, bob_socket)


async def test_refused_unsend_pushes_nothing(connect):
    alice, bob = await friends("alice", "bob")
    message = await send(alice, bob, "mine")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    response = await rest(bob, "delete", f"/api/v1/messages/{message.pk}")

    assert response.status_code == 403
    await assert_quiet(alice_socket, bob_socket)


# typing ------------------------------------------------------------------------------


async def test_typing_goes_to_the_other_participant_only(connect):
    alice, bob = await friends("alice", "bob")
    conversation = (await send(alice, bob)).conversation_id
    await send(bob, alice)
    alice_1, alice_2 = await connect(alice), await connect(alice)
    bob_1, bob_2 = await connect(bob), await connect(bob)

    await alice_1.send_json_to({"type": "typing", "conversation": conversation})

    typing = {"type": "typing", "conversation": conversation, "user": "alice"}
    assert await receive(bob_1) == typing
    assert await receive(bob_2) == typing
    await assert_quiet(alice_1, alice_2)

    await bob_2.send_json_to({"type": "typing", "conversation": conversation})

    typing = {"type": "typing", "conversation": conversation, "user": "bob"}
    assert await receive(alice_1) == typing
    assert await receive(alice_2) == typing
    await assert_quiet(bob_1, bob_2)


@pytest.mark.parametrize("blocker", ["alice", "bob"])
async def test_typing_never_crosses_a_block(connect, blocker):
    alice, bob = await friends("alice", "bob")
    conversation = (await send(alice, bob)).conversation_id
    await send(bob, alice)
    await block(*((alice, bob) if blocker == "alice" else (bob, alice)))
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    for typist, watcher in ((alice_socket, bob_socket), (bob_socket, alice_socket)):
        await typist.send_json_to({"type": "typing", "conversation": conversation})
        await assert_usable(typist)  # the typing frame was handled: nothing went out
        await assert_quiet(watcher)


async def test_typing_never_reaches_someone_without_a_side_of_the_conversation(connect):
    alice, bob = await friends("alice", "bob")
    conversation = await open_conversation(alice, bob)  # opening a chat sends nothing
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await alice_socket.send_json_to({"type": "typing", "conversation": conversation})

    await assert_usable(alice_socket)
    await assert_quiet(bob_socket)


async def test_typing_never_reaches_someone_who_deleted_the_conversation(connect):
    alice, bob = await friends("alice", "bob")
    conversation = (await send(alice, bob)).conversation_id
    await hide_conversation(bob, conversation)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await alice_socket.send_json_to({"type": "typing", "conversation": conversation})

    await assert_usable(alice_socket)
    await assert_quiet(bob_socket)


# read --------------------------------------------------------------------------------


async def test_read_updates_my_sockets_and_tells_the_other_side_nothing(connect):
    alice, bob = await friends("alice", "bob")
    first = await send(alice, bob, "one")
    second = await send(alice, bob, "two")
    await send(alice, bob, "three")
    conversation = first.conversation_id
    alice_socket = await connect(alice)
    bob_1, bob_2 = await connect(bob), await connect(bob)

    await bob_1.send_json_to({"type": "read", "conversation": conversation, "up_to": second.pk})

    read = {
        "type": "read",
        "conversation": conversation,
        "up_to": second.pk,
        "unread_count": 1,
        "unread_total": 1,
    }
    assert await receive(bob_1) == read
    assert await receive(bob_2) == read
    await assert_quiet(alice_socket)


async def test_read_never_goes_backwards_and_stops_at_the_last_message(connect):
    alice, bob = await friends("alice", "bob")
    first = await send(alice, bob, "one")
    last = await send(alice, bob, "two")
    conversation = first.conversation_id
    bob_socket = await connect(bob)

    read = await ask(bob_socket, {"type": "read", "conversation": conversation, "up_to": MAX_DB_ID})
    assert read == {
        "type": "read",
        "conversation": conversation,
        "up_to": last.pk,
        "unread_count": 0,
        "unread_total": 0,
    }
    read = await ask(bob_socket, {"type": "read", "conversation": conversation, "up_to": 0})
    assert read["up_to"] == last.pk
    assert read["unread_count"] == 0


@pytest.mark.parametrize(
    ("alice_receipts", "bob_receipts"), [(False, True), (True, False), (True, True)]
)
async def test_read_reaches_the_other_side_only_when_both_turned_receipts_on(
    connect, alice_receipts, bob_receipts
):
    alice, bob = await friends("alice", "bob")
    await update_privacy(alice, read_receipts=alice_receipts)
    await update_privacy(bob, read_receipts=bob_receipts)
    message = await send(alice, bob)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await bob_socket.send_json_to(
        {"type": "read", "conversation": message.conversation_id, "up_to": message.pk}
    )

    assert (await receive(bob_socket))["unread_count"] == 0
    if alice_receipts and bob_receipts:
        assert await receive(alice_socket) == {
            "type": "read",
            "conversation": message.conversation_id,
            "up_to": message.pk,
            "user": "bob",
        }
    await assert_quiet(alice_socket, bob_socket)


# sync --------------------------------------------------------------------------------


async def test_sync_sends_every_visible_message_after_an_id_in_batches(
    connect, settings, monkeypatch
):
    settings.RATE_MESSAGES = Rate(10_000, 60)
    alice, bob, carol, dave = await friends("alice", "bob", "carol", "dave")
    # 250 messages of alice's two conversations, interleaved with others' she must not see.
    pairs = []
    for number in range(250):
        pairs.append([(alice, bob), (bob, alice), (carol, alice)][number % 3])
        if number % 10 == 0:
            pairs.append((carol, dave))
    ids = await send_many(pairs)
    mine = [
        message_id
        for message_id, (sender, recipient) in zip(ids, pairs, strict=True)
        if alice in (sender, recipient)
    ]
    assert len(mine) == 250
    expected = await messages_json(mine)
    alice_socket, dave_socket = await connect(alice), await connect(dave)

    await alice_socket.send_json_to({"type": "sync", "after": 0})

    for batch in (expected[:100], expected[100:200], expected[200:]):
        assert await receive(alice_socket) == {"type": "sync.batch", "messages": batch}
    done = {"type": "sync.done", "last_id": mine[-1], "has_more": False}
    assert await receive(alice_socket) == done

    await alice_socket.send_json_to({"type": "sync", "after": mine[119]})

    assert await receive(alice_socket) == {"type": "sync.batch", "messages": expected[120:220]}
    assert await receive(alice_socket) == {"type": "sync.batch", "messages": expected[220:]}
    assert await receive(alice_socket) == done

    assert await ask(alice_socket, {"type": "sync", "after": mine[-1]}) == done

    # dave sees only his conversation with carol
    theirs = sorted(set(ids) - set(mine))
    assert await ask(dave_socket, {"type": "sync", "after": 0}) == {
        "type": "sync.batch",
        "messages": await messages_json(theirs),
    }
    assert await receive(dave_socket) == {
        "type": "sync.done",
        "last_id": theirs[-1],
        "has_more": False,
    }

    # One `sync` sends at most SYNC_MAX_MESSAGES; the client asks again from `last_id`.
    monkeypatch.setattr(consumers, "SYNC_MAX_MESSAGES", 200)
    await alice_socket.send_json_to({"type": "sync", "after": 0})

    assert await receive(alice_socket) == {"type": "sync.batch", "messages": expected[:100]}
    assert await receive(alice_socket) == {"type": "sync.batch", "messages": expected[100:200]}
    capped = await receive(alice_socket)
    assert capped == {"type": "sync.done", "last_id": mine[199], "has_more": True}

    await alice_socket.send_json_to({"type": "sync", "after": capped["last_id"]})

    assert await receive(alice_socket) == {"type": "sync.batch", "messages": expected[200:]}
    assert await receive(alice_socket) == done


async def test_sync_includes_unsent_messages_as_tombstones(connect):
    alice, bob = await friends("alice", "bob")
    kept = await send(alice, bob, "kept")
    gone = await send(alice, bob, "gone")
    assert (await rest(alice, "delete", f"/api/v1/messages/{gone.pk}")).status_code == 204
    bob_socket = await connect(bob)

    await bob_socket.send_json_to({"type": "sync", "after": 0})

    batch = await receive(bob_socket)
    assert batch == {"type": "sync.batch", "messages": await messages_json([kept.pk, gone.pk])}
    assert batch["messages"][1]["body"] == ""
    assert batch["messages"][1]["unsent"] is True
    assert await receive(bob_socket) == {"type": "sync.done", "last_id": gone.pk, "has_more": False}


async def test_sync_of_a_user_without_conversations_is_empty(connect):
    alice, bob, carol = await friends("alice", "bob", "carol")
    await send(alice, bob)
    carol_socket = await connect(carol)

    assert await ask(carol_socket, {"type": "sync", "after": 0}) == {
        "type": "sync.done",
        "last_id": 0,
        "has_more": False,
    }


# Bad frames --------------------------------------------------------------------------

# (frame, its answer, what is wrong with it)
_INVALID_FRAMES = [
    ("hello", error("invalid", "Frames must be JSON."), "not-json"),
    ("{'type': 'sync'}", error("invalid", "Frames must be JSON."), "python-dict"),
    ("[1, 2]", error("invalid", "Frames must be JSON objects."), "list"),
    ('"sync"', error("invalid", "Frames must be JSON objects."), "string"),
    ("null", error("invalid", "Frames must be JSON objects."), "null"),
    ("[" * 16_000 + "]" * 16_000, error("invalid", "Frames must be JSON."), "deep"),
    (
        '{"type": "sync", "after": ' + "9" * 5_000 + "}",
        error("invalid", "Frames must be JSON."),
        "huge-number",
    ),
    (b'{"type": "sync", "after": 0}', error("invalid", "Send JSON text frames."), "binary"),
    (
        json.dumps({"type": "sync", "after": 0}) + " " * consumers.MAX_FRAME_CHARACTERS,
        error("invalid", "This frame is too large."),
        "too-large",
    ),
    ({}, error("invalid", "Unknown frame type."), "no-type"),
    ({"type": "nope"}, error("invalid", "Unknown frame type."), "unknown-type"),
    (
        {"type": "nope", "client_id": "k-1"},
        error("invalid", "Unknown frame type.", client_id="k-1"),
        "unknown-type-client-id",
    ),
    ({"type": ["sync"]}, error("invalid", "Unknown frame type."), "type-list"),
    ({"type": {"a": 1}}, error("invalid", "Unknown frame type."), "type-object"),
    ({"type": 7}, error("invalid", "Unknown frame type."), "type-number"),
    (
        {"type": "message.send", "to": "bob", "client_id": "k-2"},
        error("invalid", "body: Write a message or attach something.", client_id="k-2"),
        "send-no-body",
    ),
    (
        {"type": "message.send", "body": "hi", "client_id": "k-3"},
        error("invalid", "Give either `to` or `conversation`.", client_id="k-3"),
        "send-no-recipient",
    ),
    (
        {"type": "message.send", "to": "bob", "conversation": 1, "body": "hi", "client_id": "k-4"},
        error("invalid", "Give either `to` or `conversation`.", client_id="k-4"),
        "send-both-recipients",
    ),
    (
        {"type": "message.send", "to": 5, "body": "hi", "client_id": "k-5"},
        error("invalid", "to: Must be a string.", client_id="k-5"),
        "send-to-number",
    ),
    (
        {"type": "message.send", "to": "b\u0000b", "body": "hi"},
        error("invalid", "to: Text must not contain control characters."),
        "send-to-nul",
    ),
    (
        {"type": "message.send", "to": "", "body": "hi"},
        error("invalid", "to: This field may not be blank."),
        "send-to-blank",
    ),
    (
        {"type": "message.send", "to": "b" * 65, "body": "hi"},
        error("invalid", "to: Ensure this field has no more than 64 characters."),
        "send-to-long",
    ),
    (
        {"type": "message.send", "conversation": "1", "body": "hi", "client_id": "k-6"},
        error("invalid", "conversation: Must be a whole number.", client_id="k-6"),
        "send-conversation-string",
    ),
    (
        {"type": "message.send", "conversation": True, "body": "hi"},
        error("invalid", "conversation: Must be a whole number."),
        "send-conversation-bool",
    ),
    (
        {"type": "message.send", "conversation": MAX_DB_ID + 1, "body": "hi"},
        error("invalid", f"conversation: Ensure this value is less than or equal to {MAX_DB_ID}."),
        "send-conversation-huge",
    ),
    (
        {"type": "message.send", "to": "bob", "body": 5, "client_id": "k-7"},
        error("invalid", "The message body must be text.", client_id="k-7"),
        "send-body-number",
    ),
    (
        {"type": "message.send", "to": "bob", "body": ["hi"]},
        error("invalid", "The message body must be text."),
        "send-body-list",
    ),
    (
        {"type": "message.send", "to": "bob", "body": "a\u0000b", "client_id": "k-8"},
        error("invalid", "Text must not contain control characters.", client_id="k-8"),
        "send-body-nul",
    ),
    (
        {"type": "message.send", "to": "bob", "body": "\ud800", "client_id": "k-9"},
        error("invalid", "Text must be valid Unicode.", client_id="k-9"),
        "send-body-surrogate",
    ),
    (
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": 5},
        error("invalid", "client_id must be printable ASCII of at most 64 characters."),
        "send-client-id-number",
    ),
    (
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "k" * 65},
        error(
            "invalid",
            "client_id must be printable ASCII of at most 64 characters.",
            client_id="k" * 65,
        ),
        "send-client-id-long",
    ),
    (
        {"type": "typing"},
        error("invalid", "conversation: This field is required."),
        "typing-no-conversation",
    ),
    (
        {"type": "typing", "conversation": 1.5},
        error("invalid", "conversation: Must be a whole number."),
        "typing-conversation-float",
    ),
    (
        {"type": "typing", "conversation": 0},
        error("invalid", "conversation: Ensure this value is greater than or equal to 1."),
        "typing-conversation-zero",
    ),
    (
        {"type": "read", "conversation": 1},
        error("invalid", "up_to: This field is required."),
        "read-no-up-to",
    ),
    (
        {"type": "read", "conversation": 1, "up_to": -1},
        error("invalid", "up_to: Ensure this value is greater than or equal to 0."),
        "read-up-to-negative",
    ),
    (
        {"type": "read", "conversation": 1, "up_to": "5"},
        error("invalid", "up_to: Must be a whole number."),
        "read-up-to-string",
    ),
    ({"type": "sync"}, error("invalid", "after: This field is required."), "sync-no-after"),
    (
        {"type": "sync", "after": "0"},
        error("invalid", "after: Must be a whole number."),
        "sync-after-string",
    ),
    (
        {"type": "sync", "after": None},
        error("invalid", "after: This field may not be null."),
        "sync-after-null",
    ),
    (
        '{"type": "sync", "after": NaN}',
        error("invalid", "after: Must be a whole number."),
        "sync-after-nan",
    ),
]


async def test_bad_frames_get_an_error_and_the_socket_stays_usable(connect):
    alice, _bob = await friends("alice", "bob")
    for frame, answer, case in _INVALID_FRAMES:
        socket = await connect(alice)  # a fresh socket each time: the flood limit is per socket
        if isinstance(frame, bytes):
            await socket.send_to(bytes_data=frame)
        elif isinstance(frame, str):
            await socket.send_to(text_data=frame)
        else:
            await socket.send_json_to(frame)

        assert await receive(socket) == answer, case
        await assert_usable(socket)
        await socket.disconnect(timeout=TIMEOUT)
    assert await message_count() == 0

    # Sending still works on a socket that has just been answered with an error.
    socket = await connect(alice)
    assert await ask(socket, {"type": "message.send", "body": "hi"}) == error(
        "invalid", "Give either `to` or `conversation`."
    )
    ack = await ask(socket, {"type": "message.send", "to": "bob", "body": "still here"})
    assert ack["type"] == "message.ack"
    assert ack["message"]["body"] == "still here"


async def test_a_frame_of_exactly_the_size_limit_is_read(connect):
    (alice,) = await make_users("alice")
    alice_socket = await connect(alice)
    frame = json.dumps(PROBE)
    frame += " " * (consumers.MAX_FRAME_CHARACTERS - len(frame))

    await alice_socket.send_to(text_data=frame)

    assert await receive(alice_socket) == PROBE_ANSWER


# Policy denials and message errors over the socket -------------------------------------


async def assert_send_refused(socket, frame: dict, answer: dict) -> None:
    """The send is refused with `answer`, stores nothing, and the socket still works."""
    before = await message_count()
    assert await ask(socket, frame) == answer
    assert await message_count() == before
    await assert_usable(socket)


async def test_phone_required(connect):
    (alice,) = await make_users("alice", phone_verified=False)
    (bob,) = await make_users("bob")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await assert_send_refused(
        alice_socket,
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "p-1"},
        error("phone_required", PhoneRequired.default_detail, client_id="p-1"),
    )
    await assert_quiet(bob_socket)


async def test_age_restricted(connect):
    (alice,) = await make_users("alice", date_of_birth=years_ago(15))
    (_bob,) = await make_users("bob")
    alice_socket = await connect(alice)

    await assert_send_refused(
        alice_socket,
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "p-2"},
        error("age_restricted", AgeRestricted.default_detail, client_id="p-2"),
    )


async def test_recipient_not_accepting(connect):
    alice, bob = await make_users("alice", "bob")  # not friends; bob admits friends only
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await assert_send_refused(
        alice_socket,
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "p-3"},
        error("recipient_not_accepting", RecipientNotAccepting.default_detail, client_id="p-3"),
    )
    await assert_quiet(bob_socket)


async def test_request_pending_after_the_request_limit(connect):
    alice, bob = await make_users("alice", "bob")
    await update_privacy(bob, dm_preference=DmPreference.EVERYONE)
    alice_socket = await connect(alice)
    for number in range(django_settings.DM_REQUEST_MAX_MESSAGES):
        frame = {"type": "message.send", "to": "bob", "body": "hi", "client_id": f"q-{number}"}
        assert (await ask(alice_socket, frame))["type"] == "message.ack"
        assert (await receive(alice_socket))["type"] == "message.new"

    await assert_send_refused(
        alice_socket,
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "q-x"},
        error("request_pending", RequestPending.default_detail, client_id="q-x"),
    )


async def test_not_found_for_a_user_who_does_not_exist(connect):
    (alice,) = await make_users("alice")
    await make_users("gone", is_active=False)
    socket = await connect(alice)

    for to in ("nobody", "gone"):
        await assert_send_refused(
            socket,
            {"type": "message.send", "to": to, "body": "hi", "client_id": "n-1"},
            error("not_found", "Not found.", client_id="n-1"),
        )


async def test_not_found_for_someone_who_blocked_me(connect):
    alice, bob = await friends("alice", "bob")
    conversation = (await send(alice, bob)).conversation_id
    await block(bob, alice)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    for frame in (
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "n-2"},
        {"type": "message.send", "conversation": conversation, "body": "hi", "client_id": "n-2"},
    ):
        await assert_send_refused(
            alice_socket, frame, error("not_found", "Not found.", client_id="n-2")
        )
    await assert_quiet(bob_socket)


async def test_you_blocked_user(connect):
    alice, bob = await friends("alice", "bob")
    conversation = (await send(bob, alice)).conversation_id
    await block(alice, bob)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    for frame in (
        {"type": "message.send", "to": "bob", "body": "hi", "client_id": "b-1"},
        {"type": "message.send", "conversation": conversation, "body": "hi", "client_id": "b-1"},
    ):
        await assert_send_refused(
            alice_socket,
            frame,
            error("you_blocked_user", YouBlockedUser.default_detail, client_id="b-1"),
        )
    await assert_quiet(bob_socket)


async def test_cannot_message_self(connect):
    (alice,) = await make_users("alice")
    alice_socket = await connect(alice)

    await assert_send_refused(
        alice_socket,
        {"type": "message.send", "to": "Alice", "body": "me", "client_id": "s-1"},
        error("cannot_message_self", CannotMessageSelf.default_detail, client_id="s-1"),
    )


async def test_rate_limited_with_retry_after(connect, settings):
    settings.RATE_MESSAGES = Rate(2, 60)
    alice, bob = await friends("alice", "bob")
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    for number in range(2):
        frame = {"type": "message.send", "to": "bob", "body": "hi", "client_id": f"l-{number}"}
        assert (await ask(alice_socket, frame))["type"] == "message.ack"
        assert (await receive(alice_socket))["type"] == "message.new"
        assert (await receive(bob_socket))["type"] == "message.new"

    frame = {"type": "message.send", "to": "bob", "body": "hi", "client_id": "l-x"}
    refused = await ask(alice_socket, frame)

    assert 55 <= refused.get("retry_after", 0) <= 60
    assert refused == error(
        "rate_limited",
        "You are doing this too often. Try again later.",
        client_id="l-x",
        retry_after=refused["retry_after"],
    )
    assert await message_count() == 2
    await assert_usable(alice_socket)
    await assert_quiet(bob_socket)


async def test_message_body_errors(connect, settings):
    settings.DM_MAX_LENGTH = 2000
    alice, _bob = await friends("alice", "bob")
    socket = await connect(alice)
    too_long = "Messages can be at most 2000 characters."
    for body, answer in (
        ("", error("empty_message", EmptyMessage.default_detail, client_id="e-1")),
        (" \n\t ", error("empty_message", EmptyMessage.default_detail, client_id="e-1")),
        ("x" * 2001, error("message_too_long", too_long, client_id="e-1")),
        (" " + "x" * 2001, error("message_too_long", too_long, client_id="e-1")),
    ):
        frame = {"type": "message.send", "to": "bob", "body": body, "client_id": "e-1"}
        await assert_send_refused(socket, frame, answer)

    ack = await ask(socket, {"type": "message.send", "to": "bob", "body": " " + "x" * 2000 + " "})
    assert ack["type"] == "message.ack"
    assert ack["message"]["body"] == "x" * 2000


async def test_a_conversation_i_am_not_in_is_not_found_for_every_frame(connect):
    alice, bob, carol = await friends("alice", "bob", "carol")
    conversation = (await send(alice, bob)).conversation_id
    alice_socket, bob_socket, carol_socket = (
        await connect(alice),
        await connect(bob),
        await connect(carol),
    )
    not_found = error("not_found", "No such conversation.")

    await assert_send_refused(
        carol_socket,
        {"type": "message.send", "conversation": conversation, "body": "hi", "client_id": "x-1"},
        {**not_found, "client_id": "x-1"},
    )
    for frame in (
        {"type": "typing", "conversation": conversation},
        {"type": "read", "conversation": conversation, "up_to": MAX_DB_ID},
        {"type": "typing", "conversation": MAX_DB_ID},
        {"type": "read", "conversation": MAX_DB_ID, "up_to": 0},
        {"type": "message.send", "conversation": MAX_DB_ID, "body": "hi"},
    ):
        assert await ask(carol_socket, frame) == not_found
        await assert_usable(carol_socket)
    await assert_quiet(alice_socket, bob_socket)


async def test_suspension_applies_to_an_open_socket_at_once(connect):
    alice, _bob = await friends("alice", "bob")
    alice_socket = await connect(alice)
    frame = {"type": "message.send", "to": "bob", "body": "before", "client_id": "z-1"}
    assert (await ask(alice_socket, frame))["type"] == "message.ack"
    assert (await receive(alice_socket))["type"] == "message.new"

    until = await suspend(alice)  # as a moderator does, while the socket is open

    ends = f"{until.day} {until:%b %Y, %H:%M} UTC"
    await assert_send_refused(
        alice_socket,
        {"type": "message.send", "to": "bob", "body": "after", "client_id": "z-2"},
        error(
            "account_suspended",
            f"Your messaging is suspended until {ends}. Reason: Spam.",
            client_id="z-2",
        ),
    )


async def test_an_idle_socket_stays_open(connect):
    # Longer than the Redis channel layer's blocking pop (5 s), whose read once timed out.
    alice, bob = await friends("alice", "bob")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await asyncio.sleep(6)

    await assert_usable(alice_socket)
    ack = await ask(bob_socket, {"type": "message.send", "to": "alice", "body": "still there?"})
    assert ack["type"] == "message.ack"
    assert (await receive(alice_socket))["message"] == ack["message"]


# Flood --------------------------------------------------------------------------------


async def test_a_flood_of_frames_from_one_socket_is_limited(connect):
    (alice,) = await make_users("alice")
    flooding, other = await connect(alice), await connect(alice)
    for _ in range(django_settings.RATE_SOCKET_FRAMES.count):
        assert await ask(flooding, PROBE) == PROBE_ANSWER

    flooded = error("rate_limited", "Too many frames. Slow down.", retry_after=10)
    assert await ask(flooding, PROBE) == flooded
    await flooding.send_to(bytes_data=b"\x00")
    assert await receive(flooding) == flooded
    assert await ask(other, PROBE) == PROBE_ANSWER  # the limit is per socket


async def test_the_frame_limit_comes_from_rate_socket_frames(connect, settings):
    settings.RATE_SOCKET_FRAMES = Rate(3, 20)
    (alice,) = await make_users("alice")
    socket = await connect(alice)
    for _ in range(3):
        assert await ask(socket, PROBE) == PROBE_ANSWER

    flooded = error("rate_limited", "Too many frames. Slow down.", retry_after=20)
    assert await ask(socket, PROBE) == flooded


async def test_a_flood_of_bad_frames_is_limited_too(connect):
    (alice,) = await make_users("alice")
    for bad_frame in (b"\x00", "not json", "x" * (consumers.MAX_FRAME_CHARACTERS + 1)):
        socket = await connect(alice)
        kind = "bytes_data" if isinstance(bad_frame, bytes) else "text_data"
        for _ in range(django_settings.RATE_SOCKET_FRAMES.count):
            await socket.send_to(**{kind: bad_frame})
            assert (await receive(socket))["code"] == "invalid"

        await socket.send_to(**{kind: bad_frame})

        assert await receive(socket) == error(
            "rate_limited", "Too many frames. Slow down.", retry_after=10
        ), bad_frame[:20]


# Isolation ---------------------------------------------------------------------------


async def test_a_user_never_receives_events_of_a_conversation_they_are_not_in(connect):
    alice, bob, carol = await friends("alice", "bob", "carol")
    await update_privacy(alice, read_receipts=True)
    await update_privacy(bob, read_receipts=True)
    await update_privacy(carol, read_receipts=True)
    await send(carol, alice, "carol and alice have their own conversation")
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    carol_socket = await connect(carol)

    # message.new, sent over the socket
    ack = await ask(
        alice_socket, {"type": "message.send", "to": "bob", "body": "a", "client_id": "i"}
    )
    conversation = ack["message"]["conversation"]
    assert (await receive(alice_socket))["type"] == "message.new"
    assert (await receive(bob_socket))["type"] == "message.new"
    # message.new, sent over REST
    response = await rest(bob, "post", "/api/v1/messages", {"to": "alice", "body": "b"})
    assert response.status_code == 201
    assert (await receive(alice_socket))["type"] == "message.new"
    assert (await receive(bob_socket))["type"] == "message.new"
    # typing, both ways
    await alice_socket.send_json_to({"type": "typing", "conversation": conversation})
    assert (await receive(bob_socket))["type"] == "typing"
    await bob_socket.send_json_to({"type": "typing", "conversation": conversation})
    assert (await receive(alice_socket))["type"] == "typing"
    # read, with receipts on for everyone
    await bob_socket.send_json_to(
        {"type": "read", "conversation": conversation, "up_to": ack["message"]["id"]}
    )
    assert (await receive(bob_socket))["type"] == "read"
    assert (await receive(alice_socket))["type"] == "read"
    # message.deleted
    response = await rest(bob, "delete", f"/api/v1/messages/{response.json()['id']}")
    assert response.status_code == 204
    assert (await receive(alice_socket))["type"] == "message.deleted"
    assert (await receive(bob_socket))["type"] == "message.deleted"

    await assert_quiet(carol_socket, alice_socket, bob_socket)
