"""A moderator works a report from its page in the admin, in Chromium, against a live Daphne."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from messaging.errors import suspension_end_text
from messaging.services import message_send
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus
from moderation.services import report_create
from privacy.services import follow_create
from tests.e2e.conftest import DESKTOP, off_loop
from tests.factories import UserFactory, token_for, totp_code, totp_device_for

pytestmark = pytest.mark.e2e

MODERATOR_PASSWORD = "queue-keeper-2026"


@pytest.fixture
def reported_spam():
    """Bob sends Alice spam and Alice reports the message."""
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    spam, _ = off_loop(message_send, sender=bob, recipient=alice, body="Buy 10k followers now!")
    report, _ = report_create(
        reporter=alice, target_type="message", target_id=spam.pk, reason="spam"
    )
    return report, bob


@pytest.fixture
def moderator(settings):
    # The live server checks this password: hash it with the real hasher it knows.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    moderator = UserFactory(username="mod", is_staff=True, phone_verified=False)
    moderator.set_password(MODERATOR_PASSWORD)
    moderator.save()
    moderator.groups.add(Group.objects.get(name="Moderators"))
    totp_device_for(moderator)  # the admin asks staff for a TOTP code after the password
    return moderator


def test_moderator_suspends_the_offender_from_the_reports_page(
    browser_for, server, reported_spam, moderator, screenshot
):
    """From the queue to the report's page: the evidence, the suspension with its period and
    reason, the confirmation in words; then the suspended user reads until when and why."""
    report, bob = reported_spam
    # A moderator in Tokyo, reading British English.
    page = browser_for(viewport=DESKTOP, locale="en-GB", timezone_id="Asia/Tokyo")

    page.goto("/admin/login/?next=/admin/moderation/report/")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    # The code the moderator's authenticator app shows now.
    page.get_by_label("OTP Token").fill(totp_code(moderator.totpdevice_set.get()))
    page.get_by_role("button", name="Log in").click()

    # The queue opens on open reports; the report's page is one click away.
    expect(page).to_have_url(re.compile(r"/admin/moderation/report/$"))
    row = page.locator("#result_list tbody tr", has_text="spam")
    expect(row).to_have_count(1)
    row.get_by_role("link", name=str(report.pk), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/moderation/report/{report.pk}/change/$"))

    # The evidence first, its time in the moderator's own locale and time zone.
    evidence = page.locator(f"[data-evidence-message='{report.target_id}']")
    expect(evidence).to_contain_text("Buy 10k followers now!")
    expect(evidence).to_contain_text("bob")
    sent_at = report.snapshot["message"]["created_at"]
    tokyo = datetime.fromisoformat(sent_at).astimezone(ZoneInfo("Asia/Tokyo"))
    shown = evidence.locator("time")
    expect(shown).to_have_text(f"{tokyo.day} {tokyo:%b %Y, %H:%M}")
    expect(shown).to_have_attribute("datetime", sent_at)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    # Only the suspension asks for a period.
    period = page.get_by_label("Suspend for")
    expect(period).to_be_hidden()
    page.locator("summary", has_text="Suspend messaging").click()
    expect(period).to_be_visible()
    period.select_option("7")
    page.get_by_label("Reason, shown to the user").fill("Spam ring, first strike")
    screenshot(page, "admin-report-page")
    page.get_by_role("button", name="Suspend bob…").click()

    # A confirmation, in words, before anything happens.
    expect(page.locator("[data-confirm-question]")).to_contain_text(
        "Suspend bob's messaging for 7 days, until about"
    )
    expect(page.locator("[data-confirm-reason]")).to_have_text("Spam ring, first strike")
    assert not ModerationAction.objects.exists()
    page.get_by_role("button", name="Yes, suspend bob").click()

    bob.refresh_from_db()
    ends = suspension_end_text(bob.messaging_suspended_until)
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Suspended bob's messaging until {ends}. Reason: Spam ring, first strike"
    )
    expect(page).to_have_url(re.compile(rf"/admin/moderation/report/{report.pk}/change/$"))
    screenshot(page, "admin-report-done")

    report.refresh_from_db()
    assert report.status == ReportStatus.ACTIONED
    assert bob.is_messaging_suspended()
    logged = ModerationAction.objects.get()
    assert (logged.moderator, logged.action, logged.reason, logged.target_user, logged.report) == (
        moderator,
        ActionKind.SUSPEND,
        "Spam ring, first strike",
        bob,
        report,
    )

    # Bob's chat: instead of the composer, until when and why.
    sentence = f"Your messaging is suspended until {ends}. Reason: Spam ring, first strike"
    bob_page = browser_for(bob)
    bob_page.goto(f"/c/{report.snapshot['conversation']}")
    expect(bob_page.locator("[data-denial]")).to_have_text(sentence)
    expect(bob_page.locator("textarea[name=body]")).to_have_count(0)
    screenshot(bob_page, "suspended-composer")

    # And his next send over the API, on the same live server, says the same.
    token = token_for(bob)
    response = httpx.post(
        f"{server.url}/api/v1/messages",
        json={"to": "alice", "body": "one more"},
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 403
    assert response.json() == {"code": "account_suspended", "detail": sentence}
    assert Report.objects.count() == 1
