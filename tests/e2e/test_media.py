"""Media in the browser: a real voice note recorded with Chromium's fake microphone and
played by the recipient; photos attached, uploaded with progress, shown in a grid and the
full-screen viewer; a refusal shown on its file; the inbox preview; a profile photo."""

import io
import re

import pytest
from playwright.sync_api import expect

from attachments.models import Attachment, Kind
from messaging.models import Message
from tests.attachments import samples
from tests.e2e import test_chat
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_chat import chat_url

pytestmark = pytest.mark.e2e

alice_and_bob = test_chat.alice_and_bob  # the same two friends as the chat tests

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


VOICE_MAX_SECONDS = 5  # short, so that the automatic stop is seen in a few seconds


@pytest.fixture
def live_server_env(live_server_env, tmp_path):
    """The live servers store uploads in this test's own folder."""
    return {
        **live_server_env,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "VOICE_MAX_SECONDS": str(VOICE_MAX_SECONDS),
    }


@pytest.fixture(scope="module")
def browser(browser):
    """This module's Chromium: the folder's Playwright, with a fake microphone and no prompt."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
    )
    yield chromium
    chromium.close()


def _chat(alice_and_bob, browser_for):
    """Alice's and Bob's pages on their conversation, both sockets open."""
    alice, bob = alice_and_bob
    url = chat_url(alice, bob)
    pages = browser_for(alice), browser_for(bob)
    for page in pages:
        page.goto(url)
        page.wait_for_function("window.dmsite.socket.isOpen()")
    return pages


def test_a_recorded_voice_note_reaches_the_recipient_who_plays_it(alice_and_bob, browser_for):
    alice_page, bob_page = _chat(alice_and_bob, browser_for)

    record = alice_page.get_by_role("button", name="Hold to record a voice message")
    record.hover()
    alice_page.mouse.down()
    expect(alice_page.locator("[data-voice-timer]")).to_have_text(re.compile(r"0:0[2-9]"))
    alice_page.mouse.up()

    player = bob_page.locator("[data-messages] [data-voice] audio")
    expect(player).to_have_count(1, timeout=15_000)
    message = Message.objects.get()
    attachment = Attachment.objects.get(message=message)
    assert attachment.kind == Kind.VOICE
    assert attachment.content_type == "audio/webm"
    assert 1500 <= attachment.duration_ms <= 6000
    expect(bob_page.locator("[data-voice] .voice__duration")).to_have_text(re.compile(r"0:0\d"))

    # Bob plays it: the browser fetches it (with Range) and time moves on.
    played = bob_page.evaluate(
        """async () => {
            const audio = document.querySelector("[data-messages] [data-voice] audio");
            await audio.play();
            await new Promise((done) => setTimeout(done, 1200));
            return audio.currentTime;
        }"""
    )
    assert played > 0.5
    # Alice's own bubble shows the player too, and the inbox says what it is.
    expect(alice_page.locator("[data-messages] [data-voice] audio")).to_have_count(1)
    bob_page.goto("/")
    expect(bob_page.locator(".convo__preview")).to_have_text("🎤 Voice message")


def test_a_recording_stops_by_itself_at_voice_max_seconds(alice_and_bob, browser_for):
    alice_page, bob_page = _chat(alice_and_bob, browser_for)
    record = alice_page.get_by_role("button", name="Hold to record a voice message")
    record.hover()
    alice_page.mouse.down()
    # Still held: the note is sent when the limit is reached, not when the button is let go.
    player = bob_page.locator("[data-messages] [data-voice] audio")
    expect(player).to_have_count(1, timeout=15_000)
    alice_page.mouse.up()
    attachment = Attachment.objects.get()
    assert (
        VOICE_MAX_SECONDS * 1000 - 500 <= attachment.duration_ms <= VOICE_MAX_SECONDS * 1000 + 500
    )
    expect(alice_page.locator("[data-voice-bar]")).to_be_hidden()


def test_sliding_away_or_cancel_sends_nothing(alice_and_bob, browser_for):
    alice_page, _ = _chat(alice_and_bob, browser_for)
    record = alice_page.get_by_role("button", name="Hold to record a voice message")
    record.hover()
    alice_page.mouse.down()
    expect(alice_page.locator("[data-voice-timer]")).to_have_text(re.compile(r"0:0[1-3]"))
    alice_page.mouse.move(10, 10)  # slide away, then let go
    alice_page.mouse.up()
    expect(alice_page.locator("[data-voice-bar]")).to_be_hidden()

    # From the keyboard: Space starts, the Cancel button drops it.
    record.focus()
    alice_page.keyboard.press("Space")
    expect(alice_page.locator("[data-voice-timer]")).to_have_text(re.compile(r"0:0[1-3]"))
    alice_page.locator("[data-voice-cancel]").click()
    expect(alice_page.locator("[data-voice-bar]")).to_be_hidden()
    alice_page.wait_for_timeout(1500)  # an upload would have happened by now
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_photos_are_attached_shown_in_a_grid_and_opened_full_screen(
    alice_and_bob, browser_for, screenshot
):
    alice_page, bob_page = _chat(alice_and_bob, browser_for)

    files = [
        {"name": f"photo{n}.png", "mimeType": "image/png", "buffer": samples.image_bytes("PNG")}
        for n in range(2)
    ]
    files.append({"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image" * 20})
    with alice_page.expect_file_chooser() as chooser:
        alice_page.get_by_role("button", name="Attach photos or videos").click()
    chooser.value.set_files(files)

    tray = alice_page.locator("[data-media-tray]")
    expect(tray.locator("[data-attachment-id]")).to_have_count(2)
    expect(tray.locator(".tray__item--failed .tray__error")).to_have_text(
        "notes.png: This file is not a photo, video or voice note we can take."
    )
    tray.locator(".tray__item--failed").get_by_role("button").click()  # remove the refused one
    alice_page.get_by_role("textbox", name=re.compile(r"^Message ")).fill("our trip")
    alice_page.keyboard.press("Enter")

    grid = bob_page.locator("[data-messages] .media-grid--2 img")
    expect(grid).to_have_count(2, timeout=10_000)
    expect(bob_page.locator("[data-messages] .msg__body").last).to_have_text("our trip")
    # The thumbnails really load: served to Bob through the permission check.
    bob_page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.media-grid img'))"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    screenshot(bob_page, "media")
    grid.first.click()
    viewer = bob_page.locator("dialog.viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator("img")).to_have_attribute("src", re.compile(r"/media/\d+/original$"))
    bob_page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert Attachment.objects.filter(message__body="our trip").count() == 2


def test_a_profile_photo_is_uploaded_on_the_profile_page(alice_and_bob, browser_for):
    alice, bob = alice_and_bob
    page = browser_for(alice)
    page.goto(f"/u/{alice.username}")
    photo = io.BytesIO(samples.image_bytes("JPEG", (900, 600)))
    page.get_by_label("Profile photo").set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
    )
    page.get_by_role("button", name="Save photo").click()
    avatar = page.locator("img.avatar--photo").first
    expect(avatar).to_be_visible()
    alice.refresh_from_db()
    assert alice.avatar_url
    bob_page = browser_for(bob)
    bob_page.goto(f"/u/{alice.username}")
    expect(bob_page.locator("img.avatar--photo").first).to_have_attribute("src", alice.avatar_url)
