"""New accounts start slowly (SPEC sections 3 and 12): RATE_REQUESTS, RATE_REQUESTS_NEW_ACCOUNT.

Only a first message that starts a request counts; friends, replies, follow-ups
in a request already started, and accepted conversations do not.
"""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from dmsite.env import Rate
from messaging.models import Message
from messaging.policy import dm_decision, requests_window
from tests.factories import UserFactory
from tests.messaging.state import befriend, ok, send, set_preference, written

pytestmark = pytest.mark.django_db


def post(client_for, sender, recipient, body="hello there"):
    return client_for(sender).post(
        "/api/v1/messages",
        json.dumps({"to": recipient.username, "body": body}),
        content_type="application/json",
    )


def open_to_everyone(count: int) -> list:
    users = UserFactory.create_batch(count)
    for user in users:
        set_preference(user, "everyone")
    return users


def assert_rate_limited(response, wait_at_most: int) -> None:
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= wait_at_most


def test_a_new_account_starts_three_requests_a_day(client_for):
    newcomer = UserFactory()
    first, second, third, fourth = open_to_everyone(4)
    for recipient in (first, second, third):
        ok(post(client_for, newcomer, recipient), 201)
    before = written(newcomer, fourth)

    assert_rate_limited(post(client_for, newcomer, fourth), 86400)
    assert dm_decision(newcomer, fourth).code == "rate_limited"
    assert written(newcomer, fourth) == before  # nothing stored, nothing counted

    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        ok(post(client_for, newcomer, fourth), 201)


def test_an_older_account_has_rate_requests(settings, client_for):
    settings.RATE_REQUESTS = Rate(5, 86400)
    veteran = UserFactory(date_joined=timezone.now() - datetime.timedelta(days=8))
    recipients = open_to_everyone(6)
    for recipient in recipients[:5]:
        ok(post(client_for, veteran, recipient), 201)
    assert_rate_limited(post(client_for, veteran, recipients[5]), 86400)


def test_the_account_age_follows_new_account_days(settings):
    settings.NEW_ACCOUNT_DAYS = 30
    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(2, 100)
    settings.RATE_REQUESTS = Rate(9, 200)
    three_weeks = UserFactory(date_joined=timezone.now() - datetime.timedelta(days=21))
    assert requests_window(three_weeks).rate == Rate(2, 100)
    settings.NEW_ACCOUNT_DAYS = 7
    assert requests_window(three_weeks).rate == Rate(9, 200)


def test_friends_replies_follow_ups_and_accepted_chats_do_not_count(client_for):
    newcomer = UserFactory()
    strangers = open_to_everyone(3)
    for recipient in strangers:
        ok(post(client_for, newcomer, recipient), 201)
    friend, wrote_to_me, accepted = UserFactory.create_batch(3)
    befriend(newcomer, friend)
    set_preference(newcomer, "everyone")
    send(wrote_to_me, newcomer, "hi newcomer")
    set_preference(accepted, "everyone")

    # Over the limit for new requests, yet each of these passes:
    ok(post(client_for, newcomer, friend, "to a friend"), 201)
    ok(post(client_for, newcomer, wrote_to_me, "a reply"), 201)
    ok(post(client_for, newcomer, strangers[0], "a follow-up in my own request"), 201)
    assert_rate_limited(post(client_for, newcomer, accepted), 86400)


def test_a_conversation_the_recipient_accepted_is_not_a_new_request(client_for, settings):
    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(1, 86400)
    newcomer = UserFactory()
    first, second = open_to_everyone(2)
    body = ok(post(client_for, newcomer, first), 201)
    ok(client_for(first).post(f"/api/v1/conversations/{body['conversation']}/accept"))

    ok(post(client_for, newcomer, first, "thanks for accepting"), 201)
    assert_rate_limited(post(client_for, newcomer, second), 86400)


def test_refused_sends_do_not_count(client_for, settings):
    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(1, 86400)
    newcomer = UserFactory()
    friends_only = UserFactory()  # the adult default: friends
    (open_one,) = open_to_everyone(1)
    refused = post(client_for, newcomer, friends_only)
    assert refused.status_code == 403
    assert refused.json()["code"] == "recipient_not_accepting"
    empty = post(client_for, newcomer, open_one, "   ")
    assert empty.status_code == 400

    ok(post(client_for, newcomer, open_one), 201)
    assert Message.objects.count() == 1


def test_a_filtered_request_counts_like_any_request(client_for, settings):
    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(1, 86400)
    newcomer = UserFactory()
    first, second = open_to_everyone(2)
    ok(post(client_for, newcomer, first, "f u c k you"), 201)
    assert_rate_limited(post(client_for, newcomer, second), 86400)


def test_the_policy_refuses_a_fourth_request_for_every_entry_point():
    """REST, socket and pages ask the same `dm_decision`, with or without the body."""
    newcomer = UserFactory()
    recipients = open_to_everyone(4)
    for recipient in recipients[:3]:
        send(newcomer, recipient)
    decision = dm_decision(newcomer, recipients[3], body="hi")
    assert (decision.allowed, decision.code) == (False, "rate_limited")
    assert 0 < decision.retry_after <= 86400
