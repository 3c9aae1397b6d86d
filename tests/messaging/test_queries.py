"""The inbox and a history page cost a fixed number of SQL queries, for 1 or 200 rows."""

import pytest
from django.db import connection

from accounts.sessions import token_credential
from accounts.tokens import token_create
from dmsite.env import Rate
from messaging import reactions
from messaging.consumers import ChatConsumer
from messaging.models import Message, Participant
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, send, set_preference

pytestmark = pytest.mark.django_db

# Token lookup, the page of participants (their last messages' quotes joined), their
# reactions, and the DM policy's facts for the whole page (blocks, follows, the other
# sides, preferences: one statement); the same whatever the page holds.
INBOX_QUERIES = 4
# Token lookup, my side of the conversation, the page of messages (quotes joined), their
# reactions, read receipts and the other side's read position.
HISTORY_QUERIES = 6


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_MESSAGES = Rate(10_000, 60)
    settings.RATE_RECIPIENTS = Rate(10_000, 3600)
    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(10_000, 86400)
    settings.RATE_REACTIONS = Rate(10_000, 60)


def _inbox_of(viewer, count: int) -> None:
    """`count` conversations in the viewer's inbox, each with its own other user."""
    others = UserFactory.create_batch(count)
    for number, other in enumerate(others):
        set_preference(other, "everyone")
        hello = send(viewer, other, f"hello {number}")
        if number % 10 == 0:  # some answered, so last messages come from both sides
            answer = send(other, viewer, f"answer {number}", reply_to=hello.pk)
            reactions.reaction_set(user=viewer, message_id=answer.pk, emoji="👍")


@pytest.mark.parametrize("count", [1, 200])
def test_inbox_queries_do_not_grow(client_for, django_assert_max_num_queries, count):
    viewer = UserFactory()
    _inbox_of(viewer, count)
    api = client_for(viewer)

    with django_assert_max_num_queries(INBOX_QUERIES) as queries:
        response = api.get("/api/v1/conversations?limit=100")

    assert len(queries) == INBOX_QUERIES  # the same for 1 and for 200
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert len(results) == min(count, 100)
    assert all(conversation["can_send"] for conversation in results)
    assert all(conversation["last_message"]["body"] for conversation in results)
    answered = [c["last_message"] for c in results if c["last_message"]["reply_to"]]
    assert answered
    assert all(m["reactions"] == [{"user": viewer.username, "emoji": "👍"}] for m in answered)
    assert Participant.objects.filter(user=viewer, hidden=False).count() == count


@pytest.mark.parametrize("count", [1, 200])
@pytest.mark.parametrize("receipts", [False, True])
def test_history_queries_do_not_grow(client_for, django_assert_max_num_queries, count, receipts):
    me, friend = UserFactory.create_batch(2)
    befriend(me, friend)
    for user in (me, friend):
        privacy_services.privacy_settings_update(user=user, read_receipts=receipts)
    previous = None
    for number in range(count):
        sender, recipient = (me, friend) if number % 2 else (friend, me)
        # Every message quotes the one before and has a reaction: none of it costs a query.
        previous = send(sender, recipient, f"message {number}", reply_to=previous and previous.pk)
        reactions.reaction_set(user=recipient, message_id=previous.pk, emoji="❤️")
    conversation_id = Message.objects.first().conversation_id
    api = client_for(me)

    with django_assert_max_num_queries(HISTORY_QUERIES) as queries:
        response = api.get(f"/api/v1/conversations/{conversation_id}/messages?limit=100")

    # The same for 1 and for 200; without receipts there is no read position to look up.
    assert len(queries) == HISTORY_QUERIES - (0 if receipts else 1)

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert len(results) == min(count, 100)
    assert all(("seen" in m) is (receipts and m["sender"] == me.username) for m in results)
    assert all(len(m["reactions"]) == 1 for m in results)
    assert all(m["reply_to"]["seq"] == m["seq"] - 1 for m in results if m["seq"] > 1)


# The message, its conversation's last message and the participants' UPDATE: one
# statement on PostgreSQL (data-modifying CTEs), one each elsewhere. A first send has
# no participant yet to update.
POSTGRESQL = connection.vendor == "postgresql"
WRITES, FIRST_WRITES = (1, 1) if POSTGRESQL else (3, 2)
# A send, whatever the conversation's length: lock both users (and find the recipient
# by name), the pair's facts, the writes.
SEND_STATEMENTS = 2 + WRITES
# A first send also creates the conversation, and inserts both participants.
FIRST_SEND_STATEMENTS = 2 + 1 + FIRST_WRITES + 1
# The token lookup of a REST request.
AUTH = 1
# A socket's frame first checks that its token or session still holds; a send to a
# name checks its token in the send's lock statement, for nothing more.
CREDENTIAL = 1
# Inside the test's transaction the send's own is a savepoint: SAVEPOINT and RELEASE
# (BEGIN and COMMIT on a real request, which the count does not see).
SAVEPOINT = 2


def _history(sender, recipient, count: int) -> None:
    for number in range(count):
        send(sender, recipient, f"old {number}")


def _post_message(api, to: str, client_id: str):
    return api.post(
        "/api/v1/messages", {"to": to, "body": "hi", "client_id": client_id}, format="json"
    )


@pytest.mark.parametrize("history", [0, 1, 50])
def test_a_rest_send_costs_a_fixed_number_of_statements(
    client_for, django_assert_num_queries, django_capture_on_commit_callbacks, history, settings
):
    # The events are published in this test's thread: on the in-memory layer, so that no
    # Redis connection gets bound to a short-lived event loop.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    _history(bob, alice, history)
    api = client_for(alice)
    expected = AUTH + (SEND_STATEMENTS if history else FIRST_SEND_STATEMENTS) + SAVEPOINT

    # The message.new events are built from what the send holds: their callbacks,
    # run here, query nothing.
    with (
        django_assert_num_queries(expected),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = _post_message(api, bob.username, "c1")

    assert response.status_code == 201, response.json()
    assert response.json()["seq"] == history + 1
    assert len(callbacks) == 1


def test_a_rest_send_in_a_conversation_costs_one_more_for_the_conversation(
    client_for, django_assert_num_queries
):
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    conversation_id = send(bob, alice).conversation_id
    api = client_for(alice)

    # My side of the conversation (which names the recipient), then the send.
    with django_assert_num_queries(AUTH + 1 + SEND_STATEMENTS + SAVEPOINT):
        response = api.post(
            f"/api/v1/conversations/{conversation_id}/messages", {"body": "hi"}, format="json"
        )

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("receipts", [False, True])
def test_a_steady_send_with_read_receipts_costs_nothing_more(
    client_for, django_assert_num_queries, receipts
):
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    for user in (alice, bob):
        privacy_services.privacy_settings_update(user=user, read_receipts=receipts)
    send(bob, alice)
    api = client_for(alice)

    with django_assert_num_queries(AUTH + SEND_STATEMENTS + SAVEPOINT):
        response = _post_message(api, bob.username, "c1")

    assert response.status_code == 201, response.json()
    assert ("seen" in response.json()) is receipts


@pytest.mark.parametrize("history", [0, 1, 50])
def test_a_socket_send_costs_a_fixed_number_of_statements(django_assert_num_queries, history):
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    _history(bob, alice, history)
    consumer = ChatConsumer()
    # The socket's user and credential, as `connect` keeps them.
    consumer.user_id, consumer.credential = alice.pk, token_credential(token_create(user=alice)[0])
    frame = {"to": bob.username, "body": "hi", "client_id": "c1"}

    # The lock statement checks the token and reads the sender afresh, then the send.
    with django_assert_num_queries(
        (SEND_STATEMENTS if history else FIRST_SEND_STATEMENTS) + SAVEPOINT
    ):
        message = consumer._send_message(frame)

    assert message["seq"] == history + 1


def test_a_retry_of_a_stored_client_id_is_answered_without_a_second_message(
    client_for, django_assert_max_num_queries
):
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    send(bob, alice)
    api = client_for(alice)
    first = _post_message(api, bob.username, "c1")

    # The insert fails on the client_id (lock, facts, the insert), the send rolls back,
    # the stored one is read (the message, my side, read receipts, its reactions).
    with django_assert_max_num_queries(AUTH + SAVEPOINT + 3 + 1 + 4):
        again = _post_message(api, bob.username, "c1")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Message.objects.filter(sender=alice).count() == 1


def test_a_send_is_one_round_trip_to_redis(client_for, redis_commands):
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    send(bob, alice)
    api = client_for(alice)
    redis_commands.clear()

    response = _post_message(api, bob.username, "c1")

    assert response.status_code == 201, response.json()
    # Both rate windows, checked and recorded in one script, called by its SHA.
    assert redis_commands == ["EVALSHA"]


# The profile: token lookup, the user, the DM policy's facts for `can_message` (one
# statement), the relationship (follows and blocks, one statement) and the two counts
# of followers and following.
PROFILE_QUERIES = 6


@pytest.mark.parametrize("followers", [0, 30])
def test_profile_queries_do_not_grow(client_for, django_assert_num_queries, followers):
    viewer, user = UserFactory.create_batch(2)
    befriend(viewer, user)
    for fan in UserFactory.create_batch(followers):
        privacy_services.follow_create(follower=fan, followee=user)
    api = client_for(viewer)

    with django_assert_num_queries(PROFILE_QUERIES):
        response = api.get(f"/api/v1/users/{user.username}")

    assert response.status_code == 200, response.json()
    assert response.json()["can_message"] == {"allowed": True, "code": None}


# A batch of `sync`: the messages (quotes joined) and their reactions.
SYNC_BATCH_QUERIES = 2


def test_sync_costs_a_fixed_number_of_queries_per_batch(django_assert_num_queries):
    alice, bob = UserFactory.create_batch(2)
    befriend(alice, bob)
    _history(bob, alice, 30)
    consumer = ChatConsumer()
    consumer.user_id = alice.pk

    with django_assert_num_queries(SYNC_BATCH_QUERIES):
        batch = consumer._sync_batch(0, 100, check=False)

    assert [message["seq"] for message in batch] == list(range(1, 31))
