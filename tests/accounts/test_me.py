"""GET / PATCH / DELETE /api/v1/me: the own profile, what may change in it, deactivation."""

import datetime
import json

import pytest
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import DeviceToken, User
from tests.factories import PASSWORD, UserFactory, token_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


@pytest.fixture
def user() -> User:
    return UserFactory(
        username="carol",
        display_name="Carol",
        bio="Hello there",
        phone_number="+447400123456",
        date_of_birth=datetime.date(1990, 3, 4),
    )


@pytest.fixture
def client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def patch(client: APIClient, body: dict):
    return client.patch(ME, json.dumps(body), content_type="application/json")


def row(user: User) -> dict:
    return User.objects.filter(pk=user.pk).values().get()


def test_get_me(client, user):
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "carol",
        "display_name": "Carol",
        "bio": "Hello there",
        "date_of_birth": "1990-03-04",
        "phone_number": "+447400123456",
        "phone_verified": True,
        "avatar_url": None,
        "dm_enabled": True,
        "unread_total": 0,
    }


def test_get_me_unverified_phone(api):
    user = UserFactory(phone_number="+447400123456", phone_verified=False)
    api.force_authenticate(user)
    body = api.get(ME).json()
    assert body["phone_verified"] is False
    assert body["dm_enabled"] is False  # a verified phone number is needed to send


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_me_needs_authentication(api, user, method):
    before = row(user)
    response = getattr(api, method)(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert row(user) == before


@pytest.mark.parametrize(
    ("body", "display_name", "bio"),
    [
        ({"display_name": "Caroline"}, "Caroline", "Hello there"),
        ({"bio": "New bio"}, "Carol", "New bio"),
        ({"display_name": "C", "bio": "B"}, "C", "B"),
        ({"display_name": "", "bio": ""}, "", ""),
        ({"display_name": "x" * 50, "bio": "y" * 200}, "x" * 50, "y" * 200),
        ({"bio": "two\nlines\tand a tab"}, "Carol", "two\nlines\tand a tab"),
        ({"display_name": "Ćárøl 😀", "bio": "李小龙"}, "Ćárøl 😀", "李小龙"),
        ({"display_name": "  Carol  "}, "Carol", "Hello there"),
        ({}, "Carol", "Hello there"),
    ],
)
def test_patch_changes_display_name_and_bio(client, user, body, display_name, bio):
    response = patch(client, body)
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == display_name
    assert response.json()["bio"] == bio
    user.refresh_from_db()
    assert (user.display_name, user.bio) == (display_name, bio)


def test_patch_ignores_every_other_field(client, user):
    before = row(user)
    response = patch(
        client,
        {
            "display_name": "Caroline",
            "username": "mallory",
            "date_of_birth": "2015-01-01",
            "phone_number": "+33612345678",
            "phone_verified": False,
            "phone_verified_at": None,
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "messaging_suspended_until": "2999-01-01T00:00:00Z",
            "password": "new-password-123",
            "id": 12345,
        },
    )
    assert response.status_code == 200, response.content
    after = row(user)
    assert after.pop("display_name") == "Caroline"
    before.pop("display_name")
    assert after == before
    assert response.json()["username"] == "carol"
    assert response.json()["date_of_birth"] == "1990-03-04"


def test_empty_json_body_changes_nothing(client, user):
    before = row(user)
    response = client.patch(ME, b"", content_type="application/json")
    assert response.status_code == 200
    assert row(user) == before


BAD_FIELDS = [
    pytest.param(field, value, id=f"{field}={ascii(value)[:24]}")
    for field, values in {
        "display_name": [
            None,
            7,
            True,
            ["Caroline"],
            {"name": "Caroline"},
            "x" * 51,
            "Caro\u0000line",
            "\ud800",
            "Caro\udc00line",
            "Caro\nline",
            "Caro\tline",
            "Caro\x7fline",
        ],
        "bio": [
            None,
            0,
            False,
            ["bio"],
            {"text": "bio"},
            "y" * 201,
            "bio\u0000",
            "\ud800x",
            "bell\x07",
            "carriage\rreturn",
        ],
    }.items()
    for value in values
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_bad_field_is_400_invalid_and_changes_nothing(client, user, field, value):
    before = row(user)
    response = patch(client, {field: value})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert row(user) == before


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_one_bad_field_stops_the_good_one_too(client, user, field, value):
    good = {"display_name": "Changed", "bio": "Changed"}
    before = row(user)
    response = patch(client, {**good, field: value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert row(user) == before


def test_delete_me_deactivates_and_revokes(client, user, api):
    response = client.delete(ME, {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    user.refresh_from_db()
    assert not user.is_active
    assert not DeviceToken.objects.filter(user=user).exists()
    # The account stays (for moderation) but is unusable.
    assert User.objects.filter(pk=user.pk).exists()
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    response = api.post(
        "/api/v1/auth/login",
        json.dumps({"username": "carol", "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not DeviceToken.objects.filter(user=user).exists()


def test_delete_me_leaves_other_users_alone(client, user):
    other = UserFactory()
    other_key = token_for(other)
    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204
    other.refresh_from_db()
    assert other.is_active
    assert DeviceToken.objects.filter(digest=hash_token(other_key)).exists()


def test_session_of_a_deactivated_user_is_not_authenticated(user):
    browser = APIClient()
    browser.force_login(user)
    assert browser.get(ME).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = browser.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
