"""Per-device API tokens (django-rest-knox): hashed, expiring, listed and revoked one by one.

`GET/DELETE me/sessions`, `auth/logout` ending only its device, `POST me/password`
(the current password required) ending every other token and session, and
`DELETE me` asking for the password.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import DeviceToken
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-long-secret-7"


def log_in(username="alice", password=PASSWORD, agent="TestPhone/1.0") -> str:
    response = APIClient().post(
        "/api/v1/auth/login",
        {"username": username, "password": password},
        format="json",
        HTTP_USER_AGENT=agent,
    )
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def test_only_the_hash_of_a_token_is_stored(alice):
    key = log_in()
    (stored,) = DeviceToken.objects.filter(user=alice)
    assert key not in {stored.digest, stored.token_key}
    assert stored.digest == hash_token(key)
    assert stored.expiry > timezone.now() + datetime.timedelta(days=29)


def test_me_sessions_lists_my_devices_newest_first(alice):
    phone = log_in(agent="Phone")
    laptop = log_in(agent="Laptop")
    log_in_other = UserFactory(username="bob")
    log_in("bob")

    response = api(laptop).get("/api/v1/me/sessions")

    assert response.status_code == 200
    rows = response.json()
    assert [(row["name"], row["current"]) for row in rows] == [("Laptop", True), ("Phone", False)]
    assert set(rows[0]) == {"id", "name", "created", "expiry", "current"}
    assert all(phone not in str(row) and laptop not in str(row) for row in rows)
    assert log_in_other.auth_token_set.count() == 1


def test_revoking_one_device_ends_it_and_only_it(alice):
    phone, laptop = log_in(agent="Phone"), log_in(agent="Laptop")
    phone_id = DeviceToken.objects.get(digest=hash_token(phone)).pk

    assert api(laptop).delete(f"/api/v1/me/sessions/{phone_id}").status_code == 204

    assert api(phone).get("/api/v1/me").status_code == 401
    assert api(laptop).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("token_id", ["someone_elses", 999999, 2**70])
def test_revoking_a_session_that_is_not_mine_is_not_found(alice, token_id):
    mine = log_in()
    UserFactory(username="bob")
    bobs = DeviceToken.objects.get(digest=hash_token(log_in("bob")))
    target = bobs.pk if token_id == "someone_elses" else token_id

    response = api(mine).delete(f"/api/v1/me/sessions/{target}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert DeviceToken.objects.count() == 2


def test_logout_ends_only_this_device(alice):
    phone, laptop = log_in(), log_in()
    assert api(phone).post("/api/v1/auth/logout").status_code == 204
    assert api(phone).get("/api/v1/me").status_code == 401
    assert api(laptop).get("/api/v1/me").status_code == 200


def test_an_expired_token_is_refused_and_forgotten(alice, time_machine, settings):
    key = log_in()
    time_machine.move_to(timezone.now() + datetime.timedelta(days=31), tick=False)

    response = api(key).get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not DeviceToken.objects.filter(user=alice).exists()


def test_a_used_token_moves_its_expiry_on(alice, time_machine):
    key = log_in()
    time_machine.move_to(timezone.now() + datetime.timedelta(days=20), tick=False)
    assert api(key).get("/api/v1/me").status_code == 200
    time_machine.move_to(timezone.now() + datetime.timedelta(days=20), tick=False)
    assert api(key).get("/api/v1/me").status_code == 200


def test_password_change_needs_the_current_password(alice):
    key = log_in()
    response = api(key).post(
        "/api/v1/me/password",
        {"current_password": "not-it", "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "current_password" in response.json()["fields"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_rejects_a_weak_new_password(alice):
    key = log_in()
    response = api(key).post(
        "/api/v1/me/password", {"current_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert "new_password" in response.json()["fields"]


def test_password_change_ends_every_other_token_and_session(alice):
    current, other = log_in(), log_in()
    browser = Client()
    assert browser.login(username="alice", password=PASSWORD)
    assert browser.get("/").status_code == 200

    response = api(current).post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    assert api(other).get("/api/v1/me").status_code == 401
    assert api(current).get("/api/v1/me").status_code == 200
    assert browser.get("/").status_code == 302  # back to the log-in page
    assert log_in(password=NEW_PASSWORD)


def test_password_change_from_the_browser_keeps_that_session(alice):
    key = log_in()
    browser = Client()
    assert browser.login(username="alice", password=PASSWORD)
    response = browser.post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 204
    assert browser.get("/api/v1/me").status_code == 200
    assert api(key).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("body", [{}, {"password": "wrong"}, {"password": 12}])
def test_delete_me_asks_for_the_password(alice, body):
    key = log_in()
    response = api(key).delete("/api/v1/me", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    alice.refresh_from_db()
    assert alice.is_active
    assert api(key).get("/api/v1/me").status_code == 200


def test_wrong_passwords_on_these_checks_are_capped_per_account(alice, settings):
    from dmsite.env import Rate

    settings.RATE_LOGIN_ACCOUNT = Rate(3, 900)
    key = log_in()
    for _ in range(3):
        assert api(key).delete("/api/v1/me", {"password": "x"}, format="json").status_code == 400
    response = api(key).delete("/api/v1/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert int(response["Retry-After"]) >= 1
