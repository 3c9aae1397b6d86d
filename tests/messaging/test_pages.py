"""The chat pages (Django test client): inbox, requests, conversation, search, profiles."""

import re

import pytest
from django.test import Client

from dmsite.env import Rate
from messaging.models import Message, Participant
from messaging.selectors import unread_total
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, send, set_preference

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert(1)</script><b>bold</b> & "quotes"'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;"


@pytest.fixture
def alice():
    return UserFactory(username="alice", display_name="Alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob", display_name="Bob")


@pytest.fixture
def friends(alice, bob):
    befriend(alice, bob)
    return alice, bob


@pytest.fixture
def chat(friends):
    """Bob wrote to Alice: the conversation id."""
    alice, bob = friends
    return send(bob, alice, "hello Alice").conversation_id


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts(html: str, css_class: str) -> list[str]:
    return re.findall(rf'class="{css_class}"[^>]*>(.*?)</', html, re.S)


# --- every page renders, and only for a logged-in user ------------------------------------


def page_urls(chat):
    return [
        *["/", "/requests", "/home", "/search", "/search?q=bo"],
        *["/u/bob", "/u/alice", f"/c/{chat}"],
    ]


def test_every_page_renders_for_a_logged_in_user(alice, chat):
    client = logged_in(alice)
    for url in page_urls(chat):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'data-user="alice"' in response.text, url


def test_anonymous_users_are_sent_to_log_in(chat):
    client = Client()
    for url in [*page_urls(chat), f"/c/{chat}/send", "/u/bob/message"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login?next=/"), url


@pytest.mark.parametrize(
    "url", ["/c/999", "/c/99999999999999999999999", "/u/nobody", "/u/a%00b", "/u/" + "x" * 300]
)
def test_unknown_things_are_404_with_the_page_template(alice, url):
    response = logged_in(alice).get(url)
    assert response.status_code == 404
    assert "This page isn't available" in response.text


def test_a_conversation_you_are_not_in_is_404(chat):
    stranger = UserFactory(username="stranger")
    assert logged_in(stranger).get(f"/c/{chat}").status_code == 404
    assert logged_in(stranger).post(f"/c/{chat}/send", {"body": "hi"}).status_code == 404


# --- the inbox and the unread badge ----------------------------------------------------


def test_the_inbox_lists_conversations_with_the_unread_badge(friends, chat):
    alice, bob = friends
    send(bob, alice, "second")
    html = logged_in(alice).get("/").text

    assert texts(html, "convo__name") == ["Bob"]
    assert texts(html, "convo__preview") == ["second"]
    assert re.search(r"data-unread-badge>\s*<span data-unread-count>2</span>", html)
    assert "No pending requests" in html


def test_requests_stay_out_of_the_inbox_and_out_of_the_badge(alice):
    carol = UserFactory(username="carol", display_name="Carol")
    set_preference(alice, "everyone")
    send(carol, alice, "may I?")
    client = logged_in(alice)

    inbox = client.get("/").text
    assert texts(inbox, "convo__name") == []
    assert "1 pending" in inbox
    assert re.search(r"data-unread-badge hidden>", inbox)
    requests = client.get("/requests").text
    assert texts(requests, "convo__name") == ["Carol"]


def test_accepting_a_request_moves_it_to_the_inbox(alice):
    carol = UserFactory(username="carol", display_name="Carol")
    set_preference(alice, "everyone")
    conversation = send(carol, alice, "may I?").conversation_id
    client = logged_in(alice)
    page = client.get(f"/c/{conversation}").text
    assert "wants to send you a message" in page

    response = client.post(f"/c/{conversation}/accept")

    assert response["Location"] == f"/c/{conversation}"
    assert texts(client.get("/").text, "convo__name") == ["Carol"]


def test_deleting_a_chat_hides_it_for_me_only(friends, chat):
    alice, bob = friends
    response = logged_in(alice).post(f"/c/{chat}/delete", follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert "Chat deleted." in response.text
    assert texts(response.text, "convo__name") == []
    assert texts(logged_in(bob).get("/").text, "convo__name") == ["Alice"]


def test_opening_a_conversation_reads_it(friends, chat):
    alice, bob = friends
    send(bob, alice, "another")
    assert unread_total(user=alice) == 2

    logged_in(alice).get(f"/c/{chat}")

    assert unread_total(user=alice) == 0


# --- the conversation ------------------------------------------------------------------


def test_the_conversation_shows_the_history_and_the_composer(friends, chat):
    alice, bob = friends
    send(alice, bob, "hi Bob")
    html = logged_in(alice).get(f"/c/{chat}").text

    assert texts(html, "msg__body") == ["hello Alice", "hi Bob"]
    assert '<label class="sr-only" for="id_body">Message Bob</label>' in html
    assert 'aria-controls="chat-menu"' in html
    for item in ("Report", "Block", "Delete chat"):
        assert re.search(rf'<button role="menuitem"[^>]*>{item}</button>', html), item
    assert 'data-last-seq="2"' in html


def test_message_text_is_escaped_everywhere(friends, chat):
    alice, bob = friends
    send(bob, alice, MARKUP)
    client = logged_in(alice)
    for url in [f"/c/{chat}", "/"]:
        html = client.get(url).text
        assert ESCAPED in html, url
        assert "<b>bold</b>" not in html, url
        assert "<script>alert" not in html, url


def test_names_are_escaped(alice):
    mallory = UserFactory(username="mallory", display_name='"><svg onload=alert(1)>')
    befriend(alice, mallory)
    send(mallory, alice, "hi")
    client = logged_in(alice)
    for url in ["/", "/home", "/u/mallory", "/search?q=mallory"]:
        html = client.get(url).text
        assert "<svg onload" not in html, url
        assert "&lt;svg onload=alert(1)&gt;" in html, url


def test_sending_without_javascript(friends, chat):
    alice, _ = friends
    response = logged_in(alice).post(f"/c/{chat}/send", {"body": "  by form  ", "client_id": "f1"})

    assert (response.status_code, response["Location"]) == (302, f"/c/{chat}")
    message = Message.objects.get(sender=alice)
    assert (message.body, message.client_id) == ("by form", "f1")


def test_the_same_form_sent_twice_stores_one_message(friends, chat):
    alice, _ = friends
    client = logged_in(alice)
    client_id = re.search(r'name="client_id" value="(\w+)"', client.get(f"/c/{chat}").text)[1]
    for _ in range(2):
        response = client.post(f"/c/{chat}/send", {"body": "once", "client_id": client_id})
        assert response.status_code == 302
    assert list(Message.objects.filter(sender=alice).values_list("body", flat=True)) == ["once"]


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ("   ", "Write something before sending."),
        ("x" * 2001, "Messages can be at most 2000 characters."),
        ("nul\x00", "Null characters are not allowed."),
        ("bell\x07", "Text must not contain control characters."),
    ],
)
def test_a_bad_message_re_renders_the_conversation_with_the_error(friends, chat, body, sentence):
    alice, _ = friends
    response = logged_in(alice).post(f"/c/{chat}/send", {"body": body})

    assert response.status_code == 200
    assert sentence in texts(response.text, "composer__error")[0]
    assert not Message.objects.filter(sender=alice).exists()


def test_csrf_is_enforced_on_send(friends, chat):
    alice, _ = friends
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/c/{chat}/send", {"body": "hi"}).status_code == 403

    token = client.get(f"/c/{chat}").cookies["csrftoken"].value
    response = client.post(f"/c/{chat}/send", {"body": "hi", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Message.objects.filter(sender=alice, body="hi").exists()


def test_without_a_verified_phone_the_policy_sentence_replaces_the_composer(alice):
    dave = UserFactory(username="dave", display_name="Dave", phone_verified=False)
    befriend(alice, dave)
    conversation = send(alice, dave, "hi Dave").conversation_id
    client = logged_in(dave)

    html = client.get(f"/c/{conversation}").text
    assert "Add and verify a phone number to send messages." in html
    assert 'name="body"' not in html
    assert 'href="/settings/phone"' in html

    # Posting anyway asks the same policy: nothing is stored.
    response = client.post(f"/c/{conversation}/send", {"body": "sneaky"})
    assert response.status_code == 200
    assert "Add and verify a phone number to send messages." in response.text
    assert not Message.objects.filter(sender=dave).exists()


def test_a_chat_with_someone_you_blocked_is_read_only(friends, chat):
    alice, bob = friends
    privacy_services.block_create(blocker=alice, blocked=bob)
    html = logged_in(alice).get(f"/c/{chat}").text

    assert texts(html, "msg__body") == ["hello Alice"]
    assert "You blocked this user. Unblock them first." in html
    assert 'name="body"' not in html
    assert 'action="/u/bob/unblock"' in html


def test_a_chat_with_someone_who_blocked_you_says_only_that_they_are_unavailable(friends, chat):
    alice, bob = friends
    privacy_services.block_create(blocker=alice, blocked=bob)
    html = logged_in(bob).get(f"/c/{chat}").text
    assert "This account isn&#x27;t available." in html
    assert "blocked" not in html.lower()


def test_earlier_messages_are_paged(friends, chat, settings):
    settings.RATE_MESSAGES = Rate(1000, 60)
    alice, bob = friends
    for number in range(60):
        send(bob, alice, f"m{number}")
    client = logged_in(alice)
    html = client.get(f"/c/{chat}").text
    bodies = texts(html, "msg__body")
    assert (len(bodies), bodies[-1]) == (50, "m59")
    before = re.search(r'href="\?before=(\d+)"', html).group(1)
    earlier = texts(client.get(f"/c/{chat}?before={before}").text, "msg__body")
    assert earlier == ["hello Alice"] + [f"m{n}" for n in range(10)]
    assert client.get(f"/c/{chat}?before=abc").status_code == 200


# --- people: search, profiles, opening a chat ----------------------------------------------


def test_the_message_button_shows_only_between_friends(alice, bob):
    client = logged_in(alice)

    def message_button() -> bool:
        return ">Message</button>" in client.get("/u/bob").text

    assert not message_button()
    privacy_services.follow_create(follower=alice, followee=bob)
    assert not message_button()
    privacy_services.follow_create(follower=bob, followee=alice)
    assert message_button()
    html = client.get("/u/bob").text
    for item in ("Send message", "Block", "Report"):
        assert f">{item}</button>" in html
    assert 'aria-expanded="false"' in html


def test_opening_a_chat_from_a_profile(alice, bob):
    response = logged_in(alice).post("/u/bob/message")

    participant = Participant.objects.get(user=alice, other=bob)
    assert response["Location"] == f"/c/{participant.conversation_id}"
    assert not Message.objects.exists()  # opening a chat sends nothing


def test_someone_who_blocked_you_has_no_profile_and_no_chat(alice, bob):
    privacy_services.block_create(blocker=bob, blocked=alice)
    client = logged_in(alice)
    assert client.get("/u/bob").status_code == 404
    assert client.post("/u/bob/message").status_code == 404
    assert "@bob" not in client.get("/search?q=bob").text


def test_search_finds_people_and_bad_queries_are_errors_not_500s(alice, bob):
    client = logged_in(alice)
    assert "@bob" in client.get("/search?q=BO").text
    assert "No results" in client.get("/search?q=zzz").text
    for query in ["%00", "x" * 51, "%ff%fe"]:
        response = client.get(f"/search?q={query}")
        assert response.status_code == 200, query


def test_home_lists_friends_with_a_message_button(friends):
    alice, _ = friends
    html = logged_in(alice).get("/home").text
    assert "@bob" in html
    assert 'action="/u/bob/message"' in html


def test_own_profile_links_the_settings_and_logs_out(alice):
    html = logged_in(alice).get("/u/alice").text
    assert 'href="/settings/phone"' in html
    assert 'href="/settings/privacy"' in html
    assert 'action="/logout"' in html
    assert "More options" not in html
