# ruff: noqa: F811 (the socket fixtures of test_consumers, used by name)
"""Groups over the `/ws/` socket (SPEC sections 6 and 9).

`message.new` reaches every member's sockets exactly once, typing every other
member, blocks give placeholders, `conversation.updated` tells of changes, a
removed member hears nothing more, `sync` is exact within each member's window.
"""

import pytest
from channels.db import database_sync_to_async

from messaging import groups, services
from messaging.models import Conversation, Participant
from tests.conftest import years_ago
from tests.messaging.test_consumers import (  # noqa: F401 (fixtures)
    ask,
    assert_quiet,
    block,
    connect,
    error,
    friends,
    make_users,
    message_json,
    receive,
    rest,
    sockets,
    update_privacy,
)
from tests.messaging.test_consumers import befriend as befriend_async

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_group(owner, *members, title="") -> int:
    participant = groups.group_create(
        creator=owner, usernames=[member.username for member in members], title=title
    )
    return participant.conversation_id


@database_sync_to_async
def group_send(sender, group_id: int, body: str = "hello"):
    message, created = services.message_send(
        sender=sender, conversation=Conversation.objects.get(pk=group_id), body=body
    )
    assert created
    return message


@database_sync_to_async
def remove(actor, group_id: int, username: str) -> None:
    groups.group_member_remove(actor=actor, conversation_id=group_id, username=username)


@database_sync_to_async
def unread(user, group_id: int) -> int:
    return Participant.objects.get(user=user, conversation_id=group_id).unread_count


async def friends_in_a_group(*names):
    users = await friends(*names)
    return users, await make_group(users[0], *users[1:])


def group_side(group_id: int, *, unread: int = 0, title: str = "") -> dict:
    return {
        "id": group_id,
        "kind": "group",
        "title": title,
        "folder": "inbox",
        "unread_count": unread,
    }


async def test_a_group_message_reaches_every_members_sockets_once(connect):
    (ann, bob, cat), group_id = await friends_in_a_group("ann", "bob", "cat")
    ann_1, ann_2, bob_1, cat_1 = (
        await connect(ann),
        await connect(ann),
        await connect(bob),
        await connect(cat),
    )
    ack = await ask(
        bob_1,
        {"type": "message.send", "conversation": group_id, "body": "hi all", "client_id": "g1"},
    )
    message = ack["message"]
    assert (message["kind"], message["sender"], message["body"], message["seq"]) == (
        "text",
        "bob",
        "hi all",
        3,
    )
    assert message == await message_json(message["id"])
    for socket, unread_count in ((ann_1, 1), (ann_2, 1), (cat_1, 1), (bob_1, 0)):
        assert await receive(socket) == {
            "type": "message.new",
            "message": message,
            "conversation": group_side(group_id, unread=unread_count),
        }
    await assert_quiet(ann_1, ann_2, bob_1, cat_1)
    assert await unread(ann, group_id) == 1


async def test_typing_reaches_every_other_member_but_never_crosses_a_block(connect):
    (ann, bob, cat), group_id = await friends_in_a_group("ann", "bob", "cat")
    ann_1, bob_1, cat_1 = await connect(ann), await connect(bob), await connect(cat)
    await cat_1.send_json_to({"type": "typing", "conversation": group_id})
    for socket in (ann_1, bob_1):
        assert await receive(socket) == {"type": "typing", "conversation": group_id, "user": "cat"}
    await assert_quiet(ann_1, bob_1, cat_1)

    await block(ann, cat)
    await cat_1.send_json_to({"type": "typing", "conversation": group_id})
    assert await receive(bob_1) == {"type": "typing", "conversation": group_id, "user": "cat"}
    await ann_1.send_json_to({"type": "typing", "conversation": group_id})
    assert await receive(bob_1) == {"type": "typing", "conversation": group_id, "user": "ann"}
    await assert_quiet(ann_1, bob_1, cat_1)


async def test_a_blocked_members_message_is_a_placeholder_for_the_blocker(connect):
    (ann, bob, cat), group_id = await friends_in_a_group("ann", "bob", "cat")
    await block(ann, cat)
    ann_1, bob_1 = await connect(ann), await connect(bob)
    sent = await group_send(cat, group_id, "secret")
    full = await message_json(sent.pk)
    assert (await receive(bob_1))["message"] == full
    frame = await receive(ann_1)
    assert frame["message"] == {**full, "body": "", "attachments": [], "blocked": True}
    assert frame["conversation"]["unread_count"] == 0
    # sync says the same.
    await ann_1.send_json_to({"type": "sync", "after": sent.pk - 1})
    assert (await receive(ann_1))["messages"] == [frame["message"]]
    assert (await receive(ann_1))["type"] == "sync.done"


async def test_a_removed_member_hears_of_it_once_then_nothing(connect):
    (ann, bob, cat), group_id = await friends_in_a_group("ann", "bob", "cat")
    ann_1, bob_1, cat_1 = await connect(ann), await connect(bob), await connect(cat)
    await remove(ann, group_id, "cat")

    updated = await receive(cat_1)
    assert updated["type"] == "conversation.updated"
    assert (updated["conversation"]["id"], updated["conversation"]["state"]) == (group_id, "left")
    assert [m["username"] for m in updated["conversation"]["members"]] == ["ann", "bob"]
    for socket in (ann_1, bob_1):
        line = await receive(socket)
        assert (line["type"], line["message"]["kind"], line["message"]["body"]) == (
            "message.new",
            "system",
            "ann removed cat",
        )
        frame = await receive(socket)
        assert frame["type"] == "conversation.updated"
        assert (frame["conversation"]["member_count"], frame["conversation"]["state"]) == (
            2,
            "member",
        )
    await assert_quiet(ann_1, bob_1, cat_1)

    await group_send(bob, group_id, "after cat")
    await bob_1.send_json_to({"type": "typing", "conversation": group_id})
    assert (await receive(ann_1))["type"] == "message.new"
    assert (await receive(bob_1))["type"] == "message.new"
    assert (await receive(ann_1))["type"] == "typing"
    await assert_quiet(cat_1)

    # Her old socket can neither send nor type there.
    answer = await ask(
        cat_1, {"type": "message.send", "conversation": group_id, "body": "hey", "client_id": "x"}
    )
    assert answer == error("not_found", "Not found.", client_id="x")
    answer = await ask(cat_1, {"type": "typing", "conversation": group_id})
    assert answer == error("not_found", "No such conversation.")
    await assert_quiet(ann_1, bob_1)

    # Her sync stops at her removal.
    await cat_1.send_json_to({"type": "sync", "after": 0})
    batch = await receive(cat_1)
    assert [m["body"] for m in batch["messages"]] == [
        "ann created the group",
        "ann added bob and cat",
        "ann removed cat",
    ]
    assert (await receive(cat_1))["type"] == "sync.done"


async def test_renames_and_joins_are_announced(connect):
    (ann, bob, _cat), group_id = await friends_in_a_group("ann", "bob", "cat")
    dan = (await make_users("dan"))[0]
    await befriend_async(bob, dan)
    ann_1, dan_1 = await connect(ann), await connect(dan)

    response = await rest(bob, "patch", f"/api/v1/conversations/{group_id}", {"title": "Ski"})
    assert response.status_code == 200
    line = await receive(ann_1)
    assert (line["message"]["body"], line["conversation"]["title"]) == (
        'bob named the group "Ski"',
        "Ski",
    )
    updated = await receive(ann_1)
    assert (updated["type"], updated["conversation"]["title"]) == ("conversation.updated", "Ski")
    await assert_quiet(dan_1)

    response = await rest(
        bob, "post", f"/api/v1/conversations/{group_id}/members", {"usernames": ["dan"]}
    )
    assert response.status_code == 200
    for socket in (ann_1, dan_1):
        line = await receive(socket)
        assert line["message"]["body"] == "bob added dan"
        updated = await receive(socket)
        assert updated["conversation"]["member_count"] == 4
    await assert_quiet(ann_1, dan_1)


async def test_an_invitee_gets_the_invitation_but_no_messages_until_joining(connect):
    ann, bob = await friends("ann", "bob")
    teen = (await make_users("tia", date_of_birth=years_ago(17)))[0]
    await befriend_async(ann, teen)
    await update_privacy(teen, dm_preference="friends")
    tia_1 = await connect(teen)
    group_id = await make_group(ann, bob, teen)

    invitation = await receive(tia_1)
    assert invitation["type"] == "conversation.updated"
    assert (invitation["conversation"]["folder"], invitation["conversation"]["state"]) == (
        "requests",
        "invited",
    )
    await group_send(bob, group_id, "before tia")
    await assert_quiet(tia_1)
    await tia_1.send_json_to({"type": "sync", "after": 0})
    assert (await receive(tia_1))["type"] == "sync.done"  # no batch: nothing to see

    response = await rest(teen, "post", f"/api/v1/conversations/{group_id}/accept")
    assert response.status_code == 200
    line = await receive(tia_1)
    assert line["message"]["body"] == "tia joined"
    assert (await receive(tia_1))["conversation"]["state"] == "member"
    await group_send(bob, group_id, "welcome")
    assert (await receive(tia_1))["message"]["body"] == "welcome"


async def test_no_read_receipts_in_groups(connect):
    (ann, bob, cat), group_id = await friends_in_a_group("ann", "bob", "cat")
    for user in (ann, bob, cat):
        await update_privacy(user, read_receipts=True)
    sent = await group_send(ann, group_id, "read me")
    ann_1, bob_1 = await connect(ann), await connect(bob)
    await bob_1.send_json_to({"type": "read", "conversation": group_id, "up_to": sent.pk})
    mine = await receive(bob_1)
    assert (mine["type"], mine["unread_count"]) == ("read", 0)
    await assert_quiet(ann_1)
    history = await rest(ann, "get", f"/api/v1/conversations/{group_id}/messages")
    assert all("seen" not in message for message in history.json()["results"])
