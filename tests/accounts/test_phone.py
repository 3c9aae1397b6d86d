"""POST /api/v1/me/phone and /me/phone/verify, accounts.phone and the SMS backends.

The SMS leaves on transaction commit, so every send runs inside
django_capture_on_commit_callbacks(execute=True); the code is read from `sms_outbox`.
Time-dependent tests freeze the clock at T0 with time_machine.
"""

import datetime
import json
import re

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from accounts.errors import InvalidPhoneNumber
from accounts.models import PhoneVerification, User
from accounts.phone import phone_number_to_e164
from accounts.sms import send_sms
from dmsite.env import Rate
from tests.factories import UserFactory, token_for

pytestmark = pytest.mark.django_db

PHONE = "/api/v1/me/phone"
VERIFY = "/api/v1/me/phone/verify"
GB = "+447400123456"
FR = "+33612345678"
T0 = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)
MISSING = object()


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def new_user(**fields) -> User:
    """A user without a phone number (UserFactory's default is a verified one)."""
    return UserFactory(phone_number="", phone_verified=False, **fields)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def user() -> User:
    return new_user(username="dave")


@pytest.fixture
def client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST me/phone and run the on-commit callbacks, as the end of a real request does."""

    def send(client: APIClient, phone_number=GB, region=MISSING):
        body = {"phone_number": phone_number}
        if region is not MISSING:
            body["region"] = region
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(PHONE, json.dumps(body), content_type="application/json")

    return send


def verify(client: APIClient, code):
    return client.post(VERIFY, json.dumps({"code": code}), content_type="application/json")


def code_from(sms: dict) -> str:
    match = re.fullmatch(r"(\d{6}) is your dmsite verification code\.", sms["body"])
    assert match, sms
    return match.group(1)


def wrong(code: str, offset: int = 1) -> str:
    return f"{(int(code) + offset) % 1_000_000:06d}"


def phone_state(user: User):
    row = User.objects.filter(pk=user.pk).values("phone_number", "phone_verified_at").get()
    pending = list(PhoneVerification.objects.filter(user=user).values())
    return row, pending


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if status == 429:
        assert int(response["Retry-After"]) >= 1
    return response


def assert_verified(user: User, number: str):
    user.refresh_from_db()
    assert user.phone_number == number
    assert user.phone_verified
    assert not PhoneVerification.objects.filter(user=user).exists()


def assert_unverified(user: User, number: str = ""):
    user.refresh_from_db()
    assert user.phone_number == number
    assert not user.phone_verified
    assert user.phone_verified_at is None
    assert user.region is None


# The happy path.


def test_send_then_verify(client, user, send, sms_outbox):
    response = send(client, "+44 7400 123456")
    assert response.status_code == 202, response.content
    assert response.json() == {"phone_number": GB, "phone_verified": False}
    assert len(sms_outbox) == 1
    assert sms_outbox[0]["to"] == GB
    code = code_from(sms_outbox[0])
    assert_unverified(user, GB)

    pending = PhoneVerification.objects.get(user=user)
    assert pending.phone_number == GB
    assert pending.failed_attempts == 0
    assert pending.code_hash != code
    assert code not in pending.code_hash
    assert len(pending.code_hash) >= 40

    response = verify(client, code)
    assert response.status_code == 200, response.content
    assert response.json() == {"phone_number": GB, "phone_verified": True}
    assert_verified(user, GB)
    assert user.region == "GB"
    me = client.get("/api/v1/me").json()
    assert me["phone_number"] == GB
    assert me["phone_verified"] is True


class FailingSmsBackend:
    """An SMS provider that is down."""

    def send(self, to: str, body: str) -> None:
        raise ConnectionError("SMS provider unreachable")


def test_an_sms_that_cannot_leave_saves_and_counts_nothing(client, user, settings, sms_outbox):
    settings.SMS_BACKEND = "tests.accounts.test_phone.FailingSmsBackend"
    response = client.post(PHONE, json.dumps({"phone_number": GB}), content_type="application/json")
    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    user.refresh_from_db()
    assert (user.phone_number, user.phone_verified_at) == ("", None)
    assert not PhoneVerification.objects.filter(user=user).exists()

    # Nothing was counted: with the provider back, the send goes through at once.
    settings.SMS_BACKEND = "locmem"
    response = client.post(PHONE, json.dumps({"phone_number": GB}), content_type="application/json")
    assert response.status_code == 202
    assert [sms["to"] for sms in sms_outbox] == [GB]


@pytest.mark.parametrize(
    ("phone_number", "region", "e164", "iso"),
    [
        ("+44 7400 123456", MISSING, GB, "GB"),
        ("+447400123456", "", GB, "GB"),
        ("+44 (0) 7400 123456", MISSING, GB, "GB"),
        ("07400 123456", "GB", GB, "GB"),
        ("07400123456", "gb", GB, "GB"),
        ("(07400) 123-456", "GB", GB, "GB"),
        ("+447400123456", "FR", GB, "GB"),
        ("  +44 7400 123456  ", MISSING, GB, "GB"),
        ("+33 6 12 34 56 78", MISSING, FR, "FR"),
        ("06 12 34 56 78", "FR", FR, "FR"),
        ("+49 151 12345678", MISSING, "+4915112345678", "DE"),
        ("(415) 555-0123", "US", "+14155550123", "US"),
    ],
)
def test_any_parsable_format_is_stored_as_e164(
    client, user, send, sms_outbox, phone_number, region, e164, iso
):
    response = send(client, phone_number, region)
    assert response.status_code == 202, response.content
    assert response.json()["phone_number"] == e164
    assert sms_outbox[-1]["to"] == e164
    assert verify(client, code_from(sms_outbox[-1])).status_code == 200
    assert_verified(user, e164)
    assert user.region == iso


@pytest.mark.parametrize(
    ("phone_number", "region"),
    [
        ("+1 555", MISSING),
        ("hello", MISSING),
        ("+999123", MISSING),
        ("12345", MISSING),
        ("12345", "GB"),
        ("+44 7400 12345", MISSING),
        ("+44 7400 1234567", MISSING),
        ("07400 123456", MISSING),
        ("07400 123456", ""),
        ("07400 123456", "US"),
        ("07400 123456", "ZZ"),
        ("+", MISSING),
        ("0", MISSING),
        ("+44", MISSING),
        ("+44 20", MISSING),
        ("\u0660\u0667\u0664\u0660\u0660\u0661\u0662\u0663\u0664\u0665\u0666", MISSING),
        ("+447400123456" + "0" * 15, MISSING),
        ("☎ please", MISSING),
    ],
)
def test_invalid_or_impossible_number_is_400_invalid_phone_number(
    client, user, send, sms_outbox, phone_number, region
):
    before = phone_state(user)
    assert_error(send(client, phone_number, region), 400, "invalid_phone_number")
    assert phone_state(user) == before
    assert sms_outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(
            field, value, id=f"{field}={'missing' if value is MISSING else ascii(value)[:24]}"
        )
        for field, values in {
            "phone_number": [
                MISSING,
                None,
                447400123456,
                True,
                [GB],
                {"number": GB},
                "",
                "   ",
                "+44" + "1" * 30,
                "+44 7400\u0000123456",
                "+44 7400 \ud800123456",
                "+44 7400\n123456",
            ],
            "region": [
                None,
                44,
                True,
                ["GB"],
                {"GB": 1},
                "GBR",
                "G",
                "G1",
                "44",
                "\u0000B",
                "\ud800B",
                "ÉÉ",
            ],
        }.items()
        for value in values
    ],
)
def test_bad_field_is_400_invalid(
    client, user, sms_outbox, django_capture_on_commit_callbacks, field, value
):
    body = {"phone_number": "07400 123456", "region": "GB"}
    if value is MISSING:
        del body[field]
    else:
        body[field] = value
    before = phone_state(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PHONE, json.dumps(body), content_type="application/json")
    assert_error(response, 400, "invalid")
    assert field in response.json()["fields"]
    assert phone_state(user) == before
    assert sms_outbox == []


def test_refused_sends_count_towards_no_limit(client, user, send, sms_outbox, settings):
    settings.RATE_PHONE_SENDS = Rate(1, 3600)
    for _ in range(5):
        assert_error(send(client, "hello"), 400, "invalid_phone_number")
        assert_error(send(client, {"x": 1}), 400, "invalid")
    assert send(client, GB).status_code == 202
    assert len(sms_outbox) == 1


# Verification codes.


@pytest.fixture
def pending(client, user, send, sms_outbox, frozen) -> str:
    """dave has been sent a code for GB at T0; returns the code."""
    assert send(client, GB).status_code == 202
    return code_from(sms_outbox[-1])


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(value, id=ascii(value)[:24])
        for value in [
            MISSING,
            None,
            123456,
            0,
            True,
            ["123456"],
            {"code": "123456"},
            "",
            "12345",
            "1234567",
            "12345a",
            "abcdef",
            "12 345",
            "-12345",
            "1e5000",
            "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic
            "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth
            "12345\u0000",
            "\ud800" * 6,
            "123456\n",
        ]
    ],
)
def test_bad_code_field_is_400_invalid_and_uses_no_attempt(client, user, pending, code):
    body = {} if code is MISSING else {"code": code}
    before = phone_state(user)
    response = client.post(VERIFY, json.dumps(body), content_type="application/json")
    assert_error(response, 400, "invalid")
    assert "code" in response.json()["fields"]
    assert phone_state(user) == before
    assert PhoneVerification.objects.get(user=user).failed_attempts == 0


def test_the_code_is_six_digits_and_only_its_hash_is_stored(frozen, send, sms_outbox):
    codes = []
    for number in range(8):
        user = new_user()
        assert send(client_for(user), f"+4474001234{number:02d}").status_code == 202
        code = code_from(sms_outbox[-1])
        stored = PhoneVerification.objects.get(user=user)
        assert code not in stored.code_hash
        stored_values = PhoneVerification.objects.filter(pk=stored.pk).values().get().values()
        assert code not in {str(value) for value in stored_values}
        codes.append((code, stored.code_hash))
    # Each code is drawn afresh, and equal codes for different numbers hash differently.
    assert len({code_hash for _, code_hash in codes}) == len(codes)


def test_verify_with_nothing_pending_is_invalid_code(client, user):
    assert_error(verify(client, "123456"), 400, "invalid_code")
    assert_unverified(user)
    verified = UserFactory(phone_number=GB)
    assert_error(verify(client_for(verified), "123456"), 400, "invalid_code")
    assert_verified(verified, GB)


def test_code_works_just_before_expiry(client, user, pending, frozen, settings):
    assert settings.PHONE_CODE_TTL == 600
    frozen.shift(599)
    response = verify(client, pending)
    assert response.status_code == 200, response.content
    assert_verified(user, GB)


def test_code_expires_after_phone_code_ttl(client, user, pending, frozen, send, sms_outbox):
    frozen.shift(600)
    assert_error(verify(client, pending), 400, "code_expired")
    assert_unverified(user, GB)
    # The expired code is gone: checking again finds nothing to check.
    assert_error(verify(client, pending), 400, "invalid_code")
    assert_unverified(user, GB)
    # A new code works.
    assert send(client, GB).status_code == 202
    assert verify(client, code_from(sms_outbox[-1])).status_code == 200
    assert_verified(user, GB)


def test_the_code_lifetime_comes_from_settings(client, user, send, sms_outbox, frozen, settings):
    settings.PHONE_CODE_TTL = 30
    assert send(client, GB).status_code == 202
    frozen.shift(30)
    assert_error(verify(client, code_from(sms_outbox[-1])), 400, "code_expired")


def test_five_wrong_codes_then_even_the_right_one_is_too_many_attempts(
    client, user, pending, frozen, send, sms_outbox, settings
):
    assert settings.PHONE_CODE_ATTEMPTS == 5
    for attempt in range(1, 6):
        response = assert_error(verify(client, wrong(pending, attempt)), 400, "invalid_code")
        assert PhoneVerification.objects.get(user=user).failed_attempts == attempt
        if attempt < 5:
            assert f"Attempts left: {5 - attempt}." in response.json()["detail"]
    response = assert_error(verify(client, pending), 429, "too_many_attempts")
    # Retry-After: when a new code may be sent (PHONE_RESEND_SECONDS after the last send).
    assert response["Retry-After"] == "60"
    assert_error(verify(client, wrong(pending)), 429, "too_many_attempts")
    assert_unverified(user, GB)
    assert PhoneVerification.objects.get(user=user).failed_attempts == 5

    frozen.shift(60)
    assert send(client, GB).status_code == 202
    fresh = code_from(sms_outbox[-1])
    assert PhoneVerification.objects.get(user=user).failed_attempts == 0
    if fresh != pending:
        assert_error(verify(client, pending), 400, "invalid_code")
    assert verify(client, fresh).status_code == 200
    assert_verified(user, GB)


def test_right_code_on_the_last_attempt_works(client, user, pending):
    for attempt in range(1, 5):
        assert_error(verify(client, wrong(pending, attempt)), 400, "invalid_code")
    response = verify(client, pending)
    assert response.status_code == 200, response.content
    assert_verified(user, GB)


def test_a_verified_code_cannot_be_used_again(client, user, pending):
    assert verify(client, pending).status_code == 200
    assert_error(verify(client, pending), 400, "invalid_code")
    assert_verified(user, GB)


# Send limits.


def test_resend_too_soon_is_rate_limited(client, user, pending, frozen, send, sms_outbox, settings):
    assert settings.PHONE_RESEND_SECONDS == 60
    before = phone_state(user)
    frozen.shift(59)
    response = assert_error(send(client, GB), 429, "rate_limited")
    assert response["Retry-After"] == "1"
    # Another number is held back the same way, and nothing changes.
    assert_error(send(client, FR), 429, "rate_limited")
    assert phone_state(user) == before
    assert len(sms_outbox) == 1
    # The first code still works after the refusals...
    frozen.shift(1)
    assert send(client, GB).status_code == 202
    assert len(sms_outbox) == 2
    # ...but a resend replaces it.
    fresh = code_from(sms_outbox[-1])
    if fresh != pending:
        assert_error(verify(client, pending), 400, "invalid_code")
    assert verify(client, fresh).status_code == 200
    assert_verified(user, GB)


def test_resend_gap_comes_from_settings(client, send, frozen, settings):
    settings.PHONE_RESEND_SECONDS = 300
    assert send(client, GB).status_code == 202
    frozen.shift(299)
    assert assert_error(send(client, GB), 429, "rate_limited")["Retry-After"] == "1"
    frozen.shift(1)
    assert send(client, GB).status_code == 202


def test_a_resend_gap_of_zero_turns_it_off(client, send, settings):
    settings.PHONE_RESEND_SECONDS = 0
    for _ in range(5):
        assert send(client, GB).status_code == 202
    assert_error(send(client, GB), 429, "rate_limited")  # RATE_PHONE_SENDS still holds


def test_per_user_send_limit(client, user, send, sms_outbox, frozen, settings):
    assert str(settings.RATE_PHONE_SENDS) == "5/3600"
    numbers = [f"+4474001234{n:02d}" for n in range(6)]
    for index, number in enumerate(numbers[:5]):
        assert send(client, number).status_code == 202
        # Refused attempts in between count nothing.
        assert_error(send(client, number), 429, "rate_limited")
        assert_error(send(client, "hello"), 400, "invalid_phone_number")
        frozen.shift(60)
        assert len(sms_outbox) == index + 1
    before = phone_state(user)
    # t = 300: five sends in the last hour, the first at t = 0.
    response = assert_error(send(client, numbers[5]), 429, "rate_limited")
    assert response["Retry-After"] == "3300"
    assert phone_state(user) == before
    assert len(sms_outbox) == 5
    # The last code sent still verifies its number.
    assert verify(client, code_from(sms_outbox[-1])).status_code == 200
    assert_verified(user, numbers[4])

    frozen.shift(3300)
    assert send(client, numbers[5]).status_code == 202
    assert_unverified(user, numbers[5])


def test_sends_to_a_number_count_per_account_and_number_together(send, sms_outbox, frozen):
    """A stranger asking for codes to someone's number cannot use up the owner's sends."""
    owner, stranger = new_user(), new_user()
    for _ in range(5):
        assert send(client_for(stranger), GB).status_code == 202
        frozen.shift(60)
    response = assert_error(send(client_for(stranger), GB), 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # The owner still gets their code to the same number.
    assert send(client_for(owner), GB).status_code == 202
    assert [sms["to"] for sms in sms_outbox] == [GB] * 6


def test_a_released_number_cannot_verify_another_account_for_the_reuse_period(
    send, sms_outbox, frozen, settings
):
    settings.PHONE_REUSE_DAYS = 30
    alice, mallory = new_user(), new_user()
    assert send(client_for(alice), GB).status_code == 202
    assert verify(client_for(alice), code_from(sms_outbox[-1])).status_code == 200
    frozen.shift(60)
    assert send(client_for(alice), FR).status_code == 202  # alice gives GB up
    assert_unverified(alice, FR)

    assert_error(send(client_for(mallory), GB), 409, "phone_in_use")
    # The account that released it may take it back at once.
    frozen.shift(60)
    assert send(client_for(alice), GB).status_code == 202
    assert verify(client_for(alice), code_from(sms_outbox[-1])).status_code == 200
    assert_verified(alice, GB)


def test_a_released_number_is_free_again_after_the_reuse_period(send, sms_outbox, frozen):
    alice, newcomer = new_user(), new_user()
    assert send(client_for(alice), GB).status_code == 202
    assert verify(client_for(alice), code_from(sms_outbox[-1])).status_code == 200
    frozen.shift(60)
    assert send(client_for(alice), FR).status_code == 202

    frozen.shift(29 * 86400)
    assert_error(send(client_for(newcomer), GB), 409, "phone_in_use")
    frozen.shift(86400 + 60)
    assert send(client_for(newcomer), GB).status_code == 202
    assert verify(client_for(newcomer), code_from(sms_outbox[-1])).status_code == 200
    assert_verified(newcomer, GB)


def test_the_reuse_period_comes_from_settings(settings):
    from dmsite.env import env_int

    assert settings.PHONE_REUSE_DAYS == env_int("PHONE_REUSE_DAYS", 30) == 30


# Who holds a number.


@pytest.mark.parametrize(
    ("phone_number", "region"), [(GB, MISSING), ("07400 123456", "GB"), ("+44 7400 123456", "")]
)
def test_number_verified_by_another_account_is_refused_at_send(
    client, user, send, sms_outbox, phone_number, region
):
    UserFactory(phone_number=GB)
    assert_error(send(client, phone_number, region), 409, "phone_in_use")
    assert_unverified(user)
    assert not PhoneVerification.objects.filter(user=user).exists()
    assert sms_outbox == []


def test_asking_for_a_number_in_use_counts_as_a_send(client, user, send, sms_outbox, frozen):
    """Finding 4: otherwise `phone_in_use` is an endless, free oracle of whose number is whose."""
    owner = UserFactory(phone_number=GB)
    assert_error(send(client, GB), 409, "phone_in_use")
    # The resend gap applies as after any send ...
    assert assert_error(send(client, GB), 429, "rate_limited")["Retry-After"] == "60"
    assert_error(send(client, FR), 429, "rate_limited")
    # ... and so does the hourly cap of the asking account: 5 answers an hour, then 429.
    for _ in range(4):
        frozen.shift(60)
        assert_error(send(client, GB), 409, "phone_in_use")
    frozen.shift(60)
    assert_error(send(client, "+447400123450"), 429, "rate_limited")
    assert sms_outbox == []
    # The number's own count is untouched: its owner is never locked out by strangers.
    owner.phone_verified_at = None
    owner.save(update_fields=["phone_verified_at"])
    assert send(client_for(owner), GB).status_code == 202


def test_number_an_inactive_account_holds_is_still_in_use(client, send):
    UserFactory(phone_number=GB, is_active=False)
    assert_error(send(client, GB), 409, "phone_in_use")


def test_number_verified_elsewhere_in_between_is_refused_at_verify(send, sms_outbox):
    alice, bob = new_user(), new_user()
    assert send(client_for(alice), GB).status_code == 202
    alice_code = code_from(sms_outbox[-1])
    assert send(client_for(bob), GB).status_code == 202
    bob_code = code_from(sms_outbox[-1])
    assert verify(client_for(bob), bob_code).status_code == 200
    assert_verified(bob, GB)

    assert_error(verify(client_for(alice), alice_code), 409, "phone_in_use")
    assert_unverified(alice, GB)
    assert_verified(bob, GB)
    assert User.objects.filter(phone_number=GB, phone_verified_at__isnull=False).count() == 1


def test_a_pending_number_is_not_in_use(send, sms_outbox):
    """Only a verified number is taken: two accounts may both be sent codes for one."""
    alice, bob = new_user(), new_user()
    assert send(client_for(alice), GB).status_code == 202
    assert send(client_for(bob), GB).status_code == 202
    assert [sms["to"] for sms in sms_outbox] == [GB, GB]


def test_a_new_number_resets_verification(send, sms_outbox, frozen):
    user = UserFactory(phone_number=GB)
    client = client_for(user)
    assert user.region == "GB"
    response = send(client, FR)
    assert response.status_code == 202
    assert response.json() == {"phone_number": FR, "phone_verified": False}
    assert_unverified(user, FR)
    me = client.get("/api/v1/me").json()
    assert (me["phone_number"], me["phone_verified"]) == (FR, False)
    # The old number is released, but no other account may take it for PHONE_REUSE_DAYS.
    assert_error(send(client_for(new_user()), GB), 409, "phone_in_use")
    assert verify(client, code_from(sms_outbox[0])).status_code == 200
    assert_verified(user, FR)
    assert user.region == "FR"


def test_a_code_belongs_to_the_number_it_was_sent_to(client, user, send, sms_outbox, frozen):
    assert send(client, GB).status_code == 202
    gb_code = code_from(sms_outbox[-1])
    frozen.shift(60)
    assert send(client, FR).status_code == 202
    fr_code = code_from(sms_outbox[-1])
    if gb_code != fr_code:
        assert_error(verify(client, gb_code), 400, "invalid_code")
    assert verify(client, fr_code).status_code == 200
    assert_verified(user, FR)


def test_posting_ones_own_verified_number_sends_nothing(send, sms_outbox, settings):
    settings.RATE_PHONE_SENDS = Rate(1, 3600)
    user = UserFactory(phone_number=GB)
    client = client_for(user)
    before = phone_state(user)
    for phone_number, region in [(GB, MISSING), ("07400 123456", "GB")] * 3:
        response = send(client, phone_number, region)
        assert response.status_code == 200, response.content
        assert response.json() == {"phone_number": GB, "phone_verified": True}
    assert sms_outbox == []
    assert phone_state(user) == before
    # No send was used either.
    assert send(client, FR).status_code == 202


# accounts.phone directly.


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+44 7400 123456", None, GB),
        ("+44 7400 123456", "", GB),
        ("07400 123456", "GB", GB),
        ("07400 123456", "gb", GB),
        ("+44 7400 123456 ext. 12", None, GB),
    ],
)
def test_phone_number_to_e164(raw, region, e164):
    assert phone_number_to_e164(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "region"),
    [("+1 555", None), ("hello", None), ("+999123", None), ("12345", None), ("07400 123456", None)],
)
def test_phone_number_to_e164_refuses(raw, region):
    with pytest.raises(InvalidPhoneNumber):
        phone_number_to_e164(raw, region)


# SMS backends.


def test_file_backend_appends_one_json_line_per_sms(
    settings, tmp_path, client, user, send, django_capture_on_commit_callbacks
):
    path = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(path)
    assert send(client, GB).status_code == 202
    send_sms(FR, 'second\nline with ünïcode 😀 and "quotes"')
    send_sms(GB, "third")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert all(set(record) == {"to", "body"} for record in records)
    assert records[0]["to"] == GB
    code = code_from(records[0])
    assert records[1:] == [
        {"to": FR, "body": 'second\nline with ünïcode 😀 and "quotes"'},
        {"to": GB, "body": "third"},
    ]
    assert verify(client, code).status_code == 200


def test_console_backend_prints_the_sms(settings, capsys):
    settings.SMS_BACKEND = "console"
    send_sms(GB, "123456 is your dmsite verification code.")
    assert capsys.readouterr().out == f"SMS to {GB}: 123456 is your dmsite verification code.\n"


def test_a_dotted_path_backend_is_used(settings, sms_outbox):
    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    send_sms(GB, "hello")
    assert sms_outbox == [{"to": GB, "body": "hello"}]


@pytest.mark.parametrize(
    "backend",
    [
        "nowhere.Backend",
        "accounts.sms.NoSuchBackend",
        "accounts.nosuchmodule.Backend",
        "notadottedpath",
        "",
        "Console",
        "accounts.sms.send_sms",
        "accounts.sms.BACKENDS",
        "builtins.object",
    ],
)
def test_an_invalid_sms_backend_stops_start_up(settings, backend):
    settings.SMS_BACKEND = backend
    with pytest.raises(ImproperlyConfigured, match="SMS_BACKEND"):
        apps.get_app_config("accounts").ready()


@pytest.mark.parametrize(
    "backend",
    ["console", "file", "locmem", "accounts.sms.LocmemBackend", "accounts.sms.FileBackend"],
)
def test_a_valid_sms_backend_starts(settings, backend):
    settings.SMS_BACKEND = backend
    apps.get_app_config("accounts").ready()
