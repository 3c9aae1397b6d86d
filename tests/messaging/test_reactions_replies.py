"""Reactions and replies over REST (SPEC section 11): every rule with its status and code."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dmsite.env import Rate
from messaging import reactions, services
from messaging.models import Message, MessageKind, Reaction
from messaging.policy import reactions_window
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, ok, refused, send, written

pytestmark = pytest.mark.django_db


def _reaction_url(message_id) -> str:
    return f"/api/v1/messages/{message_id}/reaction"


def _put(api, message_id, emoji):
    # Encoded here (ASCII, escaped) so that even a lone surrogate reaches the server.
    body = json.dumps({"emoji": emoji})
    return api.put(_reaction_url(message_id), body, content_type="application/json")


def _act(api, method: str, message_id, emoji="👍"):
    """PUT `emoji` or DELETE my reaction."""
    if method == "put":
        return _put(api, message_id, emoji)
    return api.delete(_reaction_url(message_id))


def _history(api, conversation_id: int) -> list[dict]:
    return ok(api.get(f"/api/v1/conversations/{conversation_id}/messages"))["results"]


def _reaction_rows() -> list[tuple]:
    return list(Reaction.objects.order_by("pk").values_list("message_id", "user_id", "emoji"))


# Reactions


def test_react_replace_and_remove(client_for, pair):
    me, friend = pair
    message = send(friend, me, "hi")
    api = client_for(me)

    assert ok(_put(api, message.pk, "👍")) == {
        "message": message.pk,
        "user": me.username,
        "emoji": "👍",
    }
    assert ok(_put(api, message.pk, "😂"))["emoji"] == "😂"  # replaced: one per user

    assert _reaction_rows() == [(message.pk, me.pk, "😂")]
    ok(_put(client_for(friend), message.pk, "❤️"))
    [shown] = _history(api, message.conversation_id)
    assert shown["reactions"] == [
        {"user": me.username, "emoji": "😂"},
        {"user": friend.username, "emoji": "❤️"},
    ]

    assert api.delete(_reaction_url(message.pk)).status_code == 204
    assert api.delete(_reaction_url(message.pk)).status_code == 204  # gone already: done
    [shown] = _history(api, message.conversation_id)
    assert shown["reactions"] == [{"user": friend.username, "emoji": "❤️"}]


def test_my_own_message_can_be_reacted_to(client_for, pair):
    me, friend = pair
    message = send(me, friend, "look")

    assert ok(_put(client_for(me), message.pk, "🔥"))["emoji"] == "🔥"


@pytest.mark.parametrize(
    "emoji",
    [
        pytest.param("👍", id="thumbs-up"),
        pytest.param("👍🏽", id="skin-tone"),
        pytest.param("👩‍👩‍👧", id="zwj-family"),
        pytest.param("🏳️‍🌈", id="zwj-flag"),
        pytest.param("🧑🏿‍🚀", id="zwj-skin-tone"),
        pytest.param("❤️", id="variation-selector"),
        pytest.param("🇬🇧", id="flag"),
        pytest.param("1️⃣", id="keycap"),
    ],
)
def test_one_emoji_of_any_form_is_a_reaction(client_for, pair, emoji):
    me, friend = pair
    message = send(friend, me, "hi")

    assert ok(_put(client_for(me), message.pk, emoji))["emoji"] == emoji
    assert _reaction_rows() == [(message.pk, me.pk, emoji)]


@pytest.mark.parametrize(
    "emoji",
    [
        pytest.param("👍👍", id="two-emoji"),
        pytest.param("a", id="letter"),
        pytest.param("1", id="digit"),
        pytest.param("", id="empty"),
        pytest.param(" 👍", id="space-before"),
        pytest.param("👍 ", id="space-after"),
        pytest.param("👍a", id="emoji-and-text"),
        pytest.param("\u200d", id="lone-zwj"),
        pytest.param("👩\u200d", id="dangling-zwj"),
        pytest.param("\ud83d", id="lone-surrogate"),
        pytest.param("\x00", id="nul"),
        pytest.param("👍" * 40, id="long"),
        pytest.param(1, id="number"),
        pytest.param(True, id="boolean"),
        pytest.param(None, id="null"),
        pytest.param(["👍"], id="list"),
        pytest.param({"emoji": "👍"}, id="object"),
    ],
)
def test_anything_but_one_emoji_is_invalid(client_for, pair, emoji):
    me, friend = pair
    message = send(friend, me, "hi")

    refused(_put(client_for(me), message.pk, emoji), 400, "invalid")
    assert _reaction_rows() == []


@pytest.mark.parametrize(
    "body",
    [pytest.param({}, id="no-emoji"), pytest.param([], id="list"), pytest.param("x", id="text")],
)
def test_a_body_without_an_emoji_is_invalid(client_for, pair, body):
    me, friend = pair
    message = send(friend, me, "hi")

    refused(client_for(me).put(_reaction_url(message.pk), body, format="json"), 400, "invalid")


def test_reacting_needs_a_log_in(api, pair):
    me, friend = pair
    message = send(friend, me, "hi")

    refused(_put(api, message.pk, "👍"), 401, "not_authenticated")
    refused(api.delete(_reaction_url(message.pk)), 401, "not_authenticated")


@pytest.mark.parametrize("which", ["someone-elses", "unknown", "huge"])
@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_message_outside_my_conversations_is_not_found(client_for, pair, which, method):
    me, _ = pair
    strangers = UserFactory.create_batch(2)
    befriend(*strangers)
    message_id = {
        "someone-elses": send(*strangers, "private").pk,
        "unknown": 10**9,
        "huge": 10**30,
    }[which]
    api = client_for(me)

    response = _act(api, method, message_id)

    refused(response, 404, "not_found")
    assert _reaction_rows() == []


@pytest.mark.parametrize("method", ["put", "delete"])
def test_someone_who_blocked_me_is_not_found(client_for, pair, method):
    me, friend = pair
    message = send(friend, me, "hi")
    reactions.reaction_set(user=me, message_id=message.pk, emoji="👍")
    privacy_services.block_create(blocker=friend, blocked=me)
    api = client_for(me)

    response = _act(api, method, message.pk, "😂")

    refused(response, 404, "not_found")
    assert _reaction_rows() == [(message.pk, me.pk, "👍")]


@pytest.mark.parametrize("method", ["put", "delete"])
def test_someone_i_blocked_is_you_blocked_user(client_for, pair, method):
    me, friend = pair
    message = send(friend, me, "hi")
    reactions.reaction_set(user=me, message_id=message.pk, emoji="👍")
    privacy_services.block_create(blocker=me, blocked=friend)
    api = client_for(me)

    response = _act(api, method, message.pk, "😂")

    refused(response, 403, "you_blocked_user")
    assert _reaction_rows() == [(message.pk, me.pk, "👍")]


def test_a_suspended_user_cannot_react(client_for, pair):
    me, friend = pair
    message = send(friend, me, "hi")
    me.messaging_suspended_until = message.created_at + timedelta(days=1)
    me.save(update_fields=["messaging_suspended_until"])

    refused(_put(client_for(me), message.pk, "👍"), 403, "account_suspended")


def test_an_unsent_message_cannot_be_reacted_to_and_loses_its_reactions(client_for, pair):
    me, friend = pair
    message = send(friend, me, "oops")
    reactions.reaction_set(user=me, message_id=message.pk, emoji="👍")

    services.message_unsend(user=friend, message_id=message.pk)

    assert _reaction_rows() == []
    refused(_put(client_for(me), message.pk, "👍"), 403, "permission_denied")
    [shown] = _history(client_for(me), message.conversation_id)
    assert shown["reactions"] == []


def test_a_system_message_cannot_be_reacted_to(client_for, pair):
    me, friend = pair
    message = send(friend, me, "hi")
    Message.objects.filter(pk=message.pk).update(kind=MessageKind.SYSTEM)

    refused(_put(client_for(me), message.pk, "👍"), 403, "permission_denied")
    assert _reaction_rows() == []


def test_rate_reactions_limits_and_counts_only_changes(settings, client_for, pair):
    settings.RATE_REACTIONS = Rate(2, 60)
    me, friend = pair
    first, second, third = (send(friend, me, f"m{n}") for n in range(3))
    api = client_for(me)

    ok(_put(api, first.pk, "👍"))
    ok(_put(api, first.pk, "👍"))  # the same again changes nothing and is not counted
    refused(_put(api, first.pk, "nope"), 400, "invalid")  # refused: not counted
    ok(_put(api, second.pk, "👍"))
    response = _put(api, third.pk, "👍")

    refused(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(reactions_window().state(str(me.pk)).members) == 2
    assert _reaction_rows() == [(first.pk, me.pk, "👍"), (second.pk, me.pk, "👍")]
    with time_machine.travel(timedelta(seconds=61)):
        ok(_put(api, third.pk, "👍"))


# Replies


def test_a_reply_quotes_the_message_and_shows_it_unsent_later(client_for, pair):
    me, friend = pair
    quoted = send(friend, me, "x" * 150)
    api = client_for(me)

    reply = ok(
        api.post(
            f"/api/v1/conversations/{quoted.conversation_id}/messages",
            {"body": "about that", "reply_to": quoted.pk},
            format="json",
        ),
        201,
    )

    expected = {
        "id": quoted.pk,
        "seq": quoted.seq,
        "sender": friend.username,
        "body": "x" * 100,
        "unsent": False,
    }
    assert reply["reply_to"] == expected
    assert Message.objects.get(pk=reply["id"]).reply_to_id == quoted.pk

    services.message_unsend(user=friend, message_id=quoted.pk)

    shown = {m["id"]: m for m in _history(api, quoted.conversation_id)}
    assert shown[reply["id"]]["reply_to"] == {**expected, "body": "", "unsent": True}


def test_a_reply_by_username_and_its_retry(client_for, pair):
    me, friend = pair
    quoted = send(friend, me, "question?")
    api = client_for(me)
    payload = {"to": friend.username, "body": "answer", "reply_to": quoted.pk, "client_id": "r1"}

    first = ok(api.post("/api/v1/messages", payload, format="json"), 201)
    again = ok(api.post("/api/v1/messages", payload, format="json"), 200)

    assert first["reply_to"]["id"] == again["reply_to"]["id"] == quoted.pk
    assert first["reply_to"]["body"] == "question?"
    assert again == first


@pytest.mark.parametrize(
    "reply_to",
    [
        pytest.param("1", id="string"),
        pytest.param(True, id="boolean"),
        pytest.param(1.5, id="float"),
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(10**30, id="huge"),
        pytest.param([1], id="list"),
        pytest.param(10**9, id="unknown"),
        pytest.param("other-conversation", id="other-conversation"),
    ],
)
@pytest.mark.parametrize("route", ["conversation", "username"])
def test_reply_to_must_name_a_message_of_the_same_conversation(client_for, pair, reply_to, route):
    me, friend = pair
    here = send(friend, me, "hi")
    other = UserFactory()
    befriend(me, other)
    if reply_to == "other-conversation":
        reply_to = send(other, me, "elsewhere").pk
    before = written(me, friend)
    api = client_for(me)

    if route == "conversation":
        url, payload = f"/api/v1/conversations/{here.conversation_id}/messages", {}
    else:
        url, payload = "/api/v1/messages", {"to": friend.username}
    response = api.post(url, {**payload, "body": "re", "reply_to": reply_to}, format="json")

    refused(response, 400, "invalid")
    assert "reply_to" in response.json()["fields"]
    assert written(me, friend) == before  # nothing stored, nothing counted


def test_reply_to_in_a_new_conversation_is_invalid_and_creates_nothing(client_for, pair):
    me, friend = pair
    elsewhere = send(friend, me, "hi")
    stranger = UserFactory()
    befriend(me, stranger)
    before = written(me, stranger)

    response = client_for(me).post(
        "/api/v1/messages",
        {"to": stranger.username, "body": "re", "reply_to": elsewhere.pk},
        format="json",
    )

    refused(response, 400, "invalid")
    assert written(me, stranger) == before


def test_a_policy_denial_comes_before_a_bad_reply_to(client_for, pair):
    me, friend = pair
    send(friend, me, "hi")
    privacy_services.block_create(blocker=me, blocked=friend)

    response = client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "body": "re", "reply_to": 10**9}, format="json"
    )

    refused(response, 403, "you_blocked_user")


def test_a_reply_costs_one_query_more_than_a_plain_send(client_for, pair):
    """The quoted message is read once; a plain send reads nothing for replies or reactions."""
    me, friend = pair
    quoted = send(friend, me, "hi")
    send(me, friend, "warm-up")  # both sides exist, as in a running conversation
    api = client_for(me)
    url = f"/api/v1/conversations/{quoted.conversation_id}/messages"

    with CaptureQueriesContext(connection) as plain:
        ok(api.post(url, {"body": "plain"}, format="json"), 201)
    with CaptureQueriesContext(connection) as replying:
        ok(api.post(url, {"body": "reply", "reply_to": quoted.pk}, format="json"), 201)

    assert len(replying) == len(plain) + 1
    assert not any("messaging_reaction" in query["sql"] for query in plain.captured_queries)
