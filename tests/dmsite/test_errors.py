"""dmsite.errors: every API error leaves as {"code", "detail"[, "fields"]} with its SPEC status.

The table at the bottom sends malformed bodies to every accounts endpoint that reads
one: whatever arrives, the answer is a 4xx in that shape and nothing is written.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions
from rest_framework.test import APIClient

from accounts import services
from accounts.models import DeviceToken, PhoneVerification, User
from dmsite.errors import (
    ApiError,
    InvalidInput,
    NotFound,
    PermissionDeniedError,
    RateLimited,
    TooManyAttempts,
    api_exception_handler,
)
from tests.factories import PASSWORD, UserFactory, token_for


def handle(exc):
    response = api_exception_handler(exc, {})
    assert response is not None
    return response


class TeapotError(ApiError):
    status_code = 418
    default_code = "teapot"
    default_detail = "I am a teapot."


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput(), 400, "invalid"),
        (NotFound(), 404, "not_found"),
        (PermissionDeniedError(), 403, "permission_denied"),
        (TeapotError(), 418, "teapot"),
        (Http404("secret/path"), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (SuspiciousOperation("bad host"), 400, "invalid"),
        (RequestDataTooBig("too big"), 400, "invalid"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed("Invalid token."), 401, "not_authenticated"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.NotAcceptable(), 406, "not_acceptable"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "unsupported_media_type"),
        (exceptions.ParseError(), 400, "invalid"),
    ],
)
def test_handler_maps_each_exception_to_its_status_and_code(exc, status, code):
    response = handle(exc)
    assert response.status_code == status
    assert set(response.data) == {"code", "detail"}
    assert response.data["code"] == code
    assert isinstance(response.data["detail"], str)
    assert response.data["detail"]
    assert "Retry-After" not in response


def test_handler_keeps_the_detail_of_an_api_error():
    response = handle(InvalidInput("Date of birth cannot be in the future."))
    assert response.data == {
        "code": "invalid",
        "detail": "Date of birth cannot be in the future.",
    }


def test_handler_does_not_leak_an_http404_message():
    assert handle(Http404("no row in accounts_user")).data["detail"] == "Not found."


def test_handler_renders_fields_of_an_api_error():
    exc = InvalidInput("Too short.", fields={"password": ["Too short."]})
    response = handle(exc)
    assert response.data == {
        "code": "invalid",
        "detail": "Too short.",
        "fields": {"password": ["Too short."]},
    }


@pytest.mark.parametrize(
    ("exc", "code", "retry_after"),
    [
        (RateLimited(30), "rate_limited", "30"),
        (RateLimited(2.1), "rate_limited", "3"),
        (RateLimited(0), "rate_limited", "1"),
        (RateLimited(-5), "rate_limited", "1"),
        (TooManyAttempts(899.5), "too_many_attempts", "900"),
        (exceptions.Throttled(wait=2.5), "rate_limited", "3"),
        (exceptions.Throttled(), "rate_limited", "1"),
    ],
)
def test_handler_sets_retry_after_on_429(exc, code, retry_after):
    response = handle(exc)
    assert response.status_code == 429
    assert response.data["code"] == code
    assert response["Retry-After"] == retry_after


@pytest.mark.parametrize(
    ("detail", "fields", "first"),
    [
        (
            {"username": ["Required."], "password": ["Too short."]},
            {"username": ["Required."], "password": ["Too short."]},
            "username: Required.",
        ),
        ({"non_field_errors": ["No data."]}, {"non_field_errors": ["No data."]}, "No data."),
        (["Something is wrong."], {"non_field_errors": ["Something is wrong."]}, None),
        ("Something is wrong.", {"non_field_errors": ["Something is wrong."]}, None),
        ({"a": {"b": ["Bad."]}}, {"a": {"b": ["Bad."]}}, "a: b: Bad."),
    ],
)
def test_handler_renders_validation_errors_with_fields(detail, fields, first):
    response = handle(exceptions.ValidationError(detail))
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["fields"] == fields
    assert response.data["detail"] == (first or "Something is wrong.")
    # Plain JSON of strings, not DRF's ErrorDetail.
    assert json.loads(json.dumps(response.data)) == response.data


def test_handler_leaves_unknown_exceptions_to_django():
    assert api_exception_handler(ValueError("boom"), {}) is None


# Over HTTP.


def authenticated(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert set(body) <= {"code", "detail", "fields"}
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/nowhere", "/api/v1/me/", "/api/v1/auth/register/", "/api/v1/", "/api/v2/me"],
)
def test_unknown_api_path_is_json_not_found(api, path):
    body = assert_error(api.get(path), 404, "not_found")
    assert body == {"code": "not_found", "detail": "Not found."}
    assert_error(api.post(path, b"{}", content_type="application/json"), 404, "not_found")


@pytest.mark.django_db
def test_unknown_page_outside_the_api_is_not_json(api):
    response = api.get("/nowhere")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/me"),
        ("post", "/api/v1/me"),
        ("get", "/api/v1/auth/register"),
        ("get", "/api/v1/auth/login"),
        ("delete", "/api/v1/auth/login"),
        ("get", "/api/v1/me/phone"),
        ("patch", "/api/v1/me/phone/verify"),
    ],
)
def test_wrong_method_is_405(method, path):
    client = authenticated(UserFactory())
    response = client.generic(method.upper(), path, b"{}", content_type="application/json")
    assert_error(response, 405, "method_not_allowed")
    assert method.upper() not in response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "Token", "Token not-a-real-key", "Token a b", "Bearer abc", "Basic dXNlcjpwYXNz"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("patch", "/api/v1/me"),
        ("delete", "/api/v1/me"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/me/phone"),
        ("post", "/api/v1/me/phone/verify"),
    ],
)
def test_not_authenticated_is_401(api, authorization, method, path):
    user = UserFactory()
    before = list(User.objects.values())
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = api.generic(
        method.upper(), path, b'{"display_name": "X"}', content_type="application/json", **headers
    )
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert list(User.objects.values()) == before
    assert User.objects.get(pk=user.pk).is_active


@pytest.mark.django_db
def test_validation_error_over_http_names_the_fields(api):
    response = api.post(
        "/api/v1/auth/register",
        json.dumps({"username": 1, "date_of_birth": "2010-02-30"}),
        content_type="application/json",
    )
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"username", "password", "date_of_birth"}
    for messages in body["fields"].values():
        assert isinstance(messages, list)
        assert all(isinstance(message, str) and message for message in messages)


# Malformed bodies, to every endpoint that reads one.

VALID_BODIES = {
    "register": {
        "username": "newcomer",
        "password": "a-long-secret-9",
        "date_of_birth": "2000-01-02",
    },
    "login": {"username": "member", "password": PASSWORD},
    "me": {"display_name": "New Name", "bio": "New bio"},
    "phone": {"phone_number": "+447400123456"},
    "verify": {"code": "123456"},
}
ENDPOINTS = {
    "register": ("post", "/api/v1/auth/register"),
    "login": ("post", "/api/v1/auth/login"),
    "me": ("patch", "/api/v1/me"),
    "phone": ("post", "/api/v1/me/phone"),
    "verify": ("post", "/api/v1/me/phone/verify"),
}

MALFORMED_BODIES = [
    pytest.param(b"{", id="unterminated"),
    pytest.param(b'{"username": "member",}', id="trailing-comma"),
    pytest.param(b"{'username': 'member'}", id="single-quotes"),
    pytest.param(b"username=member", id="not-json"),
    pytest.param(b"[]", id="empty-list"),
    pytest.param(b'["member", "secret"]', id="list"),
    pytest.param(b'[{"username": "member"}]', id="list-of-object"),
    pytest.param(b'"member"', id="string"),
    pytest.param(b"42", id="number"),
    pytest.param(b"-1.5e3", id="float"),
    pytest.param(b"true", id="boolean"),
    pytest.param(b"null", id="null"),
    pytest.param(b"NaN", id="nan"),
    pytest.param(b'{"username": NaN}', id="nan-value"),
    pytest.param(b'{"username": -Infinity}', id="infinity-value"),
    pytest.param(b"\xff\xfe\xfd", id="not-utf8"),
    pytest.param(b'{"username": "caf\xe9"}', id="latin1-byte"),
    pytest.param(b"\x00", id="nul"),
    pytest.param(b"   ", id="whitespace"),
    pytest.param(b'{"username": 1' + b"0" * 5000 + b"}", id="huge-integer"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep-list"),
    pytest.param(b'{"a":' * 20_000 + b"1" + b"}" * 20_000, id="deep-object"),
]


@pytest.fixture
def member(django_capture_on_commit_callbacks):
    """A user with a pending phone code, so a malformed verify could waste an attempt."""
    user = UserFactory(username="member", phone_number="", phone_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_verification_start(user=user, phone_number="+447400999888")
    token_for(user)
    return user


def db_state():
    return (
        list(User.objects.order_by("pk").values()),
        sorted(DeviceToken.objects.values_list("digest", flat=True)),
        list(PhoneVerification.objects.order_by("pk").values()),
    )


def send(endpoint: str, user: User, body: bytes, content_type: str = "application/json"):
    method, path = ENDPOINTS[endpoint]
    client = authenticated(user) if endpoint in {"me", "phone", "verify"} else APIClient()
    return client.generic(method.upper(), path, body, content_type=content_type)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_malformed_body_is_400_invalid(member, sms_outbox, endpoint, body):
    before, sent = db_state(), len(sms_outbox)
    assert_error(send(endpoint, member, body), 400, "invalid")
    assert db_state() == before
    assert len(sms_outbox) == sent


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "text/plain",
        "application/xml",
        "application/jsonp",
    ],
)
def test_a_body_that_is_not_json_is_415(member, sms_outbox, endpoint, content_type):
    body = VALID_BODIES[endpoint]
    raw = (
        "&".join(f"{key}={value}" for key, value in body.items())
        if content_type.startswith("application/x-www")
        else json.dumps(body)
    )
    before, sent = db_state(), len(sms_outbox)
    assert_error(send(endpoint, member, raw.encode(), content_type), 415, "unsupported_media_type")
    assert db_state() == before
    assert len(sms_outbox) == sent


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_an_oversized_body_is_400_invalid_even_when_its_content_is_right(
    settings, member, sms_outbox, endpoint
):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024
    body = {**VALID_BODIES[endpoint], "padding": "x" * (256 * 1024)}
    before, sent = db_state(), len(sms_outbox)
    assert_error(send(endpoint, member, json.dumps(body).encode()), 400, "invalid")
    assert db_state() == before
    assert len(sms_outbox) == sent


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["register", "login", "me", "phone"])
def test_a_body_just_under_the_limit_is_read(settings, member, sms_outbox, endpoint):
    """The control for the test above: the same padding, under the limit, is accepted."""
    settings.PHONE_RESEND_SECONDS = 0  # member has just been sent a code
    body = {**VALID_BODIES[endpoint], "padding": "x" * (255 * 1024)}
    response = send(endpoint, member, json.dumps(body).encode())
    assert response.status_code in {200, 201, 202}, response.content
