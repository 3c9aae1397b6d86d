"""Group chats in the browser: three users create a group and chat live, one is removed
and stops receiving, a 17-year-old accepts an invitation."""

import re

import pytest
from playwright.sync_api import expect

from messaging import groups
from messaging.models import Conversation, Message, Participant
from privacy.services import follow_create, privacy_settings_update
from tests.conftest import years_ago
from tests.e2e.conftest import off_loop
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def befriend(one, other) -> None:
    follow_create(follower=one, followee=other)
    follow_create(follower=other, followee=one)


def composer(page):
    return page.get_by_role("textbox", name=re.compile(r"^Message "))


def bodies(page):
    return page.locator("[data-messages] .msg__body")


def say(page, text: str) -> None:
    composer(page).fill(text)
    composer(page).press("Enter")


@pytest.fixture
def three():
    ann = UserFactory(username="ann", display_name="Ann")
    bob = UserFactory(username="bob", display_name="Bob")
    cat = UserFactory(username="cat", display_name="Cat")
    befriend(ann, bob)
    befriend(ann, cat)
    return ann, bob, cat


def test_three_create_a_group_chat_live_and_one_is_removed(three, browser_for):
    ann, bob, cat = three
    bob_page, cat_page = browser_for(bob), browser_for(cat)
    bob_page.goto("/")
    cat_page.goto("/")

    ann_page = browser_for(ann)
    ann_page.goto("/")
    ann_page.get_by_role("link", name="New group").click()
    expect(ann_page).to_have_url(re.compile(r"/new-group$"))
    ann_page.wait_for_load_state("load")  # groups.js listens to the search box
    ann_page.get_by_label("Search friends").fill("ca")
    expect(ann_page.get_by_text("@bob")).to_be_hidden()  # the search filters the list
    ann_page.get_by_label(re.compile("Cat")).check()
    ann_page.get_by_label("Search friends").fill("")
    ann_page.get_by_label(re.compile("Bob")).check()
    ann_page.get_by_label("Group name (optional)").fill("Ski trip")
    ann_page.get_by_role("button", name="Create group").click()
    expect(ann_page).to_have_url(re.compile(r"/c/\d+$"))
    expect(ann_page.locator("[data-group-name]")).to_have_text("Ski trip")
    expect(ann_page.locator("[data-member-count]")).to_have_text("3 members")
    expect(ann_page.locator(".msg-system")).to_have_text(
        ["ann created the group", "ann added bob and cat"]
    )
    group_url = ann_page.url

    # Bob's and Cat's inboxes show the new group live.
    for page in (bob_page, cat_page):
        expect(page.locator("[data-inbox-list] .convo")).to_contain_text("Ski trip")
    bob_page.goto(group_url)
    cat_page.goto(group_url)
    for page in (ann_page, bob_page, cat_page):
        page.wait_for_function("window.dmsite.socket.isOpen()")

    say(bob_page, "Hi all")
    for page in (ann_page, cat_page):
        expect(bodies(page).last).to_have_text("Hi all")
        expect(page.locator(".msg--theirs .msg__sender").last).to_have_text("Bob")
    composer(cat_page).press_sequentially("Ye")
    expect(ann_page.locator("[data-typing]")).to_have_text("Cat is typing…")
    expect(bob_page.locator("[data-typing]")).to_have_text("Cat is typing…")
    composer(cat_page).press("Enter")
    expect(bodies(bob_page).last).to_have_text("Ye")

    # Ann removes Cat from the members sheet.
    ann_page.get_by_role("button", name=re.compile("show members")).click()
    members = ann_page.locator("#members-dialog")
    expect(members.locator(".members__badge").first).to_have_text("Owner")
    members.get_by_role("button", name="Remove cat").click()
    expect(ann_page.locator(".msg-system").last).to_have_text("ann removed cat")
    expect(ann_page.locator("[data-member-count]")).to_have_text("2 members")
    expect(bob_page.locator(".msg-system").last).to_have_text("ann removed cat")
    expect(cat_page.get_by_text("You're no longer in this group.")).to_be_visible()

    say(bob_page, "Cat is gone")
    expect(bodies(ann_page).last).to_have_text("Cat is gone")
    cat_page.wait_for_timeout(500)
    expect(cat_page.get_by_text("Cat is gone")).to_have_count(0)
    conversation = Conversation.objects.get(kind="group")
    assert list(
        conversation.messages.filter(kind="text").order_by("seq").values_list("body", flat=True)
    ) == [
        "Hi all",
        "Ye",
        "Cat is gone",
    ]


def test_a_17_year_old_accepts_an_invitation(three, browser_for):
    ann, bob, _ = three
    tia = UserFactory(username="tia", display_name="Tia", date_of_birth=years_ago(17))
    befriend(ann, tia)
    privacy_settings_update(user=tia, dm_preference="friends")
    side = off_loop(groups.group_create, creator=ann, usernames=["bob", "tia"], title="Club")
    conversation = Conversation.objects.get(pk=side.conversation_id)

    tia_page = browser_for(tia)
    tia_page.goto("/")
    expect(tia_page.locator("[data-inbox-list] .convo")).to_have_count(0)
    tia_page.goto("/requests")
    tia_page.get_by_role("link", name=re.compile("Club")).click()
    expect(tia_page.get_by_text("You're invited to join")).to_be_visible()
    expect(composer(tia_page)).to_have_count(0)
    tia_page.get_by_role("button", name="Join").click()
    expect(tia_page.locator(".msg-system")).to_have_text(["tia joined"])
    tia_page.wait_for_function("window.dmsite.socket.isOpen()")

    bob_page = browser_for(bob)
    bob_page.goto(f"/c/{conversation.pk}")
    bob_page.wait_for_function("window.dmsite.socket.isOpen()")
    say(bob_page, "Welcome Tia")
    expect(bodies(tia_page).last).to_have_text("Welcome Tia")
    say(tia_page, "Thanks!")
    expect(bodies(bob_page).last).to_have_text("Thanks!")
    assert Message.objects.filter(conversation=conversation, sender=tia, kind="text").count() == 1


def test_a_member_mutes_pins_and_leaves_from_the_group_menu(three, browser_for):
    ann, bob, _ = three
    side = off_loop(groups.group_create, creator=ann, usernames=["bob", "cat"], title="Crew")
    conversation = Conversation.objects.get(pk=side.conversation_id)
    bob_side = Participant.objects.get(conversation=conversation, user=bob)

    page = browser_for(bob)
    page.goto(f"/c/{conversation.pk}")
    page.wait_for_load_state("load")  # conversation-menu.js and menus.js listen
    more = page.get_by_role("button", name="More options")
    muted_icon = page.locator(".topbar").get_by_role("img", name="Muted")
    expect(muted_icon).to_be_hidden()
    more.click()
    page.get_by_role("menuitem", name="Mute").click()
    expect(page.get_by_text("Muted: no notifications from this chat.")).to_be_visible()
    expect(muted_icon).to_be_visible()
    more.click()
    page.get_by_role("menuitem", name="Pin").click()
    expect(page.get_by_text("Pinned to the top of your inbox.")).to_be_visible()
    bob_side.refresh_from_db()
    assert (bob_side.muted, bob_side.pinned) == (True, True)

    more.click()
    page.get_by_role("menuitem", name="Leave group").click()
    dialog = page.get_by_role("dialog", name="Leave Crew?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    bob_side.refresh_from_db()
    assert bob_side.state == "member"  # nothing happened yet
    more.click()
    page.get_by_role("menuitem", name="Leave group").click()
    dialog.get_by_role("button", name="Leave").click()
    expect(page).to_have_url(re.compile(r"/$"))
    bob_side.refresh_from_db()
    assert bob_side.state == "left"
    assert conversation.messages.order_by("seq").last().body == "bob left"
