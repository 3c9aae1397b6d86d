"""The chat in the browser: live messages, the unread badge, typing, denials, escaping,
reconnecting and reporting."""

import re

import pytest
from playwright.sync_api import expect

from messaging import services
from messaging.models import Message
from privacy.services import follow_create, privacy_settings_update
from tests.e2e.conftest import off_loop
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def befriend(one, other) -> None:
    follow_create(follower=one, followee=other)
    follow_create(follower=other, followee=one)


def send(sender, recipient, body: str) -> Message:
    """A message sent through the service, as another device of `sender` would."""
    message, _ = off_loop(services.message_send, sender=sender, recipient=recipient, body=body)
    return message


def chat_url(user, other) -> str:
    """The conversation's page; both have opened it, so both may view it."""
    services.conversation_open(user=other, other=user)
    participant, _ = services.conversation_open(user=user, other=other)
    return f"/c/{participant.conversation_id}"


def bodies(page):
    return page.locator("[data-messages] .msg__body")


def composer(page):
    return page.get_by_role("textbox", name=re.compile(r"^Message "))


@pytest.fixture
def alice_and_bob():
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob")
    befriend(alice, bob)
    return alice, bob


def test_live_message_typing_and_the_unread_badge(alice_and_bob, browser_for):
    alice, bob = alice_and_bob
    bob_inbox = browser_for(bob)
    bob_inbox.goto("/")
    badge = bob_inbox.locator("[data-unread-badge]")
    expect(badge).to_be_hidden()
    expect(bob_inbox.get_by_text("No messages yet")).to_be_visible()

    alice_page = browser_for(alice)
    alice_page.goto("/u/bob")
    alice_page.get_by_role("button", name="Message", exact=True).click()
    expect(alice_page).to_have_url(re.compile(r"/c/\d+$"))
    alice_page.wait_for_load_state()
    composer(alice_page).fill("Hi Bob!")
    composer(alice_page).press("Enter")
    expect(bodies(alice_page)).to_have_text(["Hi Bob!"])
    expect(alice_page.locator(".msg--mine[data-id]")).to_have_count(1)  # confirmed by the server
    expect(composer(alice_page)).to_have_value("")

    # Bob's inbox, open in another browser: the chat appears and the badge rises.
    row = bob_inbox.locator("[data-inbox-list] .convo")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Hi Bob!")
    expect(bob_inbox.locator("[data-unread-count]")).to_have_text("1")
    expect(bob_inbox.get_by_text("No messages yet")).to_be_hidden()

    composer(alice_page).fill("Are you there?\nI have news")  # Shift+Enter would add the line
    composer(alice_page).press("Shift+Enter")
    composer(alice_page).press_sequentially("!")
    composer(alice_page).press("Enter")
    expect(bodies(alice_page)).to_have_text(["Hi Bob!", "Are you there?\nI have news\n!"])
    expect(bob_inbox.locator("[data-unread-count]")).to_have_text("2")
    expect(row.locator(".convo__unread")).to_contain_text("2")

    # Bob opens the chat in a second tab: both messages are there, and reading them
    # clears the badge of the first tab live.
    bob_chat = bob_inbox.context.new_page()
    bob_chat.goto(alice_page.url)
    expect(bodies(bob_chat)).to_have_text(["Hi Bob!", "Are you there?\nI have news\n!"])
    expect(badge).to_be_hidden()
    expect(row.locator(".convo__unread")).to_have_count(0)

    # Typing shows on the other side, for a few seconds.
    bob_chat.wait_for_function("window.dmsite.socket.isOpen()")  # else no `typing` leaves
    composer(bob_chat).press_sequentially("Yes")
    typing = alice_page.locator("[data-typing]")
    expect(typing).to_have_text("Bob is typing…")
    composer(bob_chat).press_sequentially(", I'm here")
    composer(bob_chat).press("Enter")
    expect(bodies(alice_page).last).to_have_text("Yes, I'm here")
    expect(typing).to_have_text("")  # their message ends the typing note
    expect(alice_page.locator(".msg--theirs .msg__body")).to_have_text(["Yes, I'm here"])

    # Bob is in the chat: Alice's next message is read at once, no badge anywhere.
    composer(alice_page).fill("Great")
    composer(alice_page).press("Enter")
    expect(bodies(bob_chat).last).to_have_text("Great")
    expect(badge).to_be_hidden()
    assert Message.objects.count() == 4
    assert bob_inbox.dialogs == alice_page.dialogs == []


def test_a_user_without_a_verified_phone_sees_why_they_cannot_send(browser_for):
    alice = UserFactory(username="alice", display_name="Alice")
    dave = UserFactory(username="dave", display_name="Dave", phone_verified=False)
    befriend(alice, dave)
    page = browser_for(dave)
    page.goto("/u/alice")
    page.get_by_role("button", name="Message", exact=True).click()

    notice = page.locator("[data-denial]")
    expect(notice).to_contain_text("Add and verify a phone number to send messages.")
    expect(composer(page)).to_have_count(0)
    page.get_by_role("link", name="Add phone number").click()
    expect(page).to_have_url(re.compile(r"/settings/phone$"))


def test_a_send_the_policy_refuses_shows_its_sentence(browser_for):
    """A stranger may send DM_REQUEST_MAX_MESSAGES (3) requests; the 4th is refused live."""
    alice = UserFactory(username="alice", display_name="Alice")
    carol = UserFactory(username="carol", display_name="Carol")
    privacy_settings_update(user=alice, dm_preference="everyone")
    page = browser_for(carol)
    page.goto("/u/alice")
    expect(page.get_by_role("button", name="Message", exact=True)).to_have_count(0)
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="Send message").click()
    expect(page).to_have_url(re.compile(r"/c/\d+$"))
    page.wait_for_load_state()

    for number in range(1, 4):
        composer(page).fill(f"Request {number}")
        composer(page).press("Enter")
        expect(page.locator(".msg--mine[data-id]")).to_have_count(number)
    composer(page).fill("One more")
    composer(page).press("Enter")

    error = page.get_by_role("alert")
    expect(error).to_have_text("Wait until they accept your message request before sending more.")
    expect(bodies(page)).to_have_text(["Request 1", "Request 2", "Request 3"])
    expect(composer(page)).to_have_value("One more")  # nothing typed is lost
    assert Message.objects.count() == 3

    alice_page = browser_for(alice)
    alice_page.goto("/")
    expect(alice_page.get_by_role("link", name=re.compile("Message requests"))).to_contain_text(
        "1 pending"
    )
    expect(alice_page.locator("[data-unread-badge]")).to_be_hidden()  # requests don't count


def test_markup_in_a_message_is_shown_as_text(alice_and_bob, browser_for):
    alice, bob = alice_and_bob
    url = chat_url(alice, bob)
    alice_page, bob_page = browser_for(alice), browser_for(bob)
    alice_page.goto(url)
    bob_page.goto(url)
    bob_inbox = bob_page.context.new_page()
    bob_inbox.goto("/")
    markup = "<script>alert(1)</script><b>bold</b>"

    composer(alice_page).fill(markup)
    composer(alice_page).press("Enter")

    for page in (alice_page, bob_page):
        expect(bodies(page)).to_have_text([markup])  # live, built by chat.js
        assert page.locator("main b, main script").count() == 0
    expect(bob_inbox.locator(".convo__preview")).to_have_text(markup)  # built by inbox.js
    assert bob_inbox.locator("main b, main script").count() == 0
    assert bob_inbox.dialogs == []
    bob_page.reload()  # drawn by the server this time
    expect(bodies(bob_page)).to_have_text([markup])
    assert bob_page.locator("main b, main script").count() == 0
    bob_page.goto("/")
    expect(bob_page.locator(".convo__preview")).to_have_text(markup)
    assert bob_page.locator("main b, main script").count() == 0
    for page in (alice_page, bob_page):
        assert page.dialogs == []
    assert Message.objects.get().body == markup


def test_reconnecting_catches_up_without_losing_or_repeating(
    alice_and_bob, browser_for, server, start_daphne
):
    alice, bob = alice_and_bob
    url = chat_url(alice, bob)
    send(alice, bob, "before")
    alice_page, bob_page = browser_for(alice), browser_for(bob)
    alice_page.goto(url)
    bob_page.goto(url)
    expect(bodies(bob_page)).to_have_text(["before"])
    for page in (alice_page, bob_page):  # both sockets are up
        page.wait_for_function("window.dmsite.socket.isOpen()")

    server.process.terminate()
    server.process.wait(timeout=10)
    expect(bob_page.get_by_role("status").filter(has_text="Reconnecting…")).to_be_visible()
    # Alice writes while the server is away: her message waits, then goes once.
    composer(alice_page).fill("written offline")
    composer(alice_page).press("Enter")
    expect(alice_page.locator(".msg--pending")).to_have_count(1)
    # Alice's phone sends two more that no socket hears about.
    send(alice, bob, "missed 1")
    send(alice, bob, "missed 2")

    start_daphne(port=server.port)
    for page in (alice_page, bob_page):
        # The device has network again (navigator's "online"): no need to wait for backoff.
        page.context.set_offline(True)
        page.context.set_offline(False)

    expected = ["before", "missed 1", "missed 2", "written offline"]
    expect(bodies(bob_page)).to_have_text(expected, timeout=15_000)
    expect(bodies(alice_page)).to_have_text(expected, timeout=15_000)
    expect(alice_page.locator(".msg--pending")).to_have_count(0)
    expect(bob_page.get_by_role("status").filter(has_text="Reconnecting…")).to_be_hidden()
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == expected


def test_report_from_the_conversation_menu(alice_and_bob, browser_for):
    alice, bob = alice_and_bob
    send(bob, alice, "buy cheap followers at scam.example")
    page = browser_for(alice)
    page.goto(chat_url(alice, bob))

    menu_button = page.get_by_role("button", name="More options")
    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    page.get_by_role("menuitem", name="Report").click()
    dialog = page.get_by_role("dialog", name="Report")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You are reporting your chat with Bob.")
    for reason in (
        "Spam",
        "Harassment or bullying",
        "Hate speech",
        "Sexual content involving minors",
        "Violence",
        "Scam or fraud",
        "Other",
    ):
        expect(dialog.get_by_label(reason)).to_be_visible()

    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a reason for your report.")

    dialog.get_by_label("Scam or fraud").check()
    dialog.get_by_label("Details (optional)").fill("Selling followers")
    with page.expect_response("**/api/v1/reports") as answer:
        dialog.get_by_role("button", name="Submit").click()
    response = answer.value
    request = response.request
    assert request.headers["x-csrftoken"]  # session auth: the CSRF token goes along
    conversation_id = int(page.url.rsplit("/", 1)[1])
    assert request.post_data_json == {
        "target_type": "conversation",
        "target_id": conversation_id,
        "reason": "scam",
        "details": "Selling followers",
        "block": False,
    }
    if response.ok:
        expect(dialog.get_by_role("status")).to_have_text(
            "Thanks for reporting. Our team will review it."
        )
    else:  # whatever the reports API answers, its sentence is shown
        expect(dialog.get_by_role("alert")).to_have_text(response.json()["detail"])
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(menu_button).to_be_focused()
