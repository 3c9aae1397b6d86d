"""The inbox and a history page cost a fixed number of SQL queries, for 1 or 200 rows."""

import pytest

from dmsite.env import Rate
from messaging import reactions
from messaging.models import Message, Participant
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, send, set_preference

pytestmark = pytest.mark.django_db

# Token lookup, the page of participants (their last messages' quotes joined), their
# reactions, and the DM policy's facts for the whole page (blocks, follows, the other
# sides, preferences); the same whatever the page holds.
INBOX_QUERIES = 7
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
