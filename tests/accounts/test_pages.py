"""The account pages: sign-up, log-in, log-out, phone number and code (Django test client)."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.models import User
from dmsite.env import Rate
from tests.conftest import years_ago
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP, LOGIN, LOGOUT = "/signup", "/login", "/logout"
PHONE, VERIFY = "/settings/phone", "/settings/phone/verify"
GOOD_PASSWORD = "a-long-Secret-99"


@pytest.fixture
def dave() -> User:
    return UserFactory(username="dave", phone_number="", phone_verified=False)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sign_up(client, **fields):
    data = {
        "username": "zoe",
        "display_name": "Zoe",
        "date_of_birth": "2000-01-31",
        "password": GOOD_PASSWORD,
        **fields,
    }
    return client.post(SIGNUP, data)


def field_errors(response) -> str:
    return " ".join(re.findall(r'class="field__error"[^>]*>(.*?)</div>', response.text, re.S))


# --- pages render, anonymous users are sent to /login ----------------------------------


@pytest.mark.parametrize("url", [SIGNUP, LOGIN])
def test_the_log_in_and_sign_up_pages_render_for_anyone(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.text


@pytest.mark.parametrize("url", [SIGNUP, LOGIN])
def test_a_logged_in_user_skips_the_log_in_and_sign_up_pages(dave, url):
    response = logged_in(dave).get(url)
    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.parametrize("url", [PHONE])
def test_the_phone_page_renders_for_a_logged_in_user(dave, url):
    response = logged_in(dave).get(url)
    assert response.status_code == 200
    assert '<label class="field__label" for="id_phone_number">Phone number</label>' in response.text


@pytest.mark.parametrize("url", [PHONE, VERIFY])
def test_anonymous_users_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login?next={url}")


# --- sign-up --------------------------------------------------------------------------


def test_sign_up_creates_the_account_and_logs_in(client):
    response = sign_up(client)

    assert (response.status_code, response["Location"]) == (302, PHONE)
    user = User.objects.get(username="zoe")
    assert (user.display_name, str(user.date_of_birth)) == ("Zoe", "2000-01-31")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.get(PHONE).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": ""}, "username", "This field is required."),
        ({"username": "a b"}, "username", "Use 2 to 24 letters, digits, underscores and dots."),
        ({"username": "zo\x00e"}, "username", "Null characters are not allowed."),
        ({"username": "z" * 300}, "username", "Ensure this value has at most 24 characters"),
        ({"date_of_birth": "31/01/2000"}, "date_of_birth", "Enter a valid date."),
        ({"date_of_birth": "2000-02-30"}, "date_of_birth", "Enter a valid date."),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", "Must be a real date of birth."),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "cannot be in the future"),
        ({"password": "zoe"}, "password", "This password is too short."),
        ({"password": "12345678901"}, "password", "This password is entirely numeric."),
        ({"display_name": "bell\x07"}, "display_name", "must not contain control characters"),
    ],
)
def test_bad_sign_up_input_re_renders_the_form_with_the_error(client, fields, field, message):
    response = sign_up(client, **fields)

    assert response.status_code == 200
    assert message in field_errors(response)
    assert 'aria-invalid="true"' in response.text
    assert not User.objects.exists()


def test_sign_up_below_the_minimum_age_is_refused_by_the_service(client):
    response = sign_up(client, date_of_birth=str(years_ago(13, days=1)))

    assert response.status_code == 200
    assert "You are too young to create an account." in field_errors(response)
    assert not User.objects.exists()


def test_a_taken_username_is_shown_on_its_field_ignoring_case(client, dave):
    response = sign_up(client, username="DAVE")

    assert response.status_code == 200
    assert "That username is taken." in field_errors(response)
    assert 'value="DAVE"' in response.text  # what was typed stays


def test_sign_ups_past_the_limit_show_the_rate_limit_sentence(client, settings):
    settings.RATE_SIGNUPS = Rate(1, 3600)
    assert sign_up(client, username="first").status_code == 302
    client.post(LOGOUT)

    response = sign_up(client, username="second")

    assert response.status_code == 200
    assert "You are doing this too often. Try again later." in response.text
    assert not User.objects.filter(username="second").exists()


def test_malformed_form_bodies_never_make_a_500(client):
    # Repeated fields, bytes that are not UTF-8 (a lone surrogate, 0xff), a NUL.
    body = b"username=a&username=b&date_of_birth=%ed%a0%80&password=%ff%00&display_name=%00"
    response = client.post(SIGNUP, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not User.objects.exists()


# --- log-in and log-out ---------------------------------------------------------------


def test_log_in_goes_to_the_next_page_on_this_site(client, dave):
    response = client.post(
        f"{LOGIN}?next=/settings/phone", {"username": "DAVE", "password": PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, PHONE)
    assert client.session[SESSION_KEY] == str(dave.pk)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_log_in_never_redirects_off_the_site(client, dave, next_url):
    response = client.post(LOGIN, {"username": "dave", "password": PASSWORD, "next": next_url})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_wrong_password_re_renders_with_the_services_sentence(client, dave):
    response = client.post(LOGIN, {"username": "dave", "password": "nope"})

    assert response.status_code == 200
    assert '<div class="form-error" role="alert">' in response.text
    assert "Wrong username or password." in response.text
    assert 'value="dave"' in response.text
    assert SESSION_KEY not in client.session


def test_too_many_wrong_passwords_are_refused_even_with_the_right_one(client, dave, settings):
    settings.RATE_LOGIN = Rate(2, 900)
    for _ in range(2):
        client.post(LOGIN, {"username": "dave", "password": "nope"})

    response = client.post(LOGIN, {"username": "dave", "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many attempts. Try again later." in response.text
    assert SESSION_KEY not in client.session


def test_log_out_ends_the_session_and_only_by_post(dave):
    client = logged_in(dave)
    assert client.get(LOGOUT).status_code == 405

    response = client.post(LOGOUT)

    assert (response.status_code, response["Location"]) == (302, LOGIN)
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302


def test_csrf_is_enforced_on_the_log_in_form(dave):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "dave", "password": PASSWORD})
    assert response.status_code == 403

    page = client.get(LOGIN)
    token = page.cookies["csrftoken"].value
    response = client.post(
        LOGIN, {"username": "dave", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


# --- phone number and code ---------------------------------------------------------------


def test_entering_a_number_sends_a_code_and_the_code_verifies_it(
    dave, sms_outbox, django_capture_on_commit_callbacks
):
    client = logged_in(dave)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PHONE, {"phone_number": "+44 7400 123456"})
    assert (response.status_code, response["Location"]) == (302, VERIFY)
    page = client.get(VERIFY)
    assert "We sent a 6-digit code to <strong>+447400123456</strong>." in page.text

    code = re.search(r"\d{6}", sms_outbox[-1]["body"]).group()
    response = client.post(VERIFY, {"code": code})

    assert (response.status_code, response["Location"]) == (302, "/")
    dave.refresh_from_db()
    assert (dave.phone_number, dave.phone_verified) == ("+447400123456", True)
    assert "+447400123456" in client.get(PHONE).text
    assert client.get(VERIFY)["Location"] == PHONE  # nothing left to verify


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("12", "That is not a valid phone number."),
        ("07400 123456", "That is not a valid phone number."),  # no country code
        ("+44\x00", "Null characters are not allowed."),
        ("", "This field is required."),
    ],
)
def test_a_bad_number_re_renders_with_the_error(dave, sms_outbox, number, message):
    response = logged_in(dave).post(PHONE, {"phone_number": number})

    assert response.status_code == 200
    assert message in field_errors(response)
    assert sms_outbox == []


def test_a_number_verified_by_someone_else_is_refused(dave):
    UserFactory(phone_number="+447400123456")
    response = logged_in(dave).post(PHONE, {"phone_number": "+447400123456"})
    assert "That phone number is already verified by another account." in field_errors(response)


def test_asking_again_too_soon_shows_the_rate_limit_sentence(
    dave, django_capture_on_commit_callbacks
):
    client = logged_in(dave)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PHONE, {"phone_number": "+447400123456"})
    response = client.post(PHONE, {"phone_number": "+447400123456"})
    assert response.status_code == 200
    assert "You are doing this too often. Try again later." in response.text


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12ab56", "The code is 6 digits."),
        ("", "This field is required."),
        ("000000", "That code is not right. Attempts left: 4."),
    ],
)
def test_a_wrong_code_re_renders_with_the_error(
    dave, sms_outbox, django_capture_on_commit_callbacks, code, message
):
    client = logged_in(dave)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PHONE, {"phone_number": "+447400123456"})
    if code == re.search(r"\d{6}", sms_outbox[-1]["body"]).group():
        code = "111111"
    response = client.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert message in field_errors(response)
    dave.refresh_from_db()
    assert not dave.phone_verified


def test_the_verify_page_without_a_pending_number_goes_back_to_the_number(dave):
    response = logged_in(dave).get(VERIFY)
    assert (response.status_code, response["Location"]) == (302, PHONE)
