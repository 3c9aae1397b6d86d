"""The group pages (Django test client): new group, the group's page, the members sheet."""

import pytest
from django.test import Client

from messaging import groups, services
from messaging.models import Conversation, Participant
from privacy import services as privacy_services
from tests.conftest import years_ago
from tests.factories import UserFactory
from tests.messaging.state import befriend, set_preference

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trio():
    ann = UserFactory(username="ann", display_name="Ann")
    bob = UserFactory(username="bob", display_name="Bob")
    cat = UserFactory(username="cat", display_name="<b>Cat</b>")
    befriend(ann, bob)
    befriend(ann, cat)
    return ann, bob, cat


def make_group(owner, *members, title=""):
    side = groups.group_create(
        creator=owner, usernames=[member.username for member in members], title=title
    )
    return Conversation.objects.get(pk=side.conversation_id)


def test_new_group_lists_friends_and_creates(trio):
    ann, _, _ = trio
    client = logged_in(ann)
    page = client.get("/new-group").content.decode()
    assert 'value="bob"' in page
    assert 'value="cat"' in page
    assert "&lt;b&gt;Cat&lt;/b&gt;" in page

    response = client.post("/new-group", {"usernames": ["bob", "cat"], "title": "Ski"})
    conversation = Conversation.objects.get(kind="group")
    assert response.status_code == 302
    assert response["Location"] == f"/c/{conversation.pk}"
    assert conversation.title == "Ski"


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({"usernames": ["bob"]}, "Name at least 2 other people."),
        ({"usernames": ["bob", "cat"], "title": "x" * 51}, "no more than 50 characters"),
        ({"usernames": ["bob", "zed-nobody"]}, "There is no user named zed-nobody."),
    ],
)
def test_new_group_errors_keep_the_choice(trio, data, sentence):
    ann, _, _ = trio
    response = logged_in(ann).post("/new-group", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert sentence in page
    assert 'value="bob" checked' in page
    assert not Conversation.objects.filter(kind="group").exists()


def test_the_group_page(trio):
    ann, bob, cat = trio
    conversation = make_group(ann, bob, cat)
    services.message_send(sender=bob, conversation=conversation, body="hi <all>")
    privacy_services.block_create(blocker=ann, blocked=cat)
    services.message_send(sender=cat, conversation=conversation, body="secret")

    page = logged_in(ann).get(f"/c/{conversation.pk}").content.decode()

    assert "Bob, &lt;b&gt;Cat&lt;/b&gt;" in page  # no title: the members' names
    assert "3 members" in page
    assert 'class="msg-system"' in page
    assert "ann added bob and cat" in page
    assert '<span class="msg__sender">Bob</span>' in page
    assert "hi &lt;all&gt;" in page
    assert "secret" not in page
    assert "Message from someone you blocked" in page
    assert "Owner" in page
    assert "Remove<span" in page  # the owner's sheet
    assert "data-composer" in page
    # Opening it read it.
    assert Participant.objects.get(user=ann, conversation=conversation).unread_count == 0
    # Bob is no owner: no remove buttons.
    assert "Remove<span" not in logged_in(bob).get(f"/c/{conversation.pk}").content.decode()


def test_the_group_page_has_the_chat_menu_and_the_whole_composer(trio):
    ann, bob, cat = trio
    conversation = make_group(ann, bob, cat)
    page = logged_in(bob).get(f"/c/{conversation.pk}").content.decode()

    assert 'data-conversation-toggle="muted"' in page
    assert 'data-conversation-toggle="pinned"' in page
    assert 'data-dialog-open="leave-dialog"' in page
    assert 'data-dialog-open="delete-dialog"' in page
    assert "The other members keep their copy of the group." in page
    assert 'id="leave-dialog"' in page
    # Photos, videos, voice notes and replies, as in a direct chat.
    assert "data-media-attach" in page
    assert 'data-voice-record data-voice-max="60"' in page
    assert "data-reply-bar" in page


def test_an_invited_user_gets_neither_mute_nor_delete_nor_leave(trio):
    ann, bob, _ = trio
    teen = UserFactory(username="teen", date_of_birth=years_ago(17))
    befriend(ann, teen)
    set_preference(teen, "friends")
    conversation = make_group(ann, bob, teen)
    page = logged_in(teen).get(f"/c/{conversation.pk}").content.decode()

    assert "invited to join" in page
    assert "data-conversation-toggle" not in page
    assert 'id="leave-dialog"' not in page
    assert 'id="delete-dialog"' not in page


def test_send_add_rename_remove_leave_through_the_forms(trio):
    ann, bob, cat = trio
    dan = UserFactory(username="dan")
    befriend(ann, dan)
    conversation = make_group(ann, bob, cat)
    client = logged_in(ann)
    path = f"/c/{conversation.pk}"

    assert client.post(f"{path}/send", {"body": "hello", "client_id": "f-1"}).status_code == 302
    assert client.post(f"{path}/members", {"usernames": ["dan"]}).status_code == 302
    assert client.post(f"{path}/rename", {"title": "Crew"}).status_code == 302
    assert client.post(f"{path}/members/cat/remove").status_code == 302
    bodies = list(conversation.messages.order_by("seq").values_list("body", flat=True))
    assert bodies[-4:] == [
        "hello",
        "ann added dan",
        'ann named the group "Crew"',
        "ann removed cat",
    ]

    # A refusal is shown as its sentence.
    response = client.post(f"{path}/members", {"usernames": ["dan"]}, follow=True)
    assert "dan is already in this group." in response.content.decode()
    response = logged_in(bob).post(f"{path}/members/dan/remove", follow=True)
    assert "Only the group&#x27;s owner can remove people." in response.content.decode()

    leaving = logged_in(bob).post(f"{path}/members/bob/remove")
    assert leaving["Location"] == "/"
    page = logged_in(cat).get(path).content.decode()
    assert "You&#x27;re no longer in this group." in page
    assert "data-composer" not in page


def test_an_invitation_in_requests_with_join_and_decline(trio):
    ann, bob, _ = trio
    tia = UserFactory(username="tia", date_of_birth=years_ago(16))
    befriend(ann, tia)
    set_preference(tia, "friends")
    conversation = make_group(ann, bob, tia, title="Club")
    services.message_send(sender=bob, conversation=conversation, body="not for tia yet")
    client = logged_in(tia)

    requests = client.get("/requests").content.decode()
    assert "Club" in requests
    assert "not for tia yet" not in requests
    page = client.get(f"/c/{conversation.pk}").content.decode()
    assert "invited to join <strong>Club</strong>" in page
    assert "Join" in page
    assert "Decline" in page
    assert "not for tia yet" not in page

    assert client.post(f"/c/{conversation.pk}/accept").status_code == 302
    page = client.get(f"/c/{conversation.pk}").content.decode()
    assert "tia joined" in page
    assert "not for tia yet" not in page
    assert "data-composer" in page
    assert "Club" in client.get("/").content.decode()


def test_declining_an_invitation(trio):
    ann, bob, _ = trio
    tia = UserFactory(username="tia", date_of_birth=years_ago(17))
    befriend(ann, tia)
    set_preference(tia, "friends")
    conversation = make_group(ann, bob, tia)
    response = logged_in(tia).post(f"/c/{conversation.pk}/delete")
    assert response["Location"] == "/requests"
    assert logged_in(tia).get(f"/c/{conversation.pk}").status_code == 404


def test_the_inbox_shows_groups(trio):
    ann, bob, cat = trio
    conversation = make_group(ann, bob, cat, title="<i>Trip</i>")
    services.message_send(sender=bob, conversation=conversation, body="see you")
    page = logged_in(cat).get("/").content.decode()
    assert "&lt;i&gt;Trip&lt;/i&gt;" in page
    assert "Bob: see you" in page
    assert 'class="avatar-stack"' in page


def test_group_forms_on_a_direct_chat_are_404(trio):
    ann, bob, _ = trio
    message, _ = services.message_send(sender=ann, recipient=bob, body="hi")
    client = logged_in(ann)
    for path in ("members", "rename", "members/bob/remove"):
        assert client.post(f"/c/{message.conversation_id}/{path}").status_code == 404
