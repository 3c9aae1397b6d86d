"""Reports of a group (SPEC sections 8 and 9): the last 20 messages and the member list."""

import pytest

from messaging import groups, services
from messaging.models import Conversation
from moderation.models import Report
from tests.factories import UserFactory
from tests.moderation.conftest import befriend

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/moderation/report/"


@pytest.fixture
def group():
    ann, bob, cat = (UserFactory(username=name) for name in ("ann", "bob", "cat"))
    befriend(ann, bob)
    befriend(ann, cat)
    side = groups.group_create(creator=ann, usernames=["bob", "cat"], title="<b>Trip</b>")
    return ann, bob, cat, Conversation.objects.get(pk=side.conversation_id)


def say(sender, conversation, body):
    message, _ = services.message_send(sender=sender, conversation=conversation, body=body)
    return message


def test_a_group_report_snapshots_the_last_20_messages_and_the_members(client_for, group):
    ann, bob, cat, conversation = group
    for n in range(25):
        say(bob if n % 2 else cat, conversation, f"message {n}")

    response = client_for(ann).post(
        "/api/v1/reports",
        {"target_type": "conversation", "target_id": conversation.pk, "reason": "spam"},
        format="json",
    )

    assert response.status_code == 201, response.content
    report = Report.objects.get()
    snapshot = report.snapshot
    assert [m["body"] for m in snapshot["messages"]] == [f"message {n}" for n in range(5, 25)]
    assert (snapshot["kind"], snapshot["title"]) == ("group", "<b>Trip</b>")
    assert snapshot["members"] == [
        {"username": "ann", "display_name": "Ann", "role": "owner", "state": "member"},
        {"username": "bob", "display_name": "Bob", "role": "member", "state": "member"},
        {"username": "cat", "display_name": "Cat", "role": "member", "state": "member"},
    ]
    assert snapshot["participants"] == ["ann", "bob", "cat"]
    # Filed against the last other person who wrote there.
    assert report.offender == cat


def test_a_quiet_group_is_filed_against_its_owner(client_for, group):
    ann, bob, _, conversation = group
    response = client_for(bob).post(
        "/api/v1/reports",
        {"target_type": "conversation", "target_id": conversation.pk, "reason": "spam"},
        format="json",
    )
    assert response.status_code == 201
    assert Report.objects.get().offender == ann


def test_a_message_report_in_a_group_and_outside_my_window(client_for, group):
    ann, bob, cat, conversation = group
    message = say(bob, conversation, "nasty")
    groups.group_member_remove(actor=ann, conversation_id=conversation.pk, username="cat")
    later = say(bob, conversation, "after cat")

    kept = client_for(cat).post(
        "/api/v1/reports",
        {"target_type": "message", "target_id": message.pk, "reason": "harassment"},
        format="json",
    )
    assert kept.status_code == 201
    assert Report.objects.get().snapshot["participants"] == ["ann", "bob"]
    missed = client_for(cat).post(
        "/api/v1/reports",
        {"target_type": "message", "target_id": later.pk, "reason": "harassment"},
        format="json",
    )
    assert missed.status_code == 404
    assert missed.json()["code"] == "not_found"


def test_moderators_see_the_group_in_the_admin(client_for, group, moderator_client):
    ann, bob, _, conversation = group
    say(bob, conversation, "look")
    client_for(ann).post(
        "/api/v1/reports",
        {"target_type": "conversation", "target_id": conversation.pk, "reason": "spam"},
        format="json",
    )
    report = Report.objects.get()

    content = moderator_client.get(f"{CHANGELIST}{report.pk}/change/").content.decode()

    assert "Group &lt;b&gt;Trip&lt;/b&gt;" in content
    assert "<b>Trip</b>" not in content
    assert "ann (owner, member), bob (member, member), cat (member, member)" in content
    assert "look" in content
