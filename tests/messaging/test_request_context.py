"""Request context (SPEC section 12): who is writing, on requests and filtered conversations."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.messaging.state import befriend, ok, send, set_preference

pytestmark = pytest.mark.django_db

OFFENSIVE = "f u c k you"


def conversations(client_for, user, folder: str) -> list[dict]:
    return ok(client_for(user).get(f"/api/v1/conversations?folder={folder}"))["results"]


@pytest.fixture
def me():
    user = UserFactory()
    set_preference(user, "everyone")
    return user


def test_a_request_says_when_the_sender_joined_and_how_we_are_connected(client_for, me):
    joined = timezone.now() - datetime.timedelta(days=400)
    stranger = UserFactory(date_joined=joined)
    alpha, beta, gamma = UserFactory.create_batch(3)
    for friend in (alpha, beta):  # friends of both of us
        befriend(friend, me)
        befriend(friend, stranger)
    befriend(gamma, stranger)  # the stranger's friend, not mine
    from privacy.services import follow_create

    follow_create(follower=me, followee=gamma)  # I follow gamma, gamma doesn't follow me
    follow_create(follower=stranger, followee=me)
    send(stranger, me, "hi there")

    (request,) = conversations(client_for, me, "requests")

    assert request["request_context"] == {
        "sender_joined": timezone.localdate(joined).isoformat(),
        "follows_you": True,
        "mutual_friends": 2,
    }


def test_a_filtered_request_has_its_context_too(client_for, me):
    stranger = UserFactory()
    send(stranger, me, OFFENSIVE)
    (filtered,) = conversations(client_for, me, "filtered")
    assert filtered["request_context"] == {
        "sender_joined": timezone.localdate(stranger.date_joined).isoformat(),
        "follows_you": False,
        "mutual_friends": 0,
    }
    detail = ok(client_for(me).get(f"/api/v1/conversations/{filtered['id']}"))
    assert detail["request_context"] == filtered["request_context"]


def test_inbox_conversations_and_my_own_side_have_no_request_context(client_for, me):
    friend, stranger = UserFactory.create_batch(2)
    befriend(friend, me)
    send(friend, me, "hello friend")
    send(stranger, me, "hello stranger")

    (inbox,) = conversations(client_for, me, "inbox")
    (senders_side,) = conversations(client_for, stranger, "inbox")

    assert inbox["request_context"] is None
    assert senders_side["request_context"] is None


def test_accepting_removes_the_context(client_for, me):
    stranger = UserFactory()
    conversation_id = send(stranger, me, "hello").conversation_id
    accepted = ok(client_for(me).post(f"/api/v1/conversations/{conversation_id}/accept"))
    assert accepted["request_context"] is None


@pytest.mark.parametrize("folder", ["requests", "filtered"])
def test_the_list_costs_the_same_queries_for_1_or_20_requests(
    client_for, django_assert_num_queries, settings, folder
):
    from dmsite.env import Rate

    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(1000, 86400)
    counts = []
    for size in (1, 20):  # 20: one whole page
        recipient = UserFactory()
        set_preference(recipient, "everyone")
        for _ in range(size):
            stranger = UserFactory()
            befriend(stranger, UserFactory())
            send(stranger, recipient, OFFENSIVE if folder == "filtered" else "hello")
        api = client_for(recipient)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            body = ok(api.get(f"/api/v1/conversations?folder={folder}"))
        assert len(body["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_request_page_shows_the_context_line(client, me):
    stranger = UserFactory(date_joined=timezone.make_aware(datetime.datetime(2026, 3, 10, 12)))
    friend = UserFactory()
    befriend(friend, me)
    befriend(friend, stranger)
    conversation_id = send(stranger, me, "hello").conversation_id
    client.force_login(me)

    page = client.get(f"/c/{conversation_id}").text

    assert "Joined March 2026 · doesn&#x27;t follow you · 1 mutual friend</p>" in page
