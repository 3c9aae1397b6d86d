"""Finding 9: input quoted into an error never breaks its encoding (SPEC section 4).

A lone surrogate is valid JSON (`"\\ud800"`) but not UTF-8: an error detail that
quotes it (a choice that is not valid, a name) failed to render and answered 500.
"""

import json

import pytest

from dmsite.errors import InvalidInput, api_exception_handler, encodable
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONE = "\udfff\ud800"


def _raw(api, method, url, payload):
    # json.dumps escapes the surrogates, so they reach the server exactly as a client sends them.
    return getattr(api, method)(url, json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("patch", "/api/v1/me/privacy", {"dm_preference": LONE}),
        ("patch", "/api/v1/me/privacy", {"read_receipts": LONE}),
        ("post", "/api/v1/reports", {"target_type": LONE, "target_id": "1", "reason": "spam"}),
        ("post", "/api/v1/reports", {"target_type": "user", "target_id": "x", "reason": LONE}),
        ("post", "/api/v1/conversations", {"username": LONE}),
        ("post", "/api/v1/messages", {"to": LONE, "body": "hi"}),
        ("post", "/api/v1/me/phone", {"phone_number": LONE}),
        ("patch", "/api/v1/me", {"display_name": LONE, LONE: 1}),
    ],
)
def test_a_lone_surrogate_echoed_in_an_error_is_400_not_500(client_for, method, url, payload):
    response = _raw(client_for(UserFactory()), method, url, payload)

    assert response.status_code in (400, 404), response.content
    body = json.loads(response.content.decode("utf-8"))  # strict: the bytes are valid UTF-8
    assert body["code"] in ("invalid", "not_found", "invalid_phone_number")
    assert "\ud800" not in response.content.decode("utf-8")


def test_the_handler_replaces_lone_surrogates_in_detail_and_fields():
    error = InvalidInput(f"{LONE} is not valid.", fields={LONE: [f"bad {LONE}"]})

    response = api_exception_handler(error, {})

    assert response.data == {
        "code": "invalid",
        "detail": "\ufffd\ufffd is not valid.",
        "fields": {"\ufffd\ufffd": ["bad \ufffd\ufffd"]},
    }


def test_encodable_keeps_every_valid_character():
    text = "héllo 😀 \u4e2d \n\t"
    assert encodable(text) == text
