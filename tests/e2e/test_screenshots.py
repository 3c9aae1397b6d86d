"""Screenshots of the inbox, a conversation and a profile, at a phone's size (390 by 844).

They go to test-artifacts/screenshots/ (see conftest.SCREENSHOTS); the README shows a
copy of the conversation (docs/screenshots/chat.png).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging import services
from messaging.models import Message, Participant
from privacy.services import follow_create, privacy_settings_update
from tests.e2e.conftest import VIEWPORT, off_loop
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def befriend(one, other) -> None:
    follow_create(follower=one, followee=other)
    follow_create(follower=other, followee=one)


def chat(messages: list[tuple], *, ago: timedelta) -> None:
    """Send (sender, recipient, body, minutes after the first) and date them in the past."""
    start = timezone.now() - ago
    for sender, recipient, body, minutes in messages:
        message, _ = off_loop(services.message_send, sender=sender, recipient=recipient, body=body)
        at = start + timedelta(minutes=minutes)
        Message.objects.filter(pk=message.pk).update(created_at=at)
        Participant.objects.filter(conversation=message.conversation).update(activity_at=at)


def test_screenshots_of_the_inbox_a_conversation_and_a_profile(browser_for, screenshot):
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob.rides", display_name="Bob Rivera", bio="Skater. Coffee. Dogs.")
    carol = UserFactory(username="carol", display_name="Carol Chen")
    dan = UserFactory(username="dan", display_name="Dan Okafor")
    eve = UserFactory(username="eve", display_name="Eve")
    for friend in (bob, carol, dan):
        befriend(alice, friend)
    follow_create(follower=carol, followee=bob)
    privacy_settings_update(user=alice, dm_preference="everyone")

    chat(
        [
            (alice, dan, "Thanks for the notes from class", 0),
            (dan, alice, "Anytime! See you tomorrow", 3),
            (alice, dan, "See you tomorrow", 4),
        ],
        ago=timedelta(days=3),
    )
    chat(
        [
            (carol, alice, "Did you see the new dance trend?", 0),
            (carol, alice, "We have to try it this weekend", 1),
        ],
        ago=timedelta(hours=2),
    )
    chat(
        [
            (bob, alice, "Hey! Are you coming to the skate park later?", 0),
            (alice, bob, "Yes! Around 6?", 2),
            (bob, alice, "Perfect. Bring the new board", 3),
            (alice, bob, "I just landed my first kickflip!!", 18 * 60),
            (bob, alice, "No way! Video or it didn't happen", 18 * 60 + 1),
            (alice, bob, "Filming it tonight, I promise", 18 * 60 + 2),
        ],
        ago=timedelta(hours=18, minutes=3),
    )
    chat([(eve, alice, "Hi! Love your videos", 0)], ago=timedelta(minutes=30))
    for friend in (bob, dan):  # Alice has read these two chats
        side = Participant.objects.select_related("conversation").get(user=alice, other=friend)
        off_loop(services.conversation_mark_read, participant=side, up_to=2**62)

    page = browser_for(alice)
    assert page.viewport_size == VIEWPORT
    page.goto("/")
    expect(page.locator("[data-inbox-list] .convo")).to_have_count(3)
    expect(page.locator("[data-unread-count]")).to_have_text("2")
    screenshot(page, "inbox")

    page.locator("[data-inbox-list] .convo").first.click()
    expect(page.locator("[data-messages] .msg")).to_have_count(6)
    # Bob starts typing in his own browser: Alice sees it live.
    bob_page = browser_for(bob)
    bob_page.goto(page.url)
    for either in (page, bob_page):  # a keystroke before the socket is up sends no `typing`
        either.wait_for_function("window.dmsite.socket.isOpen()")
    bob_page.get_by_role("textbox", name="Message Alice").press_sequentially("haha")
    expect(page.locator("[data-typing]")).to_have_text("Bob Rivera is typing…")
    screenshot(page, "conversation")

    page.goto("/u/bob.rides")
    expect(page.get_by_role("button", name="Message", exact=True)).to_be_visible()
    screenshot(page, "profile")
