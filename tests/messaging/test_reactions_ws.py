"""Reactions and replies over the socket (SPEC sections 6 and 11)."""

import pytest
from channels.db import database_sync_to_async

from messaging import reactions, services
from messaging.models import Participant, Reaction
from tests.messaging.test_consumers import (
    ask,
    assert_quiet,
    assert_usable,
    befriend,
    block,
    error,
    make_users,
    message_json,
    receive,
    send,
)

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def reaction_rows() -> list[tuple]:
    rows = Reaction.objects.order_by("pk").values_list("message_id", "user__username", "emoji")
    return list(rows)


@database_sync_to_async
def unsend(user, message) -> None:
    services.message_unsend(user=user, message_id=message.pk)


@database_sync_to_async
def react(user, message, emoji: str) -> None:
    reactions.reaction_set(user=user, message_id=message.pk, emoji=emoji)


async def test_a_reaction_reaches_every_socket_of_both_users(connect):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    message = await send(bob, alice, "hi")
    alice_socket, alice_tab, bob_socket = (
        await connect(alice),
        await connect(alice),
        await connect(bob),
    )

    await alice_socket.send_json_to({"type": "reaction", "message": message.pk, "emoji": "👍🏽"})

    expected = {
        "type": "reaction",
        "message": message.pk,
        "conversation": message.conversation_id,
        "user": "alice",
        "emoji": "👍🏽",
    }
    for socket in (alice_socket, alice_tab, bob_socket):
        assert await receive(socket) == expected
    assert await reaction_rows() == [(message.pk, "alice", "👍🏽")]

    await alice_socket.send_json_to({"type": "reaction", "message": message.pk, "emoji": None})

    for socket in (alice_socket, alice_tab, bob_socket):
        assert await receive(socket) == {**expected, "emoji": None}
    assert await reaction_rows() == []
    # The same emoji again, and removing what is not there, change nothing and say nothing.
    await react(alice, message, "🔥")
    for socket in (alice_socket, bob_socket):
        assert (await receive(socket))["emoji"] == "🔥"
    await alice_socket.send_json_to({"type": "reaction", "message": message.pk, "emoji": "🔥"})
    await assert_quiet(alice_socket, bob_socket)


async def test_a_reaction_over_rest_is_pushed_and_shows_in_sync(connect):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    message = await send(bob, alice, "hi")
    bob_socket = await connect(bob)

    await react(alice, message, "❤️")

    assert (await receive(bob_socket))["emoji"] == "❤️"
    batch = await ask(bob_socket, {"type": "sync", "after": 0})
    assert batch["messages"] == [await message_json(message.pk)]
    assert batch["messages"][0]["reactions"] == [{"user": "alice", "emoji": "❤️"}]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param({"emoji": "👍👍"}, "invalid", id="two-emoji"),
        pytest.param({"emoji": "x"}, "invalid", id="letter"),
        pytest.param({"emoji": 1}, "invalid", id="number"),
        pytest.param({"emoji": "\ud800"}, "invalid", id="lone-surrogate"),
        pytest.param({"message": "1"}, "invalid", id="message-as-text"),
        pytest.param({"message": None}, "invalid", id="no-message"),
        pytest.param({"message": 10**30}, "invalid", id="message-huge"),
        pytest.param({"message": 10**9}, "not_found", id="message-unknown"),
    ],
)
async def test_bad_reaction_frames_get_an_error(connect, frame, code):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    message = await send(bob, alice, "hi")
    socket = await connect(alice)

    answer = await ask(socket, {"type": "reaction", "message": message.pk, "emoji": "👍", **frame})

    assert answer["type"] == "error"
    assert answer["code"] == code
    assert await reaction_rows() == []
    await assert_usable(socket)


async def test_a_frame_without_emoji_is_invalid(connect):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    message = await send(bob, alice, "hi")
    socket = await connect(alice)

    answer = await ask(socket, {"type": "reaction", "message": message.pk})

    assert (answer["type"], answer["code"]) == ("error", "invalid")


@pytest.mark.parametrize(("blocker", "code"), [("bob", "not_found"), ("alice", "you_blocked_user")])
async def test_reactions_never_cross_a_block(connect, blocker, code):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    message = await send(bob, alice, "hi")
    await block(*((bob, alice) if blocker == "bob" else (alice, bob)))
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    answer = await ask(alice_socket, {"type": "reaction", "message": message.pk, "emoji": "👍"})

    assert (answer["type"], answer["code"]) == ("error", code)
    await assert_quiet(bob_socket)
    assert await reaction_rows() == []


async def test_an_unsent_message_cannot_be_reacted_to(connect):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    message = await send(bob, alice, "oops")
    await unsend(bob, message)
    socket = await connect(alice)

    answer = await ask(socket, {"type": "reaction", "message": message.pk, "emoji": "👍"})

    assert answer == error("permission_denied", "You can't react to this message.")


async def test_a_reply_over_the_socket_carries_the_quote(connect):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    quoted = await send(bob, alice, "what time?")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await alice_socket.send_json_to(
        {
            "type": "message.send",
            "conversation": quoted.conversation_id,
            "body": "at eight",
            "client_id": "reply-1",
            "reply_to": quoted.pk,
        }
    )

    ack = await receive(alice_socket)
    assert ack["type"] == "message.ack"
    assert ack["message"]["reply_to"] == {
        "id": quoted.pk,
        "seq": quoted.seq,
        "sender": "bob",
        "body": "what time?",
        "unsent": False,
    }
    assert ack["message"] == await message_json(ack["message"]["id"])
    pushed = [await receive(alice_socket), await receive(bob_socket)]
    assert {frame["type"] for frame in pushed} == {"message.new"}
    assert all(frame["message"] == ack["message"] for frame in pushed)


@pytest.mark.parametrize("reply_to", ["1", 10**9, True])
async def test_a_bad_reply_over_the_socket_is_invalid(connect, reply_to):
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    quoted = await send(bob, alice, "hi")
    socket = await connect(alice)

    answer = await ask(
        socket,
        {
            "type": "message.send",
            "conversation": quoted.conversation_id,
            "body": "re",
            "client_id": "bad-reply",
            "reply_to": reply_to,
        },
    )

    assert answer["type"] == "error"
    assert (answer["code"], answer["client_id"]) == ("invalid", "bad-reply")
    await assert_usable(socket)


@database_sync_to_async
def mute(user, conversation_id: int) -> None:
    participant = Participant.objects.get(user=user, conversation_id=conversation_id)
    services.conversation_update(participant=participant, muted=True)


async def test_message_new_says_whether_my_side_is_muted(connect):
    """The page notifies of nothing from a muted chat: the frame tells it, per side."""
    alice, bob = await make_users("alice", "bob")
    await befriend(alice, bob)
    first = await send(bob, alice, "hi")
    await mute(alice, first.conversation_id)
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await send(bob, alice, "still there?")

    assert (await receive(alice_socket))["conversation"]["muted"] is True
    assert (await receive(bob_socket))["conversation"]["muted"] is False
