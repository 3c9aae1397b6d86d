"""The chat people enjoy using (issue #14), in Chromium at a phone's and a desktop's width:
reactions, replies and the message menu; the conversation menu; the composer's limit;
sending, failing and retrying; history, the new-messages pill and reading; notifications;
two panes; contrast; the request and block states; the product 404 page."""

import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dmsite.env import Rate
from messaging import reactions, services
from messaging.models import Message, Participant, Reaction
from messaging.policy import messages_window
from moderation.models import Report
from privacy.services import block_create, privacy_settings_update
from tests.e2e.conftest import DESKTOP, VIEWPORT, off_loop
from tests.e2e.test_chat import befriend, bodies, chat_url, composer, send
from tests.factories import UserFactory, token_for

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": VIEWPORT, "desktop": DESKTOP}


@pytest.fixture(params=list(WIDTHS))
def width(request) -> str:
    return request.param


@pytest.fixture
def open_as(browser_for, width):
    """`open_as(user, **context_options)`: a page at this test's width."""

    def open_page(user, **options):
        if width == "phone":
            options.setdefault("has_touch", True)
        return browser_for(user, viewport=WIDTHS[width], **options)

    return open_page


@pytest.fixture
def pair():
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob")
    befriend(alice, bob)
    return alice, bob


def bubble(page, text: str):
    return page.locator("[data-messages] .msg").filter(
        has=page.locator(".msg__body", has_text=text)
    )


def open_menu(page, item, width: str):
    """The message menu: hover and ⋯ with a mouse, a long press on a touch screen."""
    if width == "phone":
        body = item.locator(".msg__body")
        body.dispatch_event("pointerdown", {"pointerType": "touch", "isPrimary": True})
        page.wait_for_timeout(600)
        body.dispatch_event("pointerup", {"pointerType": "touch", "isPrimary": True})
    else:
        item.locator(".msg__body").hover()
        item.get_by_role("button", name="Message options").click()
    menu = page.get_by_role("menu", name="Message options")
    expect(menu).to_be_visible()
    return menu


def live_send(server, sender, recipient, body: str) -> dict:
    """A message sent over the live server's REST API, so its sockets hear of it at once
    (the test process has its own channel layer)."""
    response = httpx.post(
        f"{server.url}/api/v1/messages",
        json={"to": recipient.username, "body": body},
        headers={"Authorization": f"Token {token_for(sender)}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def wait_for_sockets(*pages) -> None:
    for page in pages:
        page.wait_for_function("window.dmsite.socket.isOpen()")


def test_reactions_replies_and_the_message_menu(pair, open_as, width):
    alice, bob = pair
    url = chat_url(alice, bob)
    send(bob, alice, "Look https://example.com/x?y=1, not javascript:alert(1)")
    send(bob, alice, "😂")
    mine = send(alice, bob, "my own words")
    alice_page = open_as(alice, permissions=["clipboard-read", "clipboard-write"])
    bob_page = open_as(bob)
    alice_page.goto(url)
    bob_page.goto(url)
    wait_for_sockets(alice_page, bob_page)

    # Links: http(s) only, opening safely; emoji-only bubbles are large.
    link = bubble(alice_page, "Look").locator("a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://example.com/x?y=1")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    emoji = bubble(alice_page, "😂")
    expect(emoji).to_have_class(re.compile(r"\bmsg--emoji\b"))
    size = emoji.locator(".msg__body").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 32
    # Grouped: Bob's two bubbles are one group, its time under the last, exact time on hover.
    look = bubble(alice_page, "Look")
    expect(look).not_to_have_class(re.compile(r"\bmsg--group-end\b"))
    expect(emoji).to_have_class(re.compile(r"\bmsg--group-end\b"))
    expect(emoji.locator(".msg__time")).to_be_visible()
    expect(look.locator(".msg__time")).to_be_hidden()
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", look.locator(".msg__body").get_attribute("title"))

    # React from the menu's emoji row: both see the chip; tapping it takes it back.
    menu = open_menu(alice_page, look, width)
    expect(menu.get_by_text(re.compile(r"\d{4}"))).to_be_visible()  # the exact time
    menu.get_by_role("menuitem", name="React with 👍").click()
    for page in (alice_page, bob_page):
        chip = bubble(page, "Look").locator("[data-reaction-chip]")
        expect(chip).to_have_text("👍1")
    expect(bubble(alice_page, "Look").locator(".chip--mine")).to_have_count(1)
    assert list(Reaction.objects.values_list("emoji", flat=True)) == ["👍"]
    bob_chip = bubble(bob_page, "Look").locator("[data-reaction-chip]")
    bob_chip.click()  # Bob adds his own 👍: the count is 2
    expect(bubble(alice_page, "Look").locator("[data-reaction-chip]")).to_have_text("👍2")
    bubble(alice_page, "Look").locator("[data-reaction-chip]").click()  # Alice takes hers back
    expect(bubble(bob_page, "Look").locator("[data-reaction-chip]")).to_have_text("👍1")

    # Copy.
    open_menu(alice_page, look, width).get_by_role("menuitem", name="Copy").click()
    expect(alice_page.get_by_role("alert").filter(has_text="Copied")).to_be_visible()
    copied = alice_page.evaluate("navigator.clipboard.readText()")
    assert copied == "Look https://example.com/x?y=1, not javascript:alert(1)"

    # Reply: quoted above the composer, then in the bubble; the quote leads to the original.
    open_menu(alice_page, look, width).get_by_role("menuitem", name="Reply").click()
    bar = alice_page.locator("[data-reply-bar]")
    expect(bar).to_contain_text("Replying to Bob")
    expect(bar).to_contain_text("Look https://example.com")
    composer(alice_page).fill("Nice link")
    composer(alice_page).press("Enter")
    expect(bar).to_be_hidden()
    for page in (alice_page, bob_page):
        quoted = bubble(page, "Nice link").locator(".msg__quote")
        expect(quoted).to_contain_text("Look https://example.com")
    expect(bubble(alice_page, "Nice link")).to_have_attribute("data-id", re.compile(r"\d+"))
    reply = Message.objects.get(body="Nice link")
    assert reply.reply_to.body.startswith("Look")
    bob_page.evaluate("document.querySelector('[data-chat]').scrollTop = 0")
    bubble(bob_page, "Nice link").locator(".msg__quote").click()
    expect(bubble(bob_page, "Look")).to_have_class(re.compile(r"\bmsg--flash\b"))
    expect(bubble(bob_page, "Look")).to_be_in_viewport()

    # Unsend my own message: both see the tombstone; theirs have no Unsend, mine no Report.
    own = bubble(alice_page, "my own words")
    menu = open_menu(alice_page, own, width)
    expect(menu.get_by_role("menuitem", name="Report")).to_have_count(0)
    menu.get_by_role("menuitem", name="Unsend").click()
    for page in (alice_page, bob_page):
        expect(page.locator(f'.msg[data-id="{mine.pk}"] .msg__body')).to_have_text("Message unsent")
    menu = open_menu(alice_page, look, width)
    expect(menu.get_by_role("menuitem", name="Unsend")).to_have_count(0)

    # Report this one message through the report dialog.
    menu.get_by_role("menuitem", name="Report").click()
    dialog = alice_page.get_by_role("dialog", name="Report")
    expect(dialog).to_contain_text("You are reporting this message.")
    dialog.get_by_label("Spam").check()
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Thanks for reporting. Our team will review it."
    )
    report = Report.objects.get()
    assert (report.target_type, report.target_id) == ("message", int(look.get_attribute("data-id")))


def test_the_conversation_menu_mutes_pins_and_deletes_with_a_confirmation(pair, open_as):
    alice, bob = pair
    url = chat_url(alice, bob)
    send(bob, alice, "first")
    page = open_as(alice)
    page.goto(url)
    more = page.get_by_role("button", name="More options")

    more.click()
    page.get_by_role("menuitem", name="Mute").click()
    expect(page.get_by_role("img", name="Muted").first).to_be_visible()
    more.click()
    expect(page.get_by_role("menuitem", name="Unmute")).to_be_visible()
    page.get_by_role("menuitem", name="Pin").click()
    expect(page.get_by_role("alert").filter(has_text="Pinned")).to_be_visible()
    side = Participant.objects.get(user=alice, other=bob)
    assert (side.muted, side.pinned) == (True, True)

    send(bob, alice, "while muted")
    page.goto("/")
    row = page.locator("[data-inbox-list] .convo").first
    expect(row.get_by_role("img", name="Muted")).to_be_visible()
    expect(row.get_by_role("img", name="Pinned")).to_be_visible()
    count = row.locator(".convo__unread")
    expect(count).to_have_text(re.compile(r"^1"))
    grey = count.evaluate("node => getComputedStyle(node).backgroundColor")
    assert grey == "rgb(99, 100, 112)"  # --muted, not the brand's red
    expect(page.locator("[data-unread-badge]")).to_be_hidden()  # muted chats don't count

    page.goto(url)
    more.click()
    page.get_by_role("menuitem", name="Delete chat").click()
    dialog = page.get_by_role("dialog", name="Delete this chat?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert not Participant.objects.get(pk=side.pk).hidden  # nothing happened yet
    more.click()
    page.get_by_role("menuitem", name="Delete chat").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Chat deleted.")).to_be_visible()
    assert Participant.objects.get(pk=side.pk).hidden


def test_the_composer_counts_and_refuses_in_words_and_sends_show_their_state(
    pair, open_as, settings
):
    alice, bob = pair
    url = chat_url(alice, bob)
    page = open_as(alice)
    page.goto(url)
    wait_for_sockets(page)
    counter = page.locator("[data-char-counter]")
    box = composer(page)
    assert box.get_attribute("maxlength") is None  # never a silent cut

    box.fill("x" * 100)
    expect(counter).to_be_hidden()
    box.fill("x" * 1850)
    expect(counter).to_have_text("1850 / 2000")
    box.fill("y" * 2003)
    expect(counter).to_have_text("2003 / 2000")
    box.press("Enter")
    expect(page.locator("[data-composer-error]")).to_have_text(
        "This message is 3 characters too long. Messages can be at most 2000 characters."
    )
    assert len(box.input_value()) == 2003  # everything typed is still there
    assert Message.objects.count() == 0

    # "Sending…" until the server acknowledges; a send it never answers gets Retry.
    box.fill("")
    dropped, routes, down = [], [], []

    def drop_sends(ws):
        if down:  # the server is unreachable for now
            ws.close()
            return
        routes.append(ws)
        server = ws.connect_to_server()

        def from_page(message):
            if '"message.send"' in message and not dropped:
                dropped.append(message)  # lost on the way, once
                return
            server.send(message)

        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/ws/"), drop_sends)
    page.reload()
    wait_for_sockets(page)
    composer(page).fill("are you there?")
    composer(page).press("Enter")
    pending = page.locator(".msg--pending")
    expect(pending.locator("[data-status]")).to_have_text("Sending…")
    expect(pending.locator("[data-status]")).to_contain_text("Not sent.", timeout=15_000)
    pending.get_by_role("button", name="Retry").click()
    expect(page.locator(".msg--pending")).to_have_count(0)
    expect(bubble(page, "are you there?")).to_have_attribute("data-id", re.compile(r"\d+"))
    assert list(Message.objects.values_list("body", flat=True)) == ["are you there?"]

    # While the socket is down a banner says so; it goes once the socket is back.
    down.append(True)
    routes[-1].close()
    banner = page.get_by_role("status").filter(has_text="Reconnecting…")
    expect(banner).to_be_visible()
    down.clear()
    expect(banner).to_be_hidden(timeout=20_000)
    wait_for_sockets(page)


def test_history_scrolls_back_new_messages_pill_and_reading_on_screen(
    pair, open_as, server, settings
):
    settings.RATE_MESSAGES = Rate(1000, 60)  # the history is seeded here, in this process
    alice, bob = pair
    url = chat_url(alice, bob)
    start = timezone.now() - timedelta(hours=3)
    for number in range(1, 121):
        sender, recipient = (bob, alice) if number % 2 else (alice, bob)
        message = send(sender, recipient, f"history {number}")
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=number))
    for user in (alice, bob):  # the seeding is the past: with Redis the server shares windows
        messages_window().reset(str(user.pk))
    page = open_as(alice)
    page.goto(url)
    wait_for_sockets(page)
    expect(page.locator("[data-messages] .msg")).to_have_count(50)
    expect(page.get_by_role("link", name="Earlier messages")).to_be_hidden()

    # Scrolling to the top brings older pages over the API, without moving what was read.
    anchor = bubble(page, "history 71")
    page.evaluate("document.querySelector('[data-chat]').scrollTop = 0")
    expect(page.locator("[data-messages] .msg")).to_have_count(100)
    assert page.url.endswith(url)  # no reload
    top = anchor.evaluate("node => node.getBoundingClientRect().top")
    assert top >= 0  # the position was kept: the former first message is still in view
    page.evaluate("document.querySelector('[data-chat]').scrollTop = 0")
    expect(page.locator("[data-messages] .msg")).to_have_count(120)
    expect(bodies(page).first).to_have_text("history 1")

    # Scrolled up, a new message is not read and a pill says it came.
    live_send(server, bob, alice, "are you there?")
    pill = page.get_by_role("button", name="New messages ↓")
    expect(pill).to_be_visible()
    page.wait_for_timeout(500)
    side = Participant.objects.get(user=alice, other=bob)
    assert side.unread_count == 1
    pill.click()
    expect(pill).to_be_hidden()
    expect(bubble(page, "are you there?")).to_be_in_viewport()
    page.wait_for_function(
        "fetch('/api/v1/me').then(r => r.json()).then(me => me.unread_total === 0)"
    )


NOTIFICATION_SPY = """
window.__notes = [];
window.__hidden = false;
Object.defineProperty(document, "visibilityState", {
  get: () => (window.__hidden ? "hidden" : "visible"),
});
Object.defineProperty(document, "hidden", { get: () => window.__hidden });
const Real = window.Notification;
window.Notification = function (title, options) {
  window.__notes.push({ title: title, body: options.body });
  return new Real(title, options);
};
window.Notification.permission = Real.permission;
window.Notification.requestPermission = Real.requestPermission.bind(Real);
"""


def test_notifications_title_count_and_sound_while_the_tab_is_hidden(pair, open_as, server):
    alice, bob = pair
    url = chat_url(alice, bob)
    page = open_as(alice, permissions=["notifications"])
    page.add_init_script(NOTIFICATION_SPY)
    page.goto(url)
    wait_for_sockets(page)
    title = page.title()
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="Sounds on").click()

    page.evaluate("window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))")
    live_send(server, bob, alice, "ping while away")
    page.wait_for_function("window.__notes.length === 1")
    assert page.evaluate("window.__notes") == [{"title": "Bob", "body": "ping while away"}]
    expect(page).to_have_title(f"(1) {title}")
    page.wait_for_function("document.body.dataset.lastChime")
    assert Participant.objects.get(user=alice, other=bob).unread_count == 1  # not read unseen

    # A muted chat notifies of nothing.
    side = Participant.objects.get(user=alice, other=bob)
    off_loop(services.conversation_update, participant=side, muted=True)
    live_send(server, bob, alice, "muted ping")
    page.wait_for_timeout(800)
    assert page.evaluate("window.__notes.length") == 1
    expect(page).to_have_title(f"(1) {title}")

    page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    expect(page).to_have_title(title)


CONTRAST = """
() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const node = walker.currentNode.parentElement;
    if (!text || !node.checkVisibility() || node.closest(".sr-only")) continue;
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(node);
    const fg = parse(style.color);
    if (fg.length === 4 && fg[3] === 0) continue;
    const [a, b] = [lum(fg.slice(0, 3)), lum(background(node))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) failures.push(text.slice(0, 30) + " " + ratio.toFixed(2));
  }
  return failures;
}
"""


def test_two_panes_from_900_px_and_contrast_of_every_text(pair, open_as, width, screenshot):
    alice, bob = pair
    carol = UserFactory(username="carol", display_name="Carol")
    befriend(alice, carol)
    url = chat_url(alice, bob)
    other_url = chat_url(alice, carol)
    send(carol, alice, "hi from carol")
    send(bob, alice, "Skate park at 6? https://example.com/map")
    first = send(alice, bob, "Yes! Bring the new board")
    off_loop(
        services.message_send,
        sender=bob,
        recipient=alice,
        body="Deal 🛹",
        reply_to=first.pk,
    )
    off_loop(reactions.reaction_set, user=bob, message_id=first.pk, emoji="🔥")
    page = open_as(alice)
    page.goto(url)
    wait_for_sockets(page)
    expect(page.locator("[data-messages] .msg")).to_have_count(3)
    chat_box = page.locator("[data-chat]").bounding_box()
    pane = page.locator(".panes__list")
    if width == "desktop":
        expect(pane).to_be_visible()
        list_box = pane.bounding_box()
        assert list_box["x"] + list_box["width"] <= chat_box["x"] + 1  # side by side
        assert chat_box["width"] > 600
        current = pane.locator('a[aria-current="page"]')
        expect(current).to_have_attribute("href", url)
        pane.get_by_role("link", name=re.compile("Carol")).click()
        expect(page).to_have_url(re.compile(re.escape(other_url) + "$"))  # one URL per chat
        expect(page.locator(".panes__list")).to_be_visible()
        page.go_back()
    else:
        expect(pane).to_be_hidden()
        assert chat_box["width"] <= 390
    expect(bubble(page, "Yes! Bring")).to_be_visible()
    screenshot(page, f"chat-{width}")

    for path in (url, "/", "/u/bob", "/settings/privacy", "/home"):
        page.goto(path)
        page.wait_for_load_state()
        assert page.evaluate(CONTRAST) == [], path
    page.goto(url)
    open_menu(page, bubble(page, "Deal"), width)
    assert page.evaluate(CONTRAST) == []


def test_request_and_block_states_and_the_product_404(open_as):
    alice = UserFactory(username="alice", display_name="Alice")
    stranger = UserFactory(username="stranger", display_name="Stranger")
    closed = UserFactory(username="closed", display_name="Closed")
    privacy_settings_update(user=alice, dm_preference="everyone")
    privacy_settings_update(user=closed, dm_preference="no_one")
    request = send(stranger, alice, "hello, can we talk?")
    page = open_as(alice)

    page.goto(f"/c/{request.conversation_id}")
    banner = page.locator("[data-request-banner]")
    expect(banner).to_contain_text("wants to send you a message")
    off_loop(block_create, blocker=alice, blocked=stranger)
    page.reload()
    expect(banner).to_have_count(0)  # no "wants to send you a message", no Accept
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    expect(page.get_by_role("button", name="Unblock").first).to_be_visible()

    page.goto("/u/closed")
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="Send message").click()
    expect(page).to_have_url(re.compile(r"/c/\d+$"))
    expect(page.get_by_text("This person is not accepting messages from you.")).to_be_visible()
    expect(page.get_by_text("Say hi")).to_have_count(0)
    expect(page.get_by_text("No messages yet.")).to_be_visible()

    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.get_by_text("This page isn't available")).to_be_visible()
    expect(page.get_by_text("URLconf")).to_have_count(0)


PERMISSION_SPY = """
window.__asked = 0;
Notification.requestPermission = () => { window.__asked += 1; return Promise.resolve("default"); };
"""


def test_notification_permission_is_asked_once_right_after_the_first_send(pair, open_as):
    alice, bob = pair
    page = open_as(alice)
    page.add_init_script(PERMISSION_SPY)
    page.goto(chat_url(alice, bob))
    wait_for_sockets(page)
    assert page.evaluate("Notification.permission") == "default"
    assert page.evaluate("window.__asked") == 0  # never on page load

    for text in ("first", "second"):
        composer(page).fill(text)
        composer(page).press("Enter")
        expect(bubble(page, text)).to_have_attribute("data-id", re.compile(r"\d+"))
    assert page.evaluate("window.__asked") == 1
    page.reload()
    composer(page).fill("third")
    composer(page).press("Enter")
    expect(bubble(page, "third")).to_have_attribute("data-id", re.compile(r"\d+"))
    assert page.evaluate("window.__asked") == 0  # asked once, not on every visit
