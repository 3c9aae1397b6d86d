"""me/privacy: reading and changing the DM preference and read receipts, and the defaults."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from privacy.models import PrivacySettings
from tests.conftest import years_ago
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRIVACY = "/api/v1/me/privacy"


def settings_shape(dm_preference: str, read_receipts: bool, **changed) -> dict:
    """The whole me/privacy body: section 12's fields keep their defaults unless `changed`."""
    return {
        "dm_preference": dm_preference,
        "read_receipts": read_receipts,
        "filter_requests": True,
        "hidden_words": [],
        **changed,
    }


def stored(user) -> tuple[str, bool] | None:
    row = PrivacySettings.objects.filter(user=user).first()
    return None if row is None else (row.dm_preference, row.read_receipts)


def test_an_adult_starts_with_friends_and_no_read_receipts(client_for):
    adult = UserFactory()

    response = client_for(adult).get(PRIVACY)

    assert response.status_code == 200, response.json()
    assert response.json() == settings_shape("friends", False)


@pytest.mark.parametrize("preference", ["everyone", "no_one", "friends"])
def test_patch_each_dm_preference(client_for, preference):
    user = UserFactory()
    api = client_for(user)

    response = api.patch(PRIVACY, {"dm_preference": preference}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == settings_shape(preference, False)
    assert api.get(PRIVACY).json() == settings_shape(preference, False)
    assert stored(user) == (preference, False)


def test_patch_read_receipts_on_and_off_keeps_the_preference(client_for):
    user = UserFactory()
    api = client_for(user)
    api.patch(PRIVACY, {"dm_preference": "everyone"}, format="json")

    response = api.patch(PRIVACY, {"read_receipts": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == settings_shape("everyone", True)

    response = api.patch(PRIVACY, {"read_receipts": False}, format="json")
    assert response.json() == settings_shape("everyone", False)
    assert stored(user) == ("everyone", False)


def test_patch_both_at_once(client_for):
    user = UserFactory()

    response = client_for(user).patch(
        PRIVACY, {"dm_preference": "no_one", "read_receipts": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert stored(user) == ("no_one", True)


def test_empty_patch_changes_nothing(client_for):
    user = UserFactory()

    response = client_for(user).patch(PRIVACY, {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == settings_shape("friends", False)


BAD_BODIES = [
    {"dm_preference": "anyone"},
    {"dm_preference": "EVERYONE"},
    {"dm_preference": "Everyone"},
    {"dm_preference": ""},
    {"dm_preference": "friends\x00"},
    {"dm_preference": 1},
    {"dm_preference": 0},
    {"dm_preference": True},
    {"dm_preference": None},
    {"dm_preference": ["friends"]},
    {"dm_preference": {"value": "friends"}},
    {"read_receipts": "true"},
    {"read_receipts": "false"},
    {"read_receipts": 1},
    {"read_receipts": 0},
    {"read_receipts": None},
    {"read_receipts": [True]},
    {"read_receipts": {}},
    # One bad field refuses the whole change: the good one is not written either.
    {"dm_preference": "everyone", "read_receipts": "yes"},
    {"dm_preference": "nobody", "read_receipts": True},
]


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize("before", [None, ("no_one", True)], ids=["defaults", "saved"])
def test_bad_values_are_invalid_and_change_nothing(client_for, body, before):
    user = UserFactory()
    api = client_for(user)
    if before:
        api.patch(PRIVACY, {"dm_preference": before[0], "read_receipts": before[1]}, format="json")
    shown_before = api.get(PRIVACY).json()

    response = api.patch(PRIVACY, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    bad_field = next(
        name
        for name, value in body.items()
        if not (name == "dm_preference" and value == "everyone")
        and not (name == "read_receipts" and value is True)
    )
    assert bad_field in response.json()["fields"]
    assert stored(user) == before
    assert api.get(PRIVACY).json() == shown_before


@pytest.mark.parametrize(
    "raw", ['["dm_preference"]', '"everyone"', "null", "42", "{", '{"dm_preference": "friends"']
)
def test_a_body_that_is_not_an_object_is_invalid(client_for, raw):
    user = UserFactory()

    response = client_for(user).generic(
        "PATCH", PRIVACY, raw.encode(), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert stored(user) is None


@pytest.mark.parametrize("method", ["get", "patch"])
def test_privacy_needs_authentication(api, method):
    response = getattr(api, method)(PRIVACY, {"dm_preference": "everyone"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert PrivacySettings.objects.count() == 0


# --- defaults by age at sign-up --------------------------------------------------------------


def register(api: APIClient, username: str, date_of_birth: datetime.date) -> APIClient:
    response = api.post(
        "/api/v1/auth/register",
        {
            "username": username,
            "password": "a-long-secret-9",
            "date_of_birth": date_of_birth.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def log_in_again(username: str) -> APIClient:
    """API tokens expire (API_TOKEN_TTL_DAYS): after the clock jumped, the user logs in anew."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/login", {"username": username, "password": "a-long-secret-9"}, format="json"
    )
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


@pytest.mark.parametrize(
    ("years", "days", "expected"),
    [
        (18, 0, "friends"),  # 18 today: the birthday counts
        (18, 1, "no_one"),  # 18 tomorrow
        (17, 0, "no_one"),
        (16, 0, "no_one"),
        (13, 0, "no_one"),
        (40, 0, "friends"),
    ],
    ids=["18-today", "17-turning-18-tomorrow", "17", "16", "13", "40"],
)
def test_default_preference_by_age_at_sign_up(api, years, days, expected):
    client = register(api, "newcomer", years_ago(years, days=days))

    response = client.get(PRIVACY)

    assert response.status_code == 200, response.json()
    assert response.json() == settings_shape(expected, False)


@pytest.mark.parametrize(
    ("years", "days", "later"),
    [(17, 0, 366), (18, 1, 1)],
    ids=["a-year-on", "the-next-day"],
)
def test_a_17_year_old_keeps_no_one_after_turning_18(api, years, days, later):
    client = register(api, "teen", years_ago(years, days=days))
    assert client.get(PRIVACY).json()["dm_preference"] == "no_one"

    with time_machine.travel(timezone.now() + datetime.timedelta(days=later), tick=False):
        client = log_in_again("teen")
        assert User.objects.get(username="teen").age == 18
        response = client.get(PRIVACY)
        assert response.json() == settings_shape("no_one", False)

        # Turning read receipts on writes the settings row with the default decided at sign-up.
        client.patch(PRIVACY, {"read_receipts": True}, format="json")
        assert stored(User.objects.get(username="teen")) == ("no_one", True)


def test_a_minor_may_change_the_default_and_it_sticks(api):
    client = register(api, "teen", years_ago(16))

    response = client.patch(PRIVACY, {"dm_preference": "friends"}, format="json")

    assert response.status_code == 200, response.json()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=800), tick=False):
        client = log_in_again("teen")
        assert client.get(PRIVACY).json()["dm_preference"] == "friends"


def test_an_adult_keeps_friends_whatever_the_clock(api):
    client = register(api, "grownup", years_ago(18))

    with time_machine.travel(timezone.now() + datetime.timedelta(days=3650), tick=False):
        client = log_in_again("grownup")
        assert client.get(PRIVACY).json()["dm_preference"] == "friends"
