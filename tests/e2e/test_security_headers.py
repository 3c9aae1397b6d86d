"""Chromium runs every kind of page under the Content-Security-Policy without a violation.

Every browser test watches for violations (tests/e2e/conftest.py); these visit the
pages no other browser test opens, and check the header each page came with.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import off_loop
from tests.e2e.test_moderation import MODERATOR_PASSWORD, moderator, reported_spam  # noqa: F401
from tests.factories import UserFactory, totp_code
from tests.messaging.state import befriend, send

pytestmark = pytest.mark.e2e


def assert_policed(response) -> None:
    """The page came with the policy: only its own scripts (or one with its nonce)."""
    policy = response.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1).split()
    assert script_src[0] == "'self'"
    assert all(source.startswith("'nonce-") for source in script_src[1:]), policy
    assert "unsafe-inline" not in policy
    assert "microphone=(self)" in response.headers["permissions-policy"]


def test_the_chat_pages_run_under_the_policy(browser_for, server):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    conversation = off_loop(send, bob, alice, "hello Alice").conversation_id
    page = browser_for(alice)
    for path in ["/", "/requests", "/search?q=bo", "/u/bob", "/settings/privacy"]:
        assert_policed(page.goto(path))
    assert_policed(page.goto(f"/c/{conversation}"))
    expect(page.locator("[data-messages] .msg__body", has_text="hello Alice")).to_be_visible()
    # The socket connects (connect-src): Bob sees Alice's message arrive live.
    bob_page = browser_for(bob)
    assert_policed(bob_page.goto(f"/c/{conversation}"))
    composer = page.get_by_role("textbox", name=re.compile(r"^Message "))
    composer.fill("hi Bob")
    composer.press("Enter")
    expect(page.locator(".msg--mine[data-id]", has_text="hi Bob")).to_have_count(1)
    expect(bob_page.locator("[data-messages] .msg__body", has_text="hi Bob")).to_be_visible()
    assert page.policy_violations == []


def test_the_api_docs_run_under_the_policy(browser_for, server):
    page = browser_for(UserFactory())
    assert_policed(page.goto("/api/docs/"))
    # Swagger UI drew the schema: its scripts (files and the one with the nonce) ran.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("dmsite API")
    expect(page.get_by_role("button", name="POST /api/v1/auth/login", exact=True)).to_be_visible()
    assert page.policy_violations == []


def test_the_moderation_admin_runs_under_the_policy(
    browser_for,
    server,
    reported_spam,  # noqa: F811
    moderator,  # noqa: F811
):
    report, _ = reported_spam
    page = browser_for()
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_policed(page.goto("/admin/login/?next=/admin/"))
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    page.get_by_label("OTP Token").fill(totp_code(moderator.totpdevice_set.get()))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    for path in [
        "/admin/",
        "/admin/moderation/report/",
        f"/admin/moderation/report/{report.pk}/change/",
        "/admin/moderation/moderationaction/",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        assert_policed(response)
    # The admin's own scripts ran: the changelist's action bar works.
    page.goto("/admin/moderation/report/")
    page.locator("#result_list tbody tr input[type=checkbox]").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")
    assert page.policy_violations == []
