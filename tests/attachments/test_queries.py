"""Attachments cost one query per page, whatever the page holds, and none for text."""

import pytest

from dmsite.env import Rate
from messaging.models import Message
from tests.attachments import samples

# Token lookup, my side, the page of messages, their reactions, the read-receipts check
# (off here, so the other side's read position is not asked for).
HISTORY_QUERIES = 5

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_MESSAGES = Rate(10_000, 60)
    settings.RATE_RECIPIENTS = Rate(10_000, 3600)
    settings.RATE_UPLOADS = Rate(10_000, 60)


def _post(api, friend, **body):
    response = api.post("/api/v1/messages", {"to": friend.username, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("count", [1, 20])
def test_a_history_page_with_media_costs_one_query_more(
    client_for, pair, uploaded, django_assert_num_queries, count
):
    me, friend = pair
    api = client_for(me)
    for number in range(count):
        ids = [uploaded(samples.image_bytes()) for _ in range(1 + number % 3)]
        data = _post(api, friend, body=f"photo {number}", attachments=ids)
    _post(api, friend, body="and text")
    url = f"/api/v1/conversations/{data['conversation']}/messages?limit=50"

    with django_assert_num_queries(HISTORY_QUERIES + 1):
        results = api.get(url).json()["results"]

    assert len(results) == count + 1
    assert results[0]["attachments"] == []
    assert [len(m["attachments"]) for m in results[1:]] == [
        1 + number % 3 for number in reversed(range(count))
    ]


def test_a_page_of_text_costs_no_attachment_query(client_for, pair, django_assert_num_queries):
    me, friend = pair
    api = client_for(me)
    for number in range(5):
        data = _post(api, friend, body=f"text {number}")
    with django_assert_num_queries(HISTORY_QUERIES):
        api.get(f"/api/v1/conversations/{data['conversation']}/messages")
    assert Message.objects.filter(attachment_count=0).count() == 5
