"""Sending: body and client_id checks, idempotent retries, seq, nothing written on refusal."""

import json

import pytest

from dmsite.env import Rate
from messaging import services
from messaging.errors import RecipientNotAccepting
from messaging.models import Conversation, Message, Participant
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, send, set_preference, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def friends():
    sender, friend = UserFactory.create_batch(2)
    befriend(sender, friend)
    return sender, friend


def _post(api, payload, url="/api/v1/messages"):
    # Encoded here (ASCII, escaped) so that even a lone surrogate reaches the server.
    return api.post(url, json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ("hello", "hello"),
        ("  hello  ", "hello"),
        ("\n\t hello \t\n", "hello"),
        ("line one\nline two\tand a tab", "line one\nline two\tand a tab"),
        ("x" * 2000, "x" * 2000),
        ("  " + "x" * 2000 + "\n", "x" * 2000),  # stripped before it is measured
        ("😀" * 2000, "😀" * 2000),  # characters, not bytes
        ("é" * 1999 + "\u4e2d", "é" * 1999 + "\u4e2d"),
        ("a 👩‍👩‍👧 family", "a 👩‍👩‍👧 family"),
    ],
    ids=[
        "plain",
        "padded",
        "whitespace-padded",
        "newline-and-tab",
        "max-length",
        "max-length-padded",
        "max-emoji",
        "max-accents",
        "zwj",
    ],
)
def test_body_is_stripped_and_stored(client_for, friends, body, stored):
    sender, friend = friends

    response = _post(client_for(sender), {"to": friend.username, "body": body})

    assert response.status_code == 201, response.json()
    assert response.json()["body"] == stored
    assert Message.objects.get().body == stored


BAD_BODIES = [
    pytest.param({"body": ""}, 400, "empty_message", id="empty"),
    pytest.param({"body": "   "}, 400, "empty_message", id="spaces"),
    pytest.param({"body": "\n\t \n"}, 400, "empty_message", id="whitespace"),
    pytest.param({"body": "x" * 2001}, 400, "message_too_long", id="too-long"),
    pytest.param({"body": "😀" * 2001}, 400, "message_too_long", id="too-long-emoji"),
    pytest.param({"body": "a\x00b"}, 400, "invalid", id="nul"),
    pytest.param({"body": "\x00"}, 400, "invalid", id="only-nul"),
    pytest.param({"body": "ring \x07"}, 400, "invalid", id="bell"),
    pytest.param({"body": "\x1b[31mred"}, 400, "invalid", id="escape"),
    pytest.param({"body": "a\rb"}, 400, "invalid", id="carriage-return"),
    pytest.param({"body": "a\x0bb"}, 400, "invalid", id="vertical-tab"),
    pytest.param({"body": "del\x7f"}, 400, "invalid", id="delete"),
    pytest.param({"body": "next\x85line"}, 400, "invalid", id="c1-next-line"),
    pytest.param({"body": "\x9b31mred"}, 400, "invalid", id="c1-csi"),
    pytest.param({"body": "half \ud800 pair"}, 400, "invalid", id="lone-surrogate"),
    pytest.param({"body": 5}, 400, "invalid", id="int"),
    pytest.param({"body": 1.5}, 400, "invalid", id="float"),
    pytest.param({"body": True}, 400, "invalid", id="bool"),
    pytest.param({"body": ["hi"]}, 400, "invalid", id="list"),
    pytest.param({"body": None}, 400, "invalid", id="null"),
    pytest.param({"body": {"text": "hi"}}, 400, "invalid", id="object"),
    pytest.param({}, 400, "invalid", id="missing"),
    pytest.param({"body": "hi", "client_id": "c" * 65}, 400, "invalid", id="client-id-65"),
    pytest.param({"body": "hi", "client_id": "café"}, 400, "invalid", id="client-id-non-ascii"),
    pytest.param({"body": "hi", "client_id": 7}, 400, "invalid", id="client-id-int"),
    pytest.param({"body": "hi", "client_id": ["a"]}, 400, "invalid", id="client-id-list"),
    pytest.param({"body": "hi", "client_id": "a\x00b"}, 400, "invalid", id="client-id-nul"),
    pytest.param({"body": "hi", "client_id": "a\nb"}, 400, "invalid", id="client-id-newline"),
]


@pytest.mark.parametrize(("payload", "status", "code"), BAD_BODIES)
def test_bad_input_is_refused_and_writes_nothing(client_for, friends, payload, status, code):
    sender, friend = friends
    before = written(sender, friend)

    response = _post(client_for(sender), {"to": friend.username, **payload})

    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert written(sender, friend) == before
    assert Conversation.objects.count() == 0  # not even the conversation of a first send


@pytest.mark.parametrize(("payload", "status", "code"), BAD_BODIES)
def test_bad_input_by_conversation_writes_nothing(client_for, friends, payload, status, code):
    sender, friend = friends
    send(sender, friend, "first")
    conversation_id = Conversation.objects.get().pk
    before = written(sender, friend)

    response = _post(
        client_for(sender), payload, f"/api/v1/conversations/{conversation_id}/messages"
    )

    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert written(sender, friend) == before


def test_invalid_fields_are_named(client_for, friends):
    sender, friend = friends
    api = client_for(sender)

    body = _post(api, {"to": friend.username, "body": "a\x00"}).json()
    client_id = _post(api, {"to": friend.username, "body": "a", "client_id": 1}).json()
    to = _post(api, {"to": 1, "body": "a"}).json()

    assert (body["code"], list(body["fields"])) == ("invalid", ["body"])
    assert (client_id["code"], list(client_id["fields"])) == ("invalid", ["client_id"])
    assert (to["code"], list(to["fields"])) == ("invalid", ["to"])


def test_max_length_follows_the_setting(settings, client_for, friends):
    settings.DM_MAX_LENGTH = 5
    sender, friend = friends
    api = client_for(sender)

    too_long = _post(api, {"to": friend.username, "body": "🙂" * 6})
    assert too_long.status_code == 400, too_long.json()
    assert too_long.json()["code"] == "message_too_long"
    assert _post(api, {"to": friend.username, "body": "🙂" * 5}).status_code == 201


def test_client_id_of_64_printable_characters_is_kept(client_for, friends):
    sender, friend = friends
    client_id = "Ab0-_:." + "z" * 57

    response = _post(
        client_for(sender), {"to": friend.username, "body": "hi", "client_id": client_id}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["client_id"] == client_id


# Idempotency


def test_a_retried_client_id_yields_one_message(client_for, friends):
    sender, friend = friends
    api = client_for(sender)
    payload = {"to": friend.username, "body": "hello", "client_id": "retry-1"}

    first = _post(api, payload)
    retry = _post(api, payload)
    # A retry that changed nothing but its text still returns the stored message.
    changed = _post(api, {**payload, "body": "hello again"})

    assert first.status_code == 201, first.json()
    assert retry.status_code == 200, retry.json()
    assert changed.status_code == 200, changed.json()
    assert retry.json() == first.json()
    assert changed.json() == first.json()
    message = Message.objects.get()
    assert (message.pk, message.body, message.seq) == (first.json()["id"], "hello", 1)
    assert Conversation.objects.get().last_seq == 1
    assert Participant.objects.get(user=friend).unread_count == 1


def test_a_retry_by_conversation_yields_one_message(client_for, friends):
    sender, friend = friends
    api = client_for(sender)
    by_name = _post(api, {"to": friend.username, "body": "hello", "client_id": "k1"})
    conversation_id = by_name.json()["conversation"]

    retry = api.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"body": "hello", "client_id": "k1"},
        format="json",
    )

    assert retry.status_code == 200, retry.json()
    assert retry.json()["id"] == by_name.json()["id"]
    assert Message.objects.count() == 1


def test_a_client_id_belongs_to_its_sender(client_for, friends):
    sender, friend = friends
    first = _post(client_for(sender), {"to": friend.username, "body": "hi", "client_id": "same"})

    theirs = _post(client_for(friend), {"to": sender.username, "body": "yo", "client_id": "same"})

    assert (first.status_code, theirs.status_code) == (201, 201)
    assert theirs.json()["id"] != first.json()["id"]
    assert [m.seq for m in Message.objects.order_by("id")] == [1, 2]


def test_a_client_id_cannot_move_to_another_conversation(client_for, friends):
    sender, friend = friends
    other = UserFactory()
    befriend(sender, other)
    api = client_for(sender)
    assert _post(api, {"to": friend.username, "body": "hi", "client_id": "once"}).status_code == 201
    send(sender, other, "an open conversation")
    other_conversation = Participant.objects.get(user=sender, other=other).conversation_id
    before = written(sender, friend, other)

    by_name = _post(api, {"to": other.username, "body": "hi", "client_id": "once"})
    by_conversation = api.post(
        f"/api/v1/conversations/{other_conversation}/messages",
        {"body": "hi", "client_id": "once"},
        format="json",
    )

    for response in (by_name, by_conversation):
        assert response.status_code == 400, response.json()
        assert response.json()["code"] == "invalid"
    assert written(sender, friend, other) == before


def test_service_retry_returns_the_stored_message(friends):
    sender, friend = friends

    first, created = services.message_send(
        sender=sender, recipient=friend, body="hi", client_id="svc"
    )
    again, created_again = services.message_send(
        sender=sender, recipient=friend, body="hi", client_id="svc"
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Message.objects.count() == 1


# seq


def test_seq_counts_without_gaps_across_both_senders(client_for, friends):
    sender, friend = friends
    sender_api, friend_api = client_for(sender), client_for(friend)

    sent = [
        _post(sender_api, {"to": friend.username, "body": "one"}),
        _post(friend_api, {"to": sender.username, "body": "two"}),
        _post(sender_api, {"to": friend.username, "body": "three"}),
        _post(friend_api, {"to": sender.username, "body": "four"}),
    ]

    assert [response.status_code for response in sent] == [201] * 4
    assert [response.json()["seq"] for response in sent] == [1, 2, 3, 4]
    assert len({response.json()["conversation"] for response in sent}) == 1
    history = sender_api.get(f"/api/v1/conversations/{sent[0].json()['conversation']}/messages")
    assert [(m["seq"], m["body"]) for m in history.json()["results"]] == [
        (4, "four"),
        (3, "three"),
        (2, "two"),
        (1, "one"),
    ]


def test_seq_has_no_gap_after_refused_and_invalid_sends(client_for, friends):
    sender, friend = friends
    api = client_for(sender)
    assert _post(api, {"to": friend.username, "body": "one"}).status_code == 201
    assert _post(api, {"to": friend.username, "body": ""}).status_code == 400
    assert _post(api, {"to": friend.username, "body": "x" * 2001}).status_code == 400
    set_preference(friend, "no_one")
    assert _post(api, {"to": friend.username, "body": "no"}).status_code == 403
    set_preference(friend, "friends")

    response = _post(api, {"to": friend.username, "body": "two"})

    assert response.json()["seq"] == 2
    assert list(Message.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]


# Nothing written on refusal


def test_a_refused_first_send_creates_no_conversation(client_for):
    sender, stranger = UserFactory.create_batch(2)
    before = written(sender, stranger)

    with pytest.raises(RecipientNotAccepting):
        services.message_send(sender=sender, recipient=stranger, body="hi", client_id="c1")
    response = _post(client_for(sender), {"to": stranger.username, "body": "hi"})

    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "recipient_not_accepting"
    assert written(sender, stranger) == before
    assert (Conversation.objects.count(), Participant.objects.count()) == (0, 0)


def test_refused_and_invalid_sends_count_nothing_towards_the_limits(settings, client_for):
    """At a limit of 2, two allowed sends still pass after every kind of refusal."""
    settings.RATE_MESSAGES = Rate(2, 60)
    settings.RATE_RECIPIENTS = Rate(1, 3600)
    sender, friend, blocked = UserFactory.create_batch(3)
    befriend(sender, friend)
    privacy_services.block_create(blocker=sender, blocked=blocked)
    api = client_for(sender)
    before = written(sender, friend, blocked)

    refusals = [
        _post(api, {"to": friend.username, "body": ""}),
        _post(api, {"to": friend.username, "body": "x" * 2001}),
        _post(api, {"to": friend.username, "body": "a\x00"}),
        _post(api, {"to": friend.username, "body": "a", "client_id": 5}),
        _post(api, {"to": "nobody", "body": "hi"}),
        _post(api, {"to": sender.username, "body": "hi"}),
        _post(api, {"to": blocked.username, "body": "hi"}),
        _post(api, {"to": UserFactory().username, "body": "hi"}),  # friends only: refused
    ]

    assert [response.status_code for response in refusals] == [400] * 4 + [404, 403, 403, 403]
    assert written(sender, friend, blocked) == before
    assert _post(api, {"to": friend.username, "body": "one"}).status_code == 201
    assert _post(api, {"to": friend.username, "body": "two"}).status_code == 201
    third = _post(api, {"to": friend.username, "body": "three"})
    assert third.status_code == 429, third.json()
    assert third.json()["code"] == "rate_limited"


def test_a_request_over_its_limit_counts_nothing(settings, client_for):
    settings.RATE_MESSAGES = Rate(4, 60)
    sender, stranger, friend = UserFactory.create_batch(3)
    set_preference(stranger, "everyone")
    befriend(sender, friend)
    api = client_for(sender)
    for number in range(3):
        assert _post(api, {"to": stranger.username, "body": f"r{number}"}).status_code == 201
    before = written(sender, stranger, friend)

    for _ in range(3):
        refused = _post(api, {"to": stranger.username, "body": "again"})
        assert refused.json()["code"] == "request_pending"

    assert written(sender, stranger, friend) == before
    assert _post(api, {"to": friend.username, "body": "the 4th"}).status_code == 201
    assert _post(api, {"to": friend.username, "body": "the 5th"}).json()["code"] == "rate_limited"
