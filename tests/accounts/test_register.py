"""POST /api/v1/auth/register: sign-up, its input rules, usernames and the sign-up limit.

Bodies are sent as json.dumps(...) text (ASCII, with \\u escapes) so that lone
surrogates and NUL bytes reach the server exactly as a hostile client would send them.
Malformed whole bodies, other content types and oversized bodies are in
tests/dmsite/test_errors.py; age limits in test_age.py.
"""

import datetime
import json

import pytest
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import DeviceToken, User
from dmsite.env import Rate

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
MISSING = object()
TOMORROW = object()


def register_body(**changes) -> dict:
    body = {"username": "alice", "password": "a-long-secret-9", "date_of_birth": "2000-01-02"}
    for field, value in changes.items():
        if value is MISSING:
            body.pop(field, None)
        elif value is TOMORROW:
            body[field] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        else:
            body[field] = value
    return body


def register(client: APIClient, ip: str = "127.0.0.1", **changes):
    body = json.dumps(register_body(**changes))
    return client.post(REGISTER, body, content_type="application/json", REMOTE_ADDR=ip)


def label(value) -> str:
    if value is MISSING:
        return "missing"
    if value is TOMORROW:
        return "tomorrow"
    return ascii(value)[:32]


def table(rows):
    return [pytest.param(field, value, id=f"{field}={label(value)}") for field, value in rows]


BAD_FIELDS = table(
    [
        ("username", MISSING),
        ("username", None),
        ("username", 42),
        ("username", 0),
        ("username", True),
        ("username", 1.5),
        ("username", ["alice"]),
        ("username", {"name": "alice"}),
        ("username", ""),
        ("username", "   "),
        ("username", "a" * 25),
        ("username", "a" * 1000),
        ("username", "a"),
        ("username", "has space"),
        ("username", "émile"),
        ("username", "a-b"),
        ("username", "al@ice"),
        ("username", "alice!"),
        ("username", "al\u0000ice"),
        ("username", "\u0000"),
        ("username", "\ud800x"),
        ("username", "ali\udfffce"),
        ("username", "alice\n"),
        ("username", "ali\tce"),
        ("username", "\uff41\uff4c\uff49\uff43\uff45"),  # fullwidth
        ("username", "😀😀"),
        ("password", MISSING),
        ("password", None),
        ("password", 12345678901),
        ("password", True),
        ("password", ["a-long-secret-9"]),
        ("password", {"value": "a-long-secret-9"}),
        ("password", ""),
        ("password", "x" * 129),
        ("password", "a-long-\u0000secret"),
        ("password", "\ud800-long-secret"),
        ("password", "a-long-\x07secret"),
        ("password", "short1"),
        ("password", "password"),
        ("password", "83749281734"),
        ("date_of_birth", MISSING),
        ("date_of_birth", None),
        ("date_of_birth", 20100101),
        ("date_of_birth", 1262304000),
        ("date_of_birth", True),
        ("date_of_birth", ["2010-01-01"]),
        ("date_of_birth", {"year": 2010, "month": 1, "day": 1}),
        ("date_of_birth", ""),
        ("date_of_birth", "2010-02-30"),
        ("date_of_birth", "2010-02-29"),
        ("date_of_birth", "2010-13-01"),
        ("date_of_birth", "2010-00-10"),
        ("date_of_birth", "2010-01-00"),
        ("date_of_birth", "2010-04-31"),
        ("date_of_birth", "1899-12-31"),
        ("date_of_birth", "0000-01-01"),
        ("date_of_birth", "0001-01-01"),
        ("date_of_birth", "20100101"),
        ("date_of_birth", "2010-1-1"),
        ("date_of_birth", "10-01-01"),
        ("date_of_birth", "01/02/2010"),
        ("date_of_birth", "2010/01/02"),
        ("date_of_birth", "2010-01-02T00:00:00"),
        ("date_of_birth", "2010-01-02Z"),
        ("date_of_birth", " 2010-01-02"),
        ("date_of_birth", "2010-01-02\n"),
        ("date_of_birth", "+2010-01-02"),
        ("date_of_birth", "2010-W01-1"),
        ("date_of_birth", "\u0662\u0660\u0661\u0660-\u0660\u0661-\u0660\u0662"),  # Arabic-Indic
        ("date_of_birth", "2010-01-0\u0000"),
        ("date_of_birth", "\ud800"),
        ("date_of_birth", TOMORROW),
        ("date_of_birth", "2999-01-01"),
        ("date_of_birth", "9999-12-31"),
        ("display_name", None),
        ("display_name", 7),
        ("display_name", False),
        ("display_name", ["Alice"]),
        ("display_name", {"first": "Alice"}),
        ("display_name", "x" * 51),
        ("display_name", "Al\u0000ice"),
        ("display_name", "\ud800"),
        ("display_name", "Alice\nLiddell"),
        ("display_name", "Alice\x1b[31m"),
    ]
)


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_bad_field_is_400_invalid_and_creates_nothing(api, field, value):
    response = register(api, **{field: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert User.objects.count() == 0
    assert DeviceToken.objects.count() == 0


def test_lone_surrogate_in_a_raw_body_is_400_invalid(api):
    body = b'{"username": "\\ud800x", "password": "a-long-secret-9", "date_of_birth": "2000-01-02"}'
    response = api.post(REGISTER, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert "username" in response.json()["fields"]
    assert User.objects.count() == 0


def test_register_answers_201_with_a_working_token(api):
    response = register(api, username="Alice_1", display_name="Alice L.")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"] == {
        "id": body["user"]["id"],
        "username": "Alice_1",
        "display_name": "Alice L.",
        "bio": "",
        "date_of_birth": "2000-01-02",
        "phone_number": "",
        "phone_verified": False,
        "avatar_url": None,
    }
    user = User.objects.get()
    assert user.username == "Alice_1"
    assert user.date_of_birth == datetime.date(2000, 1, 2)
    assert user.check_password("a-long-secret-9")
    assert user.is_active
    assert not user.is_staff
    assert DeviceToken.objects.get(user=user).digest == hash_token(body["token"])

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "Alice_1"


@pytest.mark.parametrize(
    "display_name", ["", "Ünïcödé Ålice", "李小龙", "Alice 😀", "x" * 50, "  padded  "]
)
def test_display_name_is_optional_and_takes_any_printable_text(api, display_name):
    response = register(api, display_name=display_name)
    assert response.status_code == 201, response.content
    assert User.objects.get().display_name == display_name.strip()


def test_display_name_defaults_to_empty(api):
    assert register(api, display_name=MISSING).status_code == 201
    assert User.objects.get().display_name == ""


@pytest.mark.parametrize(
    "password", ["x" * 128, "  spaces kept  ", "pässwörd-ünïcode", "emoji-😀-secret"]
)
def test_password_is_kept_exactly(api, password):
    response = register(api, password=password)
    assert response.status_code == 201, response.content
    assert User.objects.get().check_password(password)


def test_unknown_and_read_only_fields_are_ignored(api):
    response = register(
        api,
        is_staff=True,
        is_superuser=True,
        is_active=False,
        phone_number="+447400123456",
        phone_verified=True,
        bio="injected",
    )
    assert response.status_code == 201, response.content
    user = User.objects.get()
    assert not user.is_staff
    assert not user.is_superuser
    assert user.is_active
    assert user.phone_number == ""
    assert user.phone_verified_at is None
    assert user.bio == ""


@pytest.mark.parametrize(
    "username", ["ab", "a" * 24, "Alice_1", "alice.b", "_._", "123", "A.B_C.9", "__"]
)
def test_username_rules_accept(api, username):
    response = register(api, username=username)
    assert response.status_code == 201, response.content
    assert User.objects.get().username == username


@pytest.mark.parametrize(
    ("first", "second"),
    [("Alice", "alice"), ("alice", "ALICE"), ("Bob.Smith_9", "bob.smith_9"), ("x_y", "X_Y")],
)
def test_username_taken_ignores_case(api, first, second):
    assert register(api, username=first).status_code == 201
    response = register(api, username=second, password="another-secret-7")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "username_taken"
    assert list(User.objects.values_list("username", flat=True)) == [first]
    assert User.objects.get().check_password("a-long-secret-9")
    assert DeviceToken.objects.count() == 1


@pytest.mark.parametrize("lookalike", ["al_ce", "_lice", "alic_", "a.ice", "alice_", "alic"])
def test_wildcard_characters_are_not_wildcards(api, lookalike):
    """`_` is a LIKE wildcard in SQL: a case-insensitive lookup must not treat it as one."""
    assert register(api, username="alice").status_code == 201
    response = register(api, username=lookalike)
    assert response.status_code == 201, response.content
    assert User.objects.count() == 2


@pytest.mark.parametrize("date_of_birth", ["1900-01-01", "1904-02-29", "2000-02-29", "2000-12-31"])
def test_real_dates_from_1900_are_accepted(api, date_of_birth):
    response = register(api, date_of_birth=date_of_birth)
    assert response.status_code == 201, response.content
    assert User.objects.get().date_of_birth.isoformat() == date_of_birth


def test_register_does_not_log_anyone_in_by_session(api):
    assert register(api).status_code == 201
    assert "sessionid" not in api.cookies


def test_signup_limit_per_ip(api, settings):
    settings.RATE_SIGNUPS = Rate(3, 3600)
    for number in range(3):
        response = register(api, ip="203.0.113.7", username=f"user{number}")
        assert response.status_code == 201, response.content
    response = register(api, ip="203.0.113.7", username="user3")
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert not User.objects.filter(username="user3").exists()
    assert User.objects.count() == 3
    # Another IP is not limited.
    assert register(api, ip="198.51.100.1", username="user4").status_code == 201


def test_failed_signups_do_not_count_towards_the_limit(api, settings):
    settings.RATE_SIGNUPS = Rate(2, 3600)
    assert register(api, ip="203.0.113.7", username="taken").status_code == 201
    for _ in range(3):
        assert register(api, ip="203.0.113.7", username="taken").status_code == 409
        assert register(api, ip="203.0.113.7", username="x").status_code == 400
        assert register(api, ip="203.0.113.7", password="short1").status_code == 400
    assert register(api, ip="203.0.113.7", username="second").status_code == 201
    assert register(api, ip="203.0.113.7", username="third").status_code == 429


def test_signup_limit_frees_up_after_the_window(api, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    settings.RATE_SIGNUPS = Rate(3, 3600)
    for number in range(3):
        assert register(api, username=f"user{number}").status_code == 201
    time_machine.shift(1800)
    response = register(api, username="early")
    assert response.status_code == 429
    assert response["Retry-After"] == "1800"
    time_machine.shift(1800)
    assert register(api, username="ontime").status_code == 201
