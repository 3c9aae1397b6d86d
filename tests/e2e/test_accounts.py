"""Sign-up, log-in and phone verification through the pages."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.conftest import last_sms_code

pytestmark = pytest.mark.e2e


def test_sign_up_verify_phone_log_out_and_in(server, browser_for, sms_file):
    page = browser_for(None)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_role("link", name="Sign up").click()

    page.get_by_label("Username").fill("zoe.t")
    page.get_by_label("Name", exact=True).fill("Zoë Tester")
    page.get_by_label("Date of birth").fill("2000-02-29")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    # The service's password rule, next to the field; what was typed stays.
    expect(page.locator(".field--error")).to_contain_text("This password is too short")
    expect(page.get_by_label("Username")).to_have_value("zoe.t")

    page.get_by_label("Password").fill("a-long-Secret-99")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{server.url}/settings/phone")
    expect(page.get_by_role("status").first).to_contain_text("Welcome!")

    page.get_by_label("Phone number").fill("+44 7400 123456")
    page.get_by_role("button", name="Send code").click()
    expect(page).to_have_url(f"{server.url}/settings/phone/verify")
    expect(page.get_by_text("We sent a 6-digit code to +447400123456")).to_be_visible()

    code = last_sms_code(sms_file)
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("Verification code").fill(wrong)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".field__error")).to_have_text("That code is not right. Attempts left: 4.")

    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("status").first).to_contain_text("Your phone number is verified")

    user = User.objects.get(username="zoe.t")
    assert (user.display_name, user.phone_number, user.phone_verified) == (
        "Zoë Tester",
        "+447400123456",
        True,
    )

    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Zoë Tester")).to_be_visible()
    phone_link = page.get_by_role("link", name=re.compile("Phone number"))
    expect(phone_link).to_contain_text("+447400123456")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{server.url}/login")

    page.get_by_label("Username").fill("ZOE.T")  # log-in ignores case
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    page.get_by_label("Password").fill("a-long-Secret-99")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
