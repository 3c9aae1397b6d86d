"""Finding 5 and the follower counts: nothing of the blocker changes for the blocked user.

After A blocks B, B keeps what B saw before the block: A's display name in B's
conversations, A's read position (`seen`); A's later reads send B no `read` event.
Follower counts count only the users the viewer may see.
"""

import pytest
from django.test import Client

from accounts.services import user_deactivate, user_update
from messaging import services as messaging_services
from messaging.models import Participant
from privacy import services
from tests.factories import UserFactory
from tests.messaging.state import befriend, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat():
    """A and B are friends with receipts on both sides; B wrote twice, A read the first."""
    a = UserFactory(username="anna", display_name="Anna")
    b = UserFactory(username="boris", display_name="Boris")
    befriend(a, b)
    for user in (a, b):
        services.privacy_settings_update(user=user, read_receipts=True)
    first, second = send(b, a, "one"), send(b, a, "two")
    mine = Participant.objects.get(user=a, conversation=first.conversation)
    messaging_services.conversation_mark_read(participant=mine, up_to=first.id)
    return a, b, first, second


def _seen(client, conversation_id) -> dict[str, bool]:
    response = client.get(f"/api/v1/conversations/{conversation_id}/messages")
    assert response.status_code == 200, response.json()
    return {message["body"]: message.get("seen") for message in response.json()["results"]}


def _other_name(client) -> str:
    response = client.get("/api/v1/conversations")
    assert response.status_code == 200, response.json()
    (conversation,) = response.json()["results"]
    return conversation["other_user"]["display_name"]


def test_the_blocked_user_keeps_the_blockers_old_name_and_read_position(client_for, chat):
    a, b, first, second = chat
    conversation_id = first.conversation_id
    client = client_for(b)
    assert _seen(client, conversation_id) == {"one": True, "two": False}

    services.block_create(blocker=a, blocked=b)
    user_update(user=a, display_name="Anna New")
    mine = Participant.objects.get(user=a, conversation_id=conversation_id)
    messaging_services.conversation_mark_read(participant=mine, up_to=second.id)

    assert _seen(client, conversation_id) == {"one": True, "two": False}
    assert _other_name(client) == "Anna"
    browser = Client()
    browser.force_login(b)
    page = browser.get(f"/c/{conversation_id}")
    assert page.status_code == 200
    assert b"Anna New" not in page.content
    assert b"Anna" in page.content
    # The blocker's own view is current, and so is everyone else's.
    assert _other_name(client_for(a)) == "Boris"
    assert client_for(UserFactory()).get("/api/v1/users/anna").json()["display_name"] == "Anna New"


def test_after_unblocking_the_blocked_user_sees_the_present_again(client_for, chat):
    a, b, first, second = chat
    services.block_create(blocker=a, blocked=b)
    user_update(user=a, display_name="Anna New")
    services.block_delete(blocker=a, blocked=b)
    mine = Participant.objects.get(user=a, conversation_id=first.conversation_id)
    messaging_services.conversation_mark_read(participant=mine, up_to=second.id)

    client = client_for(b)
    assert _other_name(client) == "Anna New"
    assert _seen(client, first.conversation_id) == {"one": True, "two": True}


def test_a_read_while_blocking_sends_the_blocked_user_no_read_event(
    chat, django_capture_on_commit_callbacks, monkeypatch
):
    from messaging import events

    a, b, first, second = chat
    services.block_create(blocker=a, blocked=b)
    sent = []
    monkeypatch.setattr(events, "_send", lambda user_id, event: sent.append((user_id, event)))
    mine = Participant.objects.get(user=a, conversation_id=first.conversation_id)
    with django_capture_on_commit_callbacks(execute=True):
        messaging_services.conversation_mark_read(participant=mine, up_to=second.id)

    assert [user_id for user_id, _ in sent] == [a.pk]  # only A's own sockets hear of it


def test_follower_counts_count_only_users_the_viewer_may_see(client_for):
    viewer, star = UserFactory(username="viewer"), UserFactory(username="star")
    fans = UserFactory.create_batch(4)
    for fan in fans:
        services.follow_create(follower=fan, followee=star)
        services.follow_create(follower=star, followee=fan)
    services.block_create(blocker=fans[0], blocked=viewer)  # fans[0] is not_found to viewer
    user_deactivate(user=fans[1])

    profile = client_for(viewer).get("/api/v1/users/star").json()
    listed = client_for(viewer).get("/api/v1/users/star/followers").json()["results"]

    assert profile["follower_count"] == profile["following_count"] == len(listed) == 2
    assert client_for(fans[2]).get("/api/v1/users/star").json()["follower_count"] == 3
