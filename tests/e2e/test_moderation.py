"""A moderator works the reports queue in the admin, in Chromium, against a live Daphne."""

import re

import httpx
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from messaging.services import message_send
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus
from moderation.services import report_create
from privacy.services import follow_create
from tests.e2e.conftest import off_loop
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


def test_moderator_suspends_the_offender_from_the_queue(
    browser_for, server, reported_spam, moderator, screenshot
):
    report, bob = reported_spam
    page = browser_for()
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/admin/login/?next=/admin/moderation/report/")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    # The code the moderator's authenticator app shows now.
    page.get_by_label("OTP Token").fill(totp_code(moderator.totpdevice_set.get()))
    page.get_by_role("button", name="Log in").click()

    # The queue opens on open reports, with the evidence one click away.
    expect(page).to_have_url(re.compile(r"/admin/moderation/report/"))
    row = page.locator("#result_list tbody tr", has_text="spam")
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page.get_by_text("Buy 10k followers now!")).to_be_visible()
    page.go_back()

    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("suspend_offender")
    page.get_by_label("Reason").fill("Spam ring, first strike")
    page.get_by_label("Suspend for").select_option("7")
    screenshot(page, "admin-queue")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 report(s) handled.")).to_be_visible()

    report.refresh_from_db()
    bob.refresh_from_db()
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

    # Bob's next send, on the same live server, is refused.
    token = token_for(bob)
    response = httpx.post(
        f"{server.url}/api/v1/messages",
        json={"to": "alice", "body": "one more"},
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "account_suspended"
    assert Report.objects.count() == 1
