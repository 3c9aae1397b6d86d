"""The inbox and a history page cost a fixed number of SQL queries, for 1 or 200 rows."""

import pytest

from dmsite.env import Rate
from messaging.models import Message, Participant
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, send, set_preference

pytestmark = pytest.mark.django_db

# Token lookup, the page of participants, and the DM policy's facts for the whole page
# (blocks, follows, the other sides, preferences); the same whatever the page holds.
INBOX_QUERIES = 6
# Token lookup, my side of the conversation, the page of messages, read receipts and
# the other side's read position.
HISTORY_QUERIES = 5


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_MESSAGES = Rate(10_000, 60)
    settings.RATE_RECIPIENTS = Rate(10_000, 3600)
    settings.RATE_REQUESTS_NEW_ACCOUNT = Rate(10_000, 86400)


def _inbox_of(viewer, count: int) -> None:
    """`count` conversations in the viewer's inbox, each with its own other user."""
    others = UserFactory.create_batch(count)
    for number, other in enumerate(others):
        set_preference(other, "everyone")
        send(viewer, other, f"hello {number}")
        if number % 10 == 0:  # some answered, so last messages come from both sides
            send(other, viewer, f"answer {number}")


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
    assert Participant.objects.filter(user=viewer, hidden=False).count() == count


@pytest.mark.parametrize("count", [1, 200])
@pytest.mark.parametrize("receipts", [False, True])
def test_history_queries_do_not_grow(client_for, django_assert_max_num_queries, count, receipts):
    me, friend = UserFactory.create_batch(2)
    befriend(me, friend)
    for user in (me, friend):
        privacy_services.privacy_settings_update(user=user, read_receipts=receipts)
    for number in range(count):
        sender, recipient = (me, friend) if number % 2 else (friend, me)
        send(sender, recipient, f"message {number}")
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
