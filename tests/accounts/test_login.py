"""POST /api/v1/auth/login and /auth/logout, and the RATE_LOGIN limit per username + IP."""

import datetime
import json

import pytest
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import DeviceToken, User
from dmsite.env import Rate
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
MISSING = object()
T0 = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def alice() -> User:
    return UserFactory(username="Alice")


def login(client: APIClient, username="alice", password=PASSWORD, ip="127.0.0.1", **extra):
    body = {"username": username, "password": password, **extra}
    body = {key: value for key, value in body.items() if value is not MISSING}
    return client.post(LOGIN, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def assert_refused(response, status=400, code="invalid"):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert DeviceToken.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(
            field, value, id=f"{field}={ascii(value)[:24] if value is not MISSING else 'missing'}"
        )
        for field, values in {
            "username": [
                MISSING,
                None,
                42,
                True,
                ["alice"],
                {"name": "alice"},
                "",
                "   ",
                "a" * 151,
                "al\u0000ice",
                "\ud800x",
                "alice\n",
            ],
            "password": [
                MISSING,
                None,
                12345678,
                False,
                [PASSWORD],
                {"value": PASSWORD},
                "",
                "x" * 129,
                PASSWORD + "\u0000",
                "\udfff" + PASSWORD,
            ],
        }.items()
        for value in values
    ],
)
def test_bad_field_is_400_invalid(api, alice, field, value):
    response = login(api, **{field: value})
    assert_refused(response)
    assert field in response.json()["fields"]
    alice.refresh_from_db()
    assert alice.last_login is None


def test_right_password_gives_a_token_that_works_on_me(api, alice):
    response = login(api)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["username"] == "Alice"
    assert DeviceToken.objects.get(user=alice).digest == hash_token(body["token"])
    me = with_token(body["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "Alice"


@pytest.mark.parametrize("spelling", ["alice", "ALICE", "aLiCe"])
def test_username_ignores_case(api, alice, spelling):
    response = login(api, username=spelling)
    assert response.status_code == 200, response.content
    assert response.json()["user"]["username"] == "Alice"


def test_logging_in_twice_gives_two_devices_their_own_tokens(api, alice):
    first = login(api).json()["token"]
    second = login(api).json()["token"]
    assert first != second
    assert DeviceToken.objects.filter(user=alice).count() == 2
    assert with_token(first).get("/api/v1/me").status_code == 200
    assert with_token(second).get("/api/v1/me").status_code == 200


def test_login_after_register(api):
    body = {"username": "newbie", "password": "a-long-secret-9", "date_of_birth": "2000-01-02"}
    registered = api.post(
        "/api/v1/auth/register", json.dumps(body), content_type="application/json"
    )
    assert registered.status_code == 201
    response = login(api, username="newbie", password="a-long-secret-9")
    assert response.status_code == 200
    # A second device: its own token; the sign-up's token keeps working beside it.
    assert response.json()["token"] != registered.json()["token"]
    for token in (response.json()["token"], registered.json()["token"]):
        assert with_token(token).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "wrong-password"),
        ("alice", PASSWORD.upper()),
        ("alice", PASSWORD + " "),
        ("alice", " " + PASSWORD),
        ("nobody", PASSWORD),
        ("nobody", "wrong-password"),
        ("alice.", PASSWORD),
        ("al_ce", PASSWORD),
        ("_lice", PASSWORD),
        ("alic%", PASSWORD),
        ("%", PASSWORD),
        ("a%", PASSWORD),
    ],
)
def test_wrong_password_and_unknown_user_are_the_same_400_invalid(api, alice, username, password):
    response = login(api, username=username, password=password)
    assert_refused(response)
    assert response.json()["detail"] == "Wrong username or password."
    assert "fields" not in response.json()


def test_inactive_user_cannot_log_in(api):
    UserFactory(username="gone", is_active=False)
    assert_refused(login(api, username="gone"))


def test_logout_revokes_the_token(api, alice):
    token = login(api).json()["token"]
    client = with_token(token)
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert response.content == b""
    assert not DeviceToken.objects.filter(digest=hash_token(token)).exists()
    for method, path in [("get", "/api/v1/me"), ("post", "/api/v1/auth/logout")]:
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    # Logging in again gives a new token.
    again = login(api)
    assert again.status_code == 200
    assert again.json()["token"] != token
    assert with_token(again.json()["token"]).get("/api/v1/me").status_code == 200


def test_logout_without_a_token_is_401(api):
    response = api.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_deactivated_user_cannot_log_in(api, alice):
    token = login(api).json()["token"]
    response = with_token(token).delete("/api/v1/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert_refused(login(api))


# The login limit: RATE_LOGIN (default 10/900) failed attempts per username + IP.


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def fail_ten_times(api, username="alice", ip="127.0.0.1"):
    for _ in range(10):
        response = login(api, username=username, password="wrong-password", ip=ip)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid"


def assert_throttled(response, retry_after: int | None = None):
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "too_many_attempts"
    seconds = int(response["Retry-After"])
    assert seconds >= 1
    if retry_after is not None:
        assert seconds == retry_after


def test_the_default_limit_is_10_per_900_seconds(settings):
    assert str(settings.RATE_LOGIN) == "10/900"


def test_eleventh_attempt_is_throttled_even_with_the_right_password(api, alice, frozen):
    fail_ten_times(api)
    assert_throttled(login(api, password="wrong-password"), retry_after=900)
    assert_throttled(login(api), retry_after=900)
    assert DeviceToken.objects.count() == 0
    # Throttled attempts do not extend the window.
    frozen.shift(600)
    assert_throttled(login(api), retry_after=300)


def test_throttle_ignores_the_case_of_the_username(api, alice, frozen):
    fail_ten_times(api, username="ALICE")
    assert_throttled(login(api, username="alice"))


def test_another_ip_or_username_is_not_throttled(api, alice, frozen):
    UserFactory(username="bob")
    fail_ten_times(api)
    assert_throttled(login(api))
    assert login(api, ip="198.51.100.9").status_code == 200
    assert login(api, ip="2001:db8::1").status_code == 200
    assert login(api, username="bob").status_code == 200


def test_unknown_usernames_are_throttled_too(api, frozen):
    fail_ten_times(api, username="nobody")
    assert_throttled(login(api, username="nobody", password="anything"))


def test_successful_logins_do_not_count(api, alice, frozen):
    for _ in range(15):
        assert login(api).status_code == 200
    for _ in range(9):
        assert login(api, password="wrong-password").status_code == 400
    assert login(api).status_code == 200


def test_login_works_again_after_the_window(api, alice, frozen):
    fail_ten_times(api)
    frozen.shift(899)
    assert_throttled(login(api), retry_after=1)
    frozen.shift(1)
    response = login(api)
    assert response.status_code == 200, response.content
    assert response.json()["user"]["username"] == "Alice"


def test_the_window_slides(api, alice, frozen):
    for _ in range(5):
        assert login(api, password="wrong-password").status_code == 400
    frozen.shift(450)
    for _ in range(5):
        assert login(api, password="wrong-password").status_code == 400
    assert_throttled(login(api), retry_after=450)
    frozen.shift(450)
    # The first five have left the window; five more failures fit before the limit again.
    for _ in range(5):
        assert login(api, password="wrong-password").status_code == 400
    assert_throttled(login(api), retry_after=450)


def test_the_limit_comes_from_settings(api, alice, settings, frozen):
    settings.RATE_LOGIN = Rate(2, 60)
    for _ in range(2):
        assert login(api, password="wrong-password").status_code == 400
    assert_throttled(login(api), retry_after=60)
    frozen.shift(60)
    assert login(api).status_code == 200
