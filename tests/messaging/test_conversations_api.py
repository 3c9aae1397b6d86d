"""The conversations rows of SPEC section 5: list, open, get, mute/pin, hide, accept, read."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.services import user_deactivate
from messaging.models import Conversation, Message, Participant
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, ok, refused, send, set_preference, written

pytestmark = pytest.mark.django_db

CONVERSATION_FIELDS = {
    "id",
    "request_context",  # SPEC section 12: null outside requests and filtered
    "kind",
    "other_user",
    "title",
    "members",
    "member_count",
    "folder",
    "last_message",
    "unread_count",
    "muted",
    "pinned",
    "updated_at",
    "can_send",
}


def _inbox(api, folder: str | None = None) -> list[dict]:
    url = "/api/v1/conversations" + (f"?folder={folder}" if folder else "")
    return ok(api.get(url))["results"]


def _unread_total(api) -> int:
    return ok(api.get("/api/v1/me"))["unread_total"]


# List


def test_list_fields(client_for, pair):
    me, friend = pair
    message = send(friend, me, "hey there")

    results = _inbox(client_for(me))

    assert len(results) == 1
    conversation = results[0]
    assert set(conversation) == CONVERSATION_FIELDS
    assert conversation["id"] == message.conversation_id
    assert (conversation["kind"], conversation["title"], conversation["members"]) == (
        "direct",
        None,
        None,
    )
    assert conversation["member_count"] == 2
    assert conversation["other_user"] == {
        "username": friend.username,
        "display_name": friend.display_name,
        "avatar_url": None,
    }
    assert conversation["folder"] == "inbox"
    assert conversation["last_message"]["id"] == message.pk
    assert conversation["last_message"]["body"] == "hey there"
    assert conversation["last_message"]["sender"] == friend.username
    assert conversation["last_message"]["seq"] == 1
    assert (conversation["unread_count"], conversation["muted"], conversation["pinned"]) == (
        1,
        False,
        False,
    )
    assert conversation["updated_at"].endswith("Z")
    assert conversation["can_send"] is True


def test_inbox_is_the_default_folder_and_requests_is_separate(client_for):
    me, friend, stranger = UserFactory.create_batch(3)
    befriend(me, friend)
    set_preference(me, "everyone")
    from_friend = send(friend, me, "friend")
    from_stranger = send(stranger, me, "stranger")
    api = client_for(me)

    inbox = _inbox(api)
    assert [c["id"] for c in inbox] == [from_friend.conversation_id]
    assert [c["id"] for c in _inbox(api, "inbox")] == [from_friend.conversation_id]
    requests = _inbox(api, "requests")
    assert [(c["id"], c["folder"], c["can_send"]) for c in requests] == [
        (from_stranger.conversation_id, "requests", True)  # replying is always possible
    ]
    # The stranger sees their side in their own inbox.
    assert [c["folder"] for c in _inbox(client_for(stranger))] == ["inbox"]


@pytest.mark.parametrize("folder", ["spam", "", "INBOX", "inbox\x00", "requests;drop"])
def test_bad_folder_is_invalid(client_for, pair, folder):
    me, _ = pair

    response = client_for(me).get("/api/v1/conversations", {"folder": folder})

    refused(response, 400, "invalid")


def test_pinned_first_then_newest_activity(client_for):
    me, *others = UserFactory.create_batch(4)
    start = timezone.now()

    def at(minutes: int):
        return time_machine.travel(start + timedelta(minutes=minutes), tick=False)

    for minutes, other in enumerate(others):
        befriend(me, other)
        with at(minutes):
            send(other, me, f"from {other.username}")
    first, second, third = (
        Participant.objects.get(user=me, other=other).conversation_id for other in others
    )
    api = client_for(me)

    def order() -> list[int]:
        results = _inbox(api)
        updated = [c["updated_at"] for c in results if not c["pinned"]]
        assert updated == sorted(updated, reverse=True)
        return [c["id"] for c in results]

    assert order() == [third, second, first]
    with at(5):
        ok(api.patch(f"/api/v1/conversations/{first}", {"pinned": True}, format="json"))
    assert order() == [first, third, second]
    with at(6):
        send(others[1], me, "news")  # new activity moves the conversation up
    assert order() == [first, second, third]
    with at(7):
        send(me, others[2], "mine counts too")  # so does my own message
    assert order() == [first, third, second]
    ok(api.patch(f"/api/v1/conversations/{second}", {"pinned": True}, format="json"))
    assert order() == [second, first, third]  # among the pinned, newest activity first
    ok(api.patch(f"/api/v1/conversations/{second}", {"pinned": False}, format="json"))
    assert order() == [first, third, second]


def test_list_is_cursor_paginated(client_for):
    me, *others = UserFactory.create_batch(6)
    for other in others:
        befriend(me, other)
        send(other, me, "hi")
    api = client_for(me)

    first_page = ok(api.get("/api/v1/conversations", {"limit": 2}))
    seen = [c["id"] for c in first_page["results"]]
    url = first_page["next"]
    while url:
        page = ok(api.get(url))
        seen += [c["id"] for c in page["results"]]
        url = page["next"]

    assert first_page["previous"] is None
    assert seen == [c["id"] for c in _inbox(api)]
    assert sorted(seen) == sorted(
        set(Participant.objects.filter(user=me).values_list("conversation_id", flat=True))
    )


def test_unauthenticated_is_refused(api):
    refused(api.get("/api/v1/conversations"), 401, "not_authenticated")
    refused(
        api.post("/api/v1/messages", {"to": "x", "body": "y"}, format="json"),
        401,
        "not_authenticated",
    )


# Open


def test_open_sends_nothing_and_is_found_again(client_for, pair):
    me, friend = pair
    api = client_for(me)

    created = api.post(
        "/api/v1/conversations", {"username": friend.username.upper()}, format="json"
    )
    again = api.post("/api/v1/conversations", {"username": friend.username}, format="json")

    data = ok(created, 201)
    assert set(data) == CONVERSATION_FIELDS
    assert data["other_user"]["username"] == friend.username
    assert (data["folder"], data["last_message"], data["unread_count"]) == ("inbox", None, 0)
    assert data["can_send"] is True
    assert ok(again)["id"] == data["id"]
    assert Message.objects.count() == 0
    assert Conversation.objects.count() == 1
    assert _inbox(client_for(friend)) == []
    assert _inbox(client_for(friend), "requests") == []
    assert _unread_total(client_for(friend)) == 0
    assert ok(api.get(f"/api/v1/conversations/{data['id']}"))["id"] == data["id"]


def test_open_from_the_other_side_finds_the_same_conversation(client_for, pair):
    me, friend = pair
    message = send(friend, me, "hello")

    response = client_for(me).post(
        "/api/v1/conversations", {"username": friend.username}, format="json"
    )

    data = ok(response)
    assert data["id"] == message.conversation_id
    assert data["unread_count"] == 1


def test_open_with_someone_who_does_not_accept_messages(client_for):
    me, private = UserFactory.create_batch(2)
    set_preference(private, "no_one")

    data = ok(
        client_for(me).post("/api/v1/conversations", {"username": private.username}, format="json"),
        201,
    )

    assert data["can_send"] is False


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("nobody", 404, "not_found"),
        ("{blocked_me}", 404, "not_found"),
        ("{deactivated}", 404, "not_found"),
        ("{me}", 403, "cannot_message_self"),
        (7, 400, "invalid"),
        (None, 400, "invalid"),
        ("bad\x00name", 400, "invalid"),
        ("x" * 65, 400, "invalid"),
        ("ünïcode", 404, "not_found"),
    ],
    ids=[
        "unknown",
        "blocked-me",
        "deactivated",
        "self",
        "int",
        "null",
        "nul",
        "too-long",
        "unicode",
    ],
)
def test_open_refused(client_for, username, status, code):
    me, blocker, gone = UserFactory.create_batch(3)
    privacy_services.block_create(blocker=blocker, blocked=me)
    user_deactivate(user=gone)
    names = {"{blocked_me}": blocker.username, "{deactivated}": gone.username, "{me}": me.username}
    before = written(me, blocker, gone)

    response = client_for(me).post(
        "/api/v1/conversations", {"username": names.get(username, username)}, format="json"
    )

    refused(response, status, code)
    assert written(me, blocker, gone) == before


def test_open_without_username_is_invalid(client_for, pair):
    me, _ = pair

    refused(client_for(me).post("/api/v1/conversations", {}, format="json"), 400, "invalid")
    assert Conversation.objects.count() == 0


# Get, mute, pin


def test_get_one(client_for, pair):
    me, friend = pair
    message = send(me, friend, "hi")

    data = ok(client_for(friend).get(f"/api/v1/conversations/{message.conversation_id}"))

    assert set(data) == CONVERSATION_FIELDS
    assert (data["id"], data["other_user"]["username"]) == (message.conversation_id, me.username)
    assert (data["unread_count"], data["can_send"]) == (1, True)


def test_mute_and_pin(client_for, pair):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id
    api = client_for(me)
    url = f"/api/v1/conversations/{conversation_id}"

    muted = ok(api.patch(url, {"muted": True}, format="json"))
    assert (muted["muted"], muted["pinned"]) == (True, False)
    pinned = ok(api.patch(url, {"pinned": True}, format="json"))
    assert (pinned["muted"], pinned["pinned"]) == (True, True)
    both = ok(api.patch(url, {"muted": False, "pinned": False}, format="json"))
    assert (both["muted"], both["pinned"]) == (False, False)
    unchanged = ok(api.patch(url, {}, format="json"))
    assert (unchanged["muted"], unchanged["pinned"]) == (False, False)
    # My settings are mine: the other side is untouched.
    ok(api.patch(url, {"muted": True, "pinned": True}, format="json"))
    theirs = ok(client_for(friend).get(url))
    assert (theirs["muted"], theirs["pinned"]) == (False, False)


@pytest.mark.parametrize(
    "payload",
    [
        {"muted": "true"},
        {"muted": 1},
        {"muted": None},
        {"pinned": "yes"},
        {"pinned": 0},
        {"pinned": [True]},
        {"muted": True, "pinned": "no"},
        [],
        "muted",
    ],
)
def test_mute_and_pin_bad_types(client_for, pair, payload):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id
    before = written(me, friend)

    response = client_for(me).patch(
        f"/api/v1/conversations/{conversation_id}", payload, format="json"
    )

    refused(response, 400, "invalid")
    assert written(me, friend) == before
    assert Participant.objects.filter(muted=True).count() == 0


# Hide


def test_hide_until_a_new_message_arrives(client_for, pair):
    me, friend = pair
    send(friend, me, "one")
    conversation_id = send(friend, me, "two").conversation_id
    api = client_for(me)
    assert _unread_total(api) == 2

    response = api.delete(f"/api/v1/conversations/{conversation_id}")

    assert response.status_code == 204
    assert _inbox(api) == []
    assert _unread_total(api) == 0
    assert [c["id"] for c in _inbox(client_for(friend))] == [conversation_id]  # only for me
    assert Message.objects.count() == 2  # delete for me deletes no message

    send(friend, me, "three")

    back = _inbox(api)
    assert [(c["id"], c["unread_count"]) for c in back] == [(conversation_id, 1)]
    assert back[0]["last_message"]["body"] == "three"
    assert _unread_total(api) == 1


def test_hidden_comes_back_when_i_write(client_for, pair):
    me, friend = pair
    conversation_id = send(friend, me, "one").conversation_id
    api = client_for(me)
    assert api.delete(f"/api/v1/conversations/{conversation_id}").status_code == 204

    sent = api.post(
        f"/api/v1/conversations/{conversation_id}/messages", {"body": "back"}, format="json"
    )

    ok(sent, 201)
    assert [c["id"] for c in _inbox(api)] == [conversation_id]


# Conversations I am not in


NOT_MINE_ROUTES = [
    ("get", "/api/v1/conversations/{id}", None),
    ("patch", "/api/v1/conversations/{id}", {"muted": True}),
    ("delete", "/api/v1/conversations/{id}", None),
    ("post", "/api/v1/conversations/{id}/accept", None),
    ("post", "/api/v1/conversations/{id}/read", {"up_to": 1}),
    ("get", "/api/v1/conversations/{id}/messages", None),
    ("post", "/api/v1/conversations/{id}/messages", {"body": "hi"}),
]


@pytest.mark.parametrize(
    ("method", "route", "payload"),
    NOT_MINE_ROUTES,
    ids=["get", "patch", "delete", "accept", "read", "history", "send"],
)
@pytest.mark.parametrize(
    "conversation",
    ["others", "missing", "bigint-max", "past-bigint", "huge"],
)
def test_conversations_i_am_not_in_are_not_found(client_for, method, route, payload, conversation):
    me, a, b = UserFactory.create_batch(3)
    befriend(a, b)
    befriend(me, a)
    theirs = send(a, b, "private").conversation_id
    send(a, me, "mine")  # I am in a conversation with a, not in theirs
    ids = {
        "others": theirs,
        "missing": theirs + 1000,
        "bigint-max": 2**63 - 1,
        "past-bigint": 2**63,
        "huge": 99999999999999999999999,
    }
    before = written(me, a, b)

    url = route.format(id=ids[conversation])
    api = client_for(me)
    response = (
        getattr(api, method)(url, payload, format="json") if payload else getattr(api, method)(url)
    )

    refused(response, 404, "not_found")
    assert written(me, a, b) == before


# Accept


def test_accept_moves_a_request_into_the_inbox(client_for):
    me, stranger = UserFactory.create_batch(2)
    set_preference(me, "everyone")
    conversation_id = send(stranger, me, "hi").conversation_id
    send(stranger, me, "are you there")
    api = client_for(me)
    assert _unread_total(api) == 0

    data = ok(api.post(f"/api/v1/conversations/{conversation_id}/accept"))

    assert (data["id"], data["folder"], data["unread_count"]) == (conversation_id, "inbox", 2)
    assert [c["id"] for c in _inbox(api)] == [conversation_id]
    assert _inbox(api, "requests") == []
    assert _unread_total(api) == 2
    again = ok(api.post(f"/api/v1/conversations/{conversation_id}/accept"))
    assert again["folder"] == "inbox"


# Read


def test_read_lowers_unread_count_and_total(client_for, pair):
    me, friend = pair
    first, second, third = (send(friend, me, f"m{n}") for n in range(3))
    send(me, friend, "my own message is never unread to me")
    api = client_for(me)
    url = f"/api/v1/conversations/{first.conversation_id}/read"
    assert _inbox(api)[0]["unread_count"] == 3
    assert _unread_total(api) == 3

    assert ok(api.post(url, {"up_to": second.pk}, format="json"))["unread_count"] == 1
    assert _inbox(api)[0]["unread_count"] == 1
    assert _unread_total(api) == 1
    # Reading never goes backwards.
    assert ok(api.post(url, {"up_to": first.pk}, format="json"))["unread_count"] == 1
    assert ok(api.post(url, {"up_to": third.pk}, format="json"))["unread_count"] == 0
    assert _unread_total(api) == 0
    # Up to a later id than exists: everything so far is read, and new ones count.
    assert ok(api.post(url, {"up_to": 2**63 - 1}, format="json"))["unread_count"] == 0
    send(friend, me, "new")
    assert _unread_total(api) == 1
    # The other side's count is its own.
    assert _unread_total(client_for(friend)) == 1


def test_unread_total_skips_muted_and_requests(client_for):
    me, friend, other_friend, stranger = UserFactory.create_batch(4)
    befriend(me, friend)
    befriend(me, other_friend)
    set_preference(me, "everyone")
    send(friend, me, "a")
    send(friend, me, "b")
    muted = send(other_friend, me, "c").conversation_id
    send(stranger, me, "d")
    api = client_for(me)
    assert _unread_total(api) == 3

    ok(api.patch(f"/api/v1/conversations/{muted}", {"muted": True}, format="json"))

    assert _unread_total(api) == 2
    by_id = {c["id"]: c["unread_count"] for c in _inbox(api)}
    assert by_id[muted] == 1  # a muted conversation still shows its own count
    assert [c["unread_count"] for c in _inbox(api, "requests")] == [1]


@pytest.mark.parametrize(
    "payload",
    [
        {"up_to": "5"},
        {"up_to": 1.5},
        {"up_to": True},
        {"up_to": -1},
        {"up_to": None},
        {},
        {"up_to": 2**63},
        {"up_to": 99999999999999999999999},
        [],
    ],
)
def test_read_bad_up_to(client_for, pair, payload):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id
    before = written(me, friend)

    response = client_for(me).post(
        f"/api/v1/conversations/{conversation_id}/read", payload, format="json"
    )

    refused(response, 400, "invalid")
    assert written(me, friend) == before
