"""Profiles, search, following, blocking from the ⋯ menu and the DM preference."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Follow, User
from messaging import services
from privacy.models import Block
from privacy.selectors import privacy_settings_for
from privacy.services import follow_create
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def composer(page):
    return page.get_by_role("textbox", name=re.compile(r"^Message "))


def test_two_users_follow_each_other_and_get_the_message_button(browser_for):
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob Builder")
    alice_page, bob_page = browser_for(alice), browser_for(bob)

    # Alice finds Bob from Home's search and follows him.
    alice_page.goto("/home")
    alice_page.get_by_label("Search people").fill("build")
    alice_page.get_by_label("Search people").press("Enter")
    alice_page.get_by_role("link", name=re.compile("Bob Builder")).click()
    expect(alice_page).to_have_url(re.compile(r"/u/bob$"))
    expect(alice_page.get_by_role("button", name="Message", exact=True)).to_have_count(0)
    alice_page.get_by_role("button", name="Follow", exact=True).click()
    expect(alice_page.get_by_role("button", name="Unfollow @bob")).to_have_text("Following")
    expect(alice_page.get_by_role("button", name="Message", exact=True)).to_have_count(0)

    # Bob follows back: they are friends, and both profiles get the Message button.
    bob_page.goto("/u/alice")
    expect(bob_page.get_by_text("Follows you")).to_be_visible()
    bob_page.get_by_role("button", name="Follow back").click()
    expect(bob_page.get_by_role("button", name="Unfollow @alice")).to_have_text("Friends")
    expect(bob_page.get_by_role("button", name="Message", exact=True)).to_be_visible()
    expect(bob_page.locator(".profile__stats")).to_contain_text("1 Following")

    alice_page.reload()
    expect(alice_page.get_by_role("button", name="Unfollow @bob")).to_have_text("Friends")
    assert set(Follow.objects.values_list("follower__username", "followee__username")) == {
        ("alice", "bob"),
        ("bob", "alice"),
    }
    alice_page.get_by_role("button", name="Message", exact=True).click()
    expect(alice_page).to_have_url(re.compile(r"/c/\d+$"))
    expect(composer(alice_page)).to_be_visible()

    # Home lists friends, with a Message button each.
    bob_page.goto("/home")
    expect(bob_page.get_by_role("list", name="Friends")).to_contain_text("@alice")


def test_blocking_from_the_profile_menu(browser_for):
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob")
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    services.conversation_open(user=alice, other=bob)
    alice_page = browser_for(alice)
    alice_page.goto("/u/bob")

    # The ⋯ menu: a button with aria-expanded, Escape closes it and gives focus back.
    more = alice_page.get_by_role("button", name="More options")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.focus()
    alice_page.keyboard.press("Enter")
    menu = alice_page.get_by_role("menu")
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("menuitem")).to_have_text(["Send message", "Block", "Report"])
    expect(menu.get_by_role("menuitem", name="Send message")).to_be_focused()
    alice_page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Block")).to_be_focused()
    alice_page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(more).to_be_focused()

    more.click()
    menu.get_by_role("menuitem", name="Block").click()
    dialog = alice_page.get_by_role("dialog", name="Block Bob?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Block").click()

    expect(alice_page.get_by_role("status").first).to_have_text("You blocked @bob.")
    expect(alice_page.get_by_text("You blocked this account.")).to_be_visible()
    expect(alice_page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    assert list(Block.objects.values_list("blocker__username", "blocked__username")) == [
        ("alice", "bob")
    ]
    assert not Follow.objects.exists()  # a block removes follows both ways

    # Their chat stays visible to Alice, read-only.
    alice_page.goto("/")
    alice_page.goto(f"/c/{services.conversation_open(user=alice, other=bob)[0].conversation_id}")
    expect(alice_page.locator("[data-denial]")).to_contain_text(
        "You blocked this user. Unblock them first."
    )
    expect(composer(alice_page)).to_have_count(0)

    # Bob cannot see Alice's profile any more.
    bob_page = browser_for(bob)
    response = bob_page.goto("/u/alice")
    assert response.status == 404
    expect(bob_page.get_by_role("heading", name="Alice")).to_have_count(0)

    # The blocked list, and Unblock.
    alice_page.goto("/settings/blocked")
    alice_page.get_by_role("button", name="Unblock @bob").click()
    expect(alice_page.get_by_role("status").first).to_have_text("You unblocked @bob.")
    expect(alice_page.get_by_text("No blocked accounts")).to_be_visible()
    assert not Block.objects.exists()


def test_changing_the_dm_preference(browser_for):
    alice = UserFactory(username="alice", display_name="Alice")
    carol = UserFactory(username="carol", display_name="Carol")
    alice_page = browser_for(alice)
    alice_page.goto("/u/alice")
    alice_page.get_by_role("link", name=re.compile("Privacy")).click()

    group = alice_page.get_by_role("group", name="Who can send you direct messages")
    receipts = alice_page.get_by_role("checkbox", name=re.compile("^Read receipts"))
    expect(group.get_by_role("radio", name=re.compile("^Friends"))).to_be_checked()
    expect(receipts).not_to_be_checked()
    group.get_by_role("radio", name=re.compile("^Everyone")).check()
    receipts.check()
    alice_page.get_by_role("button", name="Save").click()

    expect(alice_page.get_by_role("status").first).to_have_text("Privacy settings saved.")
    expect(group.get_by_role("radio", name=re.compile("^Everyone"))).to_be_checked()
    expect(receipts).to_be_checked()
    current = privacy_settings_for(alice)
    assert (current.dm_preference, current.read_receipts) == ("everyone", True)

    # A stranger may now write to Alice (a message request).
    carol_page = browser_for(carol)
    carol_page.goto("/u/alice")
    carol_page.get_by_role("button", name="More options").click()
    carol_page.get_by_role("menuitem", name="Send message").click()
    expect(composer(carol_page)).to_be_visible()
    chat = carol_page.url

    # No one: the same chat now says why Carol cannot write.
    group.get_by_role("radio", name=re.compile("^No one")).check()
    with alice_page.expect_navigation():
        alice_page.get_by_role("button", name="Save").click()
    expect(group.get_by_role("radio", name=re.compile("^No one"))).to_be_checked()
    assert privacy_settings_for(User.objects.get(pk=alice.pk)).dm_preference == "no_one"
    carol_page.goto(chat)
    expect(carol_page.locator("[data-denial]")).to_have_text(
        "This person is not accepting messages from you."
    )
    expect(composer(carol_page)).to_have_count(0)
