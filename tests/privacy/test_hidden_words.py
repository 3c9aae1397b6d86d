"""me/privacy's `filter_requests` and `hidden_words` (SPEC section 12): values and bad input."""

import json

import pytest

from privacy.models import PrivacySettings
from tests.conftest import years_ago
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRIVACY = "/api/v1/me/privacy"


def stored(user) -> tuple[bool, list] | None:
    row = PrivacySettings.objects.filter(user=user).first()
    return None if row is None else (row.filter_requests, row.hidden_words)


def test_filtering_is_on_by_default_with_no_hidden_words(client_for):
    body = client_for(UserFactory()).get(PRIVACY).json()
    assert (body["filter_requests"], body["hidden_words"]) == (True, [])


def test_hidden_words_are_saved_trimmed_and_in_order(client_for):
    user = UserFactory()
    words = ["  spoiler  ", "Crypto giveaway", ".*", "(", "バカ"]

    response = client_for(user).patch(PRIVACY, {"hidden_words": words}, format="json")

    assert response.status_code == 200, response.json()
    expected = ["spoiler", "Crypto giveaway", ".*", "(", "バカ"]
    assert response.json()["hidden_words"] == expected
    assert stored(user) == (True, expected)
    assert client_for(user).get(PRIVACY).json()["hidden_words"] == expected


def test_a_hundred_words_of_fifty_characters_are_fine(client_for):
    words = [f"{number:03d}" + "x" * 47 for number in range(100)]
    response = client_for(UserFactory()).patch(PRIVACY, {"hidden_words": words}, format="json")
    assert response.status_code == 200, response.json()
    assert len(response.json()["hidden_words"]) == 100


def test_an_adult_turns_filtering_off_and_on(client_for):
    user = UserFactory()
    api = client_for(user)
    assert (
        api.patch(PRIVACY, {"filter_requests": False}, format="json").json()["filter_requests"]
        is False
    )
    assert stored(user) == (False, [])
    assert (
        api.patch(PRIVACY, {"filter_requests": True}, format="json").json()["filter_requests"]
        is True
    )


def test_filtering_is_always_on_under_18(client_for):
    minor = UserFactory(date_of_birth=years_ago(16))
    api = client_for(minor)

    response = api.patch(PRIVACY, {"filter_requests": False}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "filter_requests" in response.json()["fields"]
    assert stored(minor) is None
    assert api.get(PRIVACY).json()["filter_requests"] is True


def test_a_stored_off_reads_as_on_for_a_minor(client_for):
    minor = UserFactory(date_of_birth=years_ago(17))
    PrivacySettings.objects.create(user=minor, dm_preference="no_one", filter_requests=False)
    assert client_for(minor).get(PRIVACY).json()["filter_requests"] is True


BAD_HIDDEN_WORDS = {
    "empty": [""],
    "blank": ["   "],
    "too-long": ["x" * 51],
    "duplicate": ["spam", "spam"],
    "duplicate-case": ["Spam", "SPAM"],
    "duplicate-accents": ["café", "cafe"],
    "a-hundred-and-one": [f"word{number}" for number in range(101)],
    "control-character": ["bad\x07word"],
    "nul": ["bad\x00word"],
    "newline": ["two\nlines"],
    "tab": ["tab\there"],
    "lone-surrogate": ["\ud800"],
    "not-text": [5],
    "nested-list": [["spam"]],
    "null-word": [None],
    "not-a-list": "spam",
    "object": {"spam": True},
    "null": None,
}


@pytest.mark.parametrize("words", BAD_HIDDEN_WORDS.values(), ids=BAD_HIDDEN_WORDS.keys())
def test_bad_hidden_words_are_invalid_and_change_nothing(client_for, words):
    user = UserFactory()
    api = client_for(user)
    api.patch(PRIVACY, {"hidden_words": ["kept"]}, format="json")

    # Encoded here (ASCII, escaped) so that even a lone surrogate reaches the server.
    payload = json.dumps({"hidden_words": words, "dm_preference": "everyone"})
    response = api.patch(PRIVACY, payload, content_type="application/json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert "hidden_words" in response.json()["fields"]
    assert stored(user) == (True, ["kept"])
    assert api.get(PRIVACY).json()["dm_preference"] == "friends"


@pytest.mark.parametrize("value", ["false", 0, 1, None, [], "off"])
def test_filter_requests_must_be_a_boolean(client_for, value):
    response = client_for(UserFactory()).patch(PRIVACY, {"filter_requests": value}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "filter_requests" in response.json()["fields"]
