"""POST /api/v1/reports: targets, reasons, idempotency, visibility, bad input, blocks, limits."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Follow
from accounts.services import user_deactivate, user_update
from dmsite.env import Rate
from messaging.models import Conversation, Message
from messaging.services import conversation_open, message_unsend
from moderation.models import Report, ReportReason, ReportStatus, TargetType
from moderation.snapshots import SNAPSHOT_MESSAGES
from privacy import services as privacy_services
from privacy.models import Block
from tests.factories import UserFactory
from tests.moderation.conftest import befriend, send

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports"
REASONS = ["spam", "harassment", "hate", "minor_safety", "violence", "scam", "other"]
MAX_DB_ID = 2**63 - 1


def _post(client, payload):
    # Encoded here (ASCII, escaped) so that even a lone surrogate reaches the server.
    return client.post(URL, json.dumps(payload), content_type="application/json")


def _written() -> tuple:
    """Everything a report could write: reports, blocks and follows."""
    return (
        list(Report.objects.order_by("pk").values()),
        list(Block.objects.order_by("pk").values_list("blocker_id", "blocked_id")),
        list(Follow.objects.order_by("pk").values_list("follower_id", "followee_id")),
    )


def _target_id(target: str, offender, message):
    return {
        "message": message.pk,
        "conversation": message.conversation_id,
        "user-id": offender.pk,
        "user-username": offender.username,
    }[target]


def _target_type(target: str) -> str:
    return target.split("-")[0]


def _parse_time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def test_the_reasons_are_the_fixed_list():
    assert [value for value, _ in ReportReason.choices] == REASONS
    assert ReportReason.MINOR_SAFETY.label == "Sexual content involving minors"


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("target", ["message", "conversation", "user-id", "user-username"])
def test_report_each_target_with_each_reason(client_for, pair, target, reason):
    reporter, offender, message = pair

    response = _post(
        client_for(reporter),
        {
            "target_type": _target_type(target),
            "target_id": _target_id(target, offender, message),
            "reason": reason,
            "details": "It keeps happening.",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get()
    expected_id = {
        "message": message.pk,
        "conversation": message.conversation_id,
        "user": offender.pk,
    }[_target_type(target)]
    assert body["id"] == report.pk
    assert body["status"] == "open"
    assert body["target_type"] == _target_type(target)
    assert body["target_id"] == expected_id
    assert body["reason"] == reason
    assert body["details"] == "It keeps happening."
    assert set(body) == {
        "id",
        "target_type",
        "target_id",
        "reason",
        "details",
        "status",
        "created_at",
    }
    assert report.reporter == reporter
    assert report.offender == offender
    assert (report.target_type, report.target_id) == (_target_type(target), expected_id)
    assert report.reason == reason
    assert report.status == ReportStatus.OPEN
    assert report.resolved_at is None
    assert report.resolved_by is None
    # Reporting alone blocks nobody.
    assert not Block.objects.exists()


def test_details_are_optional(client_for, pair):
    reporter, offender, _ = pair

    response = _post(
        client_for(reporter), {"target_type": "user", "target_id": offender.pk, "reason": "spam"}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["details"] == ""
    assert Report.objects.get().details == ""


@pytest.mark.parametrize("details", ["x" * 1000, "line one\nline two\twith a tab", "😀" * 1000, ""])
def test_details_up_to_1000_characters_are_stored(client_for, pair, details):
    reporter, _offender, message = pair

    response = _post(
        client_for(reporter),
        {"target_type": "message", "target_id": message.pk, "reason": "other", "details": details},
    )

    assert response.status_code == 201, response.json()
    assert Report.objects.get().details == details


@pytest.mark.parametrize("target", ["message", "conversation", "user-id", "user-username"])
def test_the_same_report_again_is_idempotent(client_for, pair, target):
    reporter, offender, message = pair
    client = client_for(reporter)
    payload = {
        "target_type": _target_type(target),
        "target_id": _target_id(target, offender, message),
        "reason": "spam",
    }
    first = _post(client, payload)
    assert first.status_code == 201

    again = _post(client, {**payload, "reason": "hate", "details": "changed my mind"})

    assert again.status_code == 200, again.json()
    assert again.json() == first.json()
    report = Report.objects.get()
    assert (report.reason, report.details) == ("spam", "")


def test_a_user_reported_by_id_then_by_username_is_one_report(client_for, pair):
    reporter, offender, _ = pair
    client = client_for(reporter)
    first = _post(client, {"target_type": "user", "target_id": offender.pk, "reason": "spam"})
    assert first.status_code == 201

    again = _post(
        client,
        {"target_type": "user", "target_id": offender.username.upper(), "reason": "spam"},
    )

    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1


def test_two_reporters_each_get_their_own_report(client_for, pair):
    reporter, offender, _ = pair
    other = UserFactory()
    mine = _post(
        client_for(reporter),
        {"target_type": "user", "target_id": offender.pk, "reason": "spam", "details": "mine"},
    )

    theirs = _post(
        client_for(other),
        {"target_type": "user", "target_id": offender.pk, "reason": "scam", "details": "theirs"},
    )

    assert mine.status_code == theirs.status_code == 201
    # Nobody is answered with another user's report.
    assert theirs.json()["id"] != mine.json()["id"]
    assert (theirs.json()["reason"], theirs.json()["details"]) == ("scam", "theirs")
    assert Report.objects.filter(offender=offender).count() == 2


VALID = {"target_type": "user", "target_id": None, "reason": "spam"}

BAD_INPUT = [
    pytest.param({"reason": "rude"}, id="unknown-reason"),
    pytest.param({"reason": "SPAM"}, id="reason-wrong-case"),
    pytest.param({"reason": ""}, id="reason-empty"),
    pytest.param({"reason": None}, id="reason-null"),
    pytest.param({"reason": ["spam"]}, id="reason-list"),
    pytest.param({"reason": 1}, id="reason-number"),
    pytest.param({"target_type": "post"}, id="unknown-target-type"),
    pytest.param({"target_type": "users"}, id="target-type-plural"),
    pytest.param({"target_type": None}, id="target-type-null"),
    pytest.param({"target_type": ["user"]}, id="target-type-list"),
    pytest.param({"target_id": True}, id="target-id-true"),
    pytest.param({"target_id": False}, id="target-id-false"),
    pytest.param({"target_id": [1]}, id="target-id-list"),
    pytest.param({"target_id": {"id": 1}}, id="target-id-object"),
    pytest.param({"target_id": None}, id="target-id-null"),
    pytest.param({"target_id": 1.5}, id="target-id-float"),
    pytest.param({"target_id": 1.0}, id="target-id-whole-float"),
    pytest.param({"target_id": ""}, id="target-id-empty-string"),
    pytest.param({"target_id": "x" * 65}, id="target-id-long-string"),
    pytest.param({"target_id": "bad\x00name"}, id="target-id-nul"),
    pytest.param({"target_id": "tab\tname"}, id="target-id-control"),
    pytest.param({"target_id": "bad\ud800name"}, id="target-id-lone-surrogate"),
    pytest.param({"details": "x" * 1001}, id="details-too-long"),
    pytest.param({"details": "a\x00b"}, id="details-nul"),
    pytest.param({"details": "ring \x07"}, id="details-control"),
    pytest.param({"details": "half \ud800 pair"}, id="details-lone-surrogate"),
    pytest.param({"details": 5}, id="details-number"),
    pytest.param({"details": None}, id="details-null"),
    pytest.param({"details": ["x"]}, id="details-list"),
    pytest.param({"block": "true"}, id="block-string"),
    pytest.param({"block": 1}, id="block-one"),
    pytest.param({"block": 0}, id="block-zero"),
    pytest.param({"block": "yes"}, id="block-yes"),
    pytest.param({"block": None}, id="block-null"),
    pytest.param({"block": [True]}, id="block-list"),
]


@pytest.mark.parametrize("change", BAD_INPUT)
def test_bad_input_is_invalid_and_writes_nothing(client_for, pair, change):
    reporter, offender, _ = pair
    payload = {**VALID, "target_id": offender.pk, "block": True, **change}
    before = _written()

    response = _post(client_for(reporter), payload)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]
    assert _written() == before


@pytest.mark.parametrize("missing", ["target_type", "target_id", "reason"])
def test_a_missing_field_is_invalid(client_for, pair, missing):
    reporter, offender, _ = pair
    payload = {**VALID, "target_id": offender.pk}
    del payload[missing]

    response = _post(client_for(reporter), payload)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert missing in response.json()["fields"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("target_type", ["message", "conversation"])
@pytest.mark.parametrize("target_id", ["12", "offender"])
def test_a_name_is_no_id_for_messages_and_conversations(client_for, pair, target_type, target_id):
    reporter, _, _ = pair

    response = _post(
        client_for(reporter),
        {"target_type": target_type, "target_id": target_id, "reason": "spam"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "target_id" in response.json()["fields"]
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{not json", id="broken"),
        pytest.param(b'{"target_type": "user",', id="truncated"),
        pytest.param(b"\xff\xfe\xfa", id="bad-utf8"),
        pytest.param(b'{"target_id": NaN}', id="nan"),
        pytest.param(b'{"target_id": Infinity}', id="infinity"),
        pytest.param(b'{"target_id": 1e400}', id="overflowing-float"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[]", id="list"),
        pytest.param(b'"spam"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[" * 100_000, id="deeply-nested"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_invalid(client_for, pair, raw):
    reporter, _, _ = pair

    response = client_for(reporter).post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Report.objects.exists()


def test_a_form_body_is_not_json(client_for, pair):
    reporter, offender, _ = pair

    response = client_for(reporter).post(
        URL,
        f"target_type=user&target_id={offender.pk}&reason=spam",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Report.objects.exists()


def test_a_message_in_someone_elses_conversation_is_not_found(client_for, pair):
    _, _offender, message = pair
    outsider = UserFactory()
    before = _written()

    response = _post(
        client_for(outsider),
        {"target_type": "message", "target_id": message.pk, "reason": "spam", "block": True},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _written() == before


def test_a_conversation_you_are_not_in_is_not_found(client_for, pair):
    _, _, message = pair
    outsider = UserFactory()
    before = _written()

    response = _post(
        client_for(outsider),
        {
            "target_type": "conversation",
            "target_id": message.conversation_id,
            "reason": "spam",
            "block": True,
        },
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _written() == before


def test_a_conversation_the_other_side_only_opened_is_not_yours_to_report(client_for):
    # Opening a chat sends nothing and makes no side for the other user.
    opener, other = UserFactory.create_batch(2)
    participant, _ = conversation_open(user=opener, other=other)

    response = _post(
        client_for(other),
        {"target_type": "conversation", "target_id": participant.conversation_id, "reason": "spam"},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "target",
    ["user-id", "user-username"],
)
def test_a_user_who_blocked_you_is_not_found(client_for, pair, target):
    reporter, offender, message = pair
    privacy_services.block_create(blocker=offender, blocked=reporter)
    before = _written()

    response = _post(
        client_for(reporter),
        {
            "target_type": "user",
            "target_id": _target_id(target, offender, message),
            "reason": "harassment",
            "block": True,
        },
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _written() == before


@pytest.mark.parametrize("target", ["user-id", "user-username"])
def test_a_deactivated_user_is_not_found(client_for, pair, target):
    reporter, offender, message = pair
    user_deactivate(user=offender)
    before = _written()

    response = _post(
        client_for(reporter),
        {
            "target_type": "user",
            "target_id": _target_id(target, offender, message),
            "reason": "spam",
        },
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _written() == before


def test_a_user_you_blocked_can_still_be_reported(client_for, pair):
    reporter, offender, _ = pair
    privacy_services.block_create(blocker=reporter, blocked=offender)

    response = _post(
        client_for(reporter), {"target_type": "user", "target_id": offender.pk, "reason": "spam"}
    )

    assert response.status_code == 201, response.json()
    assert Report.objects.get().offender == offender


@pytest.mark.parametrize(
    "target_id",
    [0, -1, -(2**63), MAX_DB_ID, MAX_DB_ID + 1, 2**64, 10**30, int("9" * 4000)],
    ids=[
        "zero",
        "negative",
        "min-bigint",
        "max-bigint",
        "past-bigint",
        "2^64",
        "1e30",
        "4000-digits",
    ],
)
@pytest.mark.parametrize("target_type", ["message", "conversation", "user"])
def test_unknown_and_huge_ids_are_not_found(client_for, pair, target_type, target_id):
    reporter, _, _ = pair

    response = _post(
        client_for(reporter),
        {"target_type": target_type, "target_id": target_id, "reason": "spam", "block": True},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Report.objects.exists()
    assert not Block.objects.exists()


def test_a_number_too_long_to_parse_is_invalid_not_a_crash(client_for, pair):
    reporter, _, _ = pair
    raw = b'{"target_type": "user", "reason": "spam", "target_id": ' + b"9" * 5000 + b"}"

    response = client_for(reporter).post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Report.objects.exists()


@pytest.mark.parametrize("target", ["user-id", "user-username"])
def test_reporting_yourself_is_invalid(client_for, pair, target):
    reporter, _, _ = pair
    target_id = reporter.pk if target == "user-id" else reporter.username
    before = _written()

    response = _post(
        client_for(reporter),
        {"target_type": "user", "target_id": target_id, "reason": "spam", "block": True},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert _written() == before


def test_reporting_your_own_message_is_invalid(client_for, pair):
    reporter, _, _ = pair
    own = Message.objects.get(sender=reporter)
    before = _written()

    response = _post(
        client_for(reporter),
        {"target_type": "message", "target_id": own.pk, "reason": "spam", "block": True},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert _written() == before


def test_unauthenticated_is_refused(api, pair):
    _, offender, _ = pair

    response = _post(api, {"target_type": "user", "target_id": offender.pk, "reason": "spam"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Report.objects.exists()


def test_a_revoked_token_is_refused(client_for, pair):
    reporter, offender, _ = pair
    client = client_for(reporter)
    assert client.post("/api/v1/auth/logout").status_code == 204

    response = _post(client, {"target_type": "user", "target_id": offender.pk, "reason": "spam"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Report.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_reports_cannot_be_listed_read_or_changed(client_for, pair, method):
    reporter, offender, _ = pair
    client = client_for(reporter)
    made = _post(client, {"target_type": "user", "target_id": offender.pk, "reason": "spam"})
    assert made.status_code == 201

    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Report.objects.get().status == ReportStatus.OPEN


def test_no_url_reads_one_report(client_for, pair):
    reporter, offender, _ = pair
    other = UserFactory()
    made = _post(
        client_for(reporter), {"target_type": "user", "target_id": offender.pk, "reason": "spam"}
    )
    report_id = made.json()["id"]

    for client in (client_for(reporter), client_for(other)):
        response = client.get(f"{URL}/{report_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_listing_reports_unauthenticated_is_401(api):
    response = api.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# Report and block


@pytest.mark.parametrize("target", ["message", "conversation", "user-id", "user-username"])
def test_block_true_also_blocks_the_offender(client_for, pair, target):
    reporter, offender, message = pair
    assert Follow.objects.filter(follower=offender, followee=reporter).exists()

    response = _post(
        client_for(reporter),
        {
            "target_type": _target_type(target),
            "target_id": _target_id(target, offender, message),
            "reason": "harassment",
            "block": True,
        },
    )

    assert response.status_code == 201, response.json()
    assert list(Block.objects.values_list("blocker_id", "blocked_id")) == [
        (reporter.pk, offender.pk)
    ]
    # A block removes follows both ways.
    assert not Follow.objects.filter(follower=offender, followee=reporter).exists()
    assert not Follow.objects.filter(follower=reporter, followee=offender).exists()
    assert Report.objects.get().offender == offender
    # The block is a real one: the reporter can no longer message the offender.
    refused = client_for(reporter).post(
        "/api/v1/messages", {"to": offender.username, "body": "hi"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "you_blocked_user"


def test_block_false_blocks_nobody(client_for, pair):
    reporter, offender, _ = pair

    response = _post(
        client_for(reporter),
        {"target_type": "user", "target_id": offender.pk, "reason": "spam", "block": False},
    )

    assert response.status_code == 201
    assert not Block.objects.exists()
    assert Follow.objects.filter(follower=offender, followee=reporter).exists()


def test_block_true_on_a_repeated_report_blocks(client_for, pair):
    reporter, offender, message = pair
    client = client_for(reporter)
    payload = {"target_type": "message", "target_id": message.pk, "reason": "spam"}
    first = _post(client, payload)
    assert first.status_code == 201
    assert not Block.objects.exists()

    again = _post(client, {**payload, "block": True})

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1
    assert Block.objects.filter(blocker=reporter, blocked=offender).exists()
    assert not Follow.objects.filter(follower=offender, followee=reporter).exists()

    # Blocking again is harmless: still one block, still one report.
    third = _post(client, {**payload, "block": True})
    assert third.status_code == 200
    assert Block.objects.count() == 1
    assert Report.objects.count() == 1


# The rate limit


@pytest.fixture
def three_an_hour(settings):
    settings.RATE_REPORTS = Rate(3, 3600)


def _report_new_users(client, count):
    responses = []
    for user in UserFactory.create_batch(count):
        responses.append(
            _post(client, {"target_type": "user", "target_id": user.pk, "reason": "spam"})
        )
    return responses


def test_the_fourth_report_in_the_window_is_rate_limited(client_for, three_an_hour):
    reporter = UserFactory()
    client = client_for(reporter)
    assert [r.status_code for r in _report_new_users(client, 3)] == [201, 201, 201]
    fourth_target = UserFactory()
    before = _written()

    response = _post(
        client,
        {"target_type": "user", "target_id": fourth_target.pk, "reason": "spam", "block": True},
    )

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    retry_after = response["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 3600
    assert _written() == before
    assert not Report.objects.filter(offender=fourth_target).exists()


def test_repeated_reports_do_not_count_against_the_limit(client_for, three_an_hour):
    reporter, target = UserFactory.create_batch(2)
    client = client_for(reporter)
    payload = {"target_type": "user", "target_id": target.pk, "reason": "spam"}
    assert _post(client, payload).status_code == 201
    for _ in range(5):
        assert _post(client, payload).status_code == 200

    assert [r.status_code for r in _report_new_users(client, 2)] == [201, 201]
    # The limit is reached, yet the same report again is still answered.
    assert _post(client, payload).status_code == 200
    assert _post(client, {**payload, "block": True}).status_code == 200
    assert Block.objects.filter(blocker=reporter, blocked=target).exists()
    assert [r.status_code for r in _report_new_users(client, 1)] == [429]
    assert Report.objects.filter(reporter=reporter).count() == 3


def test_refused_reports_do_not_count_against_the_limit(client_for, pair, three_an_hour):
    reporter, offender, _message = pair
    client = client_for(reporter)
    refused = [
        _post(client, {"target_type": "user", "target_id": reporter.pk, "reason": "spam"}),
        _post(client, {"target_type": "message", "target_id": 10**12, "reason": "spam"}),
        _post(client, {"target_type": "user", "target_id": offender.pk, "reason": "nope"}),
        _post(client, {"target_type": "user", "target_id": "nobody-here", "reason": "spam"}),
    ]
    assert [r.status_code for r in refused] == [400, 404, 400, 404]

    assert [r.status_code for r in _report_new_users(client, 3)] == [201, 201, 201]
    assert [r.status_code for r in _report_new_users(client, 1)] == [429]


def test_the_limit_is_per_reporter(client_for, three_an_hour):
    first, second = UserFactory.create_batch(2)
    assert [r.status_code for r in _report_new_users(client_for(first), 4)] == [
        201,
        201,
        201,
        429,
    ]

    assert [r.status_code for r in _report_new_users(client_for(second), 3)] == [201, 201, 201]


def test_the_limit_frees_up_after_the_window(client_for, three_an_hour):
    reporter = UserFactory()
    client = client_for(reporter)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert [r.status_code for r in _report_new_users(client, 4)] == [201, 201, 201, 429]
        traveller.shift(datetime.timedelta(seconds=3601))
        assert [r.status_code for r in _report_new_users(client, 1)] == [201]


# Snapshots


def test_a_message_report_snapshots_the_message(client_for, pair):
    reporter, _offender, message = pair

    response = _post(
        client_for(reporter), {"target_type": "message", "target_id": message.pk, "reason": "hate"}
    )

    assert response.status_code == 201
    snapshot = Report.objects.get().snapshot
    stored = snapshot["message"]
    assert stored["id"] == message.pk
    assert stored["body"] == "you are awful"
    assert stored["sender"] == "offender"
    assert stored["seq"] == 2
    assert _parse_time(stored["created_at"]) == message.created_at
    assert snapshot["conversation"] == message.conversation_id
    assert sorted(snapshot["participants"]) == ["offender", "reporter"]


def test_a_conversation_report_snapshots_the_last_20_messages_oldest_first(client_for):
    reporter, offender = UserFactory.create_batch(2)
    befriend(reporter, offender)
    sent = []
    for number in range(1, 26):
        sender, recipient = (offender, reporter) if number % 2 else (reporter, offender)
        sent.append(send(sender, recipient, f"message {number}"))
    assert SNAPSHOT_MESSAGES == 20

    response = _post(
        client_for(reporter),
        {"target_type": "conversation", "target_id": sent[0].conversation_id, "reason": "spam"},
    )

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert report.offender == offender
    snapshot = report.snapshot
    assert snapshot["conversation"] == sent[0].conversation_id
    assert sorted(snapshot["participants"]) == sorted([reporter.username, offender.username])
    stored = snapshot["messages"]
    assert len(stored) == 20
    expected = sent[5:]
    assert [m["id"] for m in stored] == [m.pk for m in expected]
    assert [m["seq"] for m in stored] == list(range(6, 26))
    assert [m["body"] for m in stored] == [f"message {n}" for n in range(6, 26)]
    assert [m["sender"] for m in stored] == [m.sender.username for m in expected]
    assert {m["sender"] for m in stored} == {reporter.username, offender.username}
    assert [_parse_time(m["created_at"]) for m in stored] == [m.created_at for m in expected]


def test_a_short_conversation_is_snapshotted_whole(client_for, pair):
    reporter, _offender, message = pair

    response = _post(
        client_for(reporter),
        {"target_type": "conversation", "target_id": message.conversation_id, "reason": "spam"},
    )

    assert response.status_code == 201
    stored = Report.objects.get().snapshot["messages"]
    assert [(m["seq"], m["sender"], m["body"]) for m in stored] == [
        (1, "reporter", "hi there"),
        (2, "offender", "you are awful"),
    ]


def test_a_user_report_snapshots_the_profile_and_your_last_messages(client_for, pair):
    reporter, offender, _ = pair
    user_update(user=offender, display_name="The Offender", bio="I say <b>things</b>")

    response = _post(
        client_for(reporter),
        {"target_type": "user", "target_id": offender.username, "reason": "harassment"},
    )

    assert response.status_code == 201
    snapshot = Report.objects.get().snapshot
    assert snapshot["user"]["id"] == offender.pk
    assert snapshot["user"]["username"] == "offender"
    assert snapshot["user"]["display_name"] == "The Offender"
    assert snapshot["user"]["bio"] == "I say <b>things</b>"
    assert _parse_time(snapshot["user"]["date_joined"]) == offender.date_joined
    assert snapshot["conversation"] == Conversation.objects.get().pk
    assert [(m["sender"], m["body"]) for m in snapshot["messages"]] == [
        ("reporter", "hi there"),
        ("offender", "you are awful"),
    ]


def test_a_user_report_of_a_stranger_has_no_messages(client_for):
    reporter, stranger = UserFactory.create_batch(2)

    response = _post(
        client_for(reporter), {"target_type": "user", "target_id": stranger.pk, "reason": "spam"}
    )

    assert response.status_code == 201
    snapshot = Report.objects.get().snapshot
    assert snapshot["user"]["username"] == stranger.username
    assert "messages" not in snapshot


def test_a_user_report_holds_only_your_own_conversation_with_them(client_for, pair):
    reporter, offender, _ = pair
    third = UserFactory()
    befriend(offender, third)
    send(offender, third, "a private word for someone else")

    response = _post(
        client_for(reporter), {"target_type": "user", "target_id": offender.pk, "reason": "spam"}
    )

    assert response.status_code == 201
    bodies = [m["body"] for m in Report.objects.get().snapshot["messages"]]
    assert bodies == ["hi there", "you are awful"]


@pytest.mark.parametrize("target", ["message", "conversation", "user-id"])
def test_the_snapshot_survives_unsend(client_for, pair, target):
    reporter, offender, message = pair
    response = _post(
        client_for(reporter),
        {
            "target_type": _target_type(target),
            "target_id": _target_id(target, offender, message),
            "reason": "harassment",
        },
    )
    assert response.status_code == 201

    message_unsend(user=offender, message_id=message.pk)

    message.refresh_from_db()
    assert message.body == ""
    assert message.unsent
    snapshot = Report.objects.get().snapshot
    stored = snapshot["message"] if target == "message" else snapshot["messages"][-1]
    assert stored["id"] == message.pk
    assert stored["body"] == "you are awful"
    assert stored["sender"] == "offender"


@pytest.mark.parametrize("target", ["message", "conversation", "user-id"])
def test_the_snapshot_survives_deactivation(client_for, pair, target):
    reporter, offender, message = pair
    response = _post(
        client_for(reporter),
        {
            "target_type": _target_type(target),
            "target_id": _target_id(target, offender, message),
            "reason": "harassment",
        },
    )
    assert response.status_code == 201

    user_deactivate(user=offender)

    report = Report.objects.get()
    assert report.offender == offender
    snapshot = report.snapshot
    stored = snapshot["message"] if target == "message" else snapshot["messages"][-1]
    assert (stored["sender"], stored["body"]) == ("offender", "you are awful")
    if target == "user-id":
        assert snapshot["user"]["username"] == "offender"


def test_an_unsent_message_reported_later_is_a_tombstone_in_the_snapshot(client_for, pair):
    # The snapshot is what the reporter could see at that moment, not more.
    reporter, offender, message = pair
    message_unsend(user=offender, message_id=message.pk)

    response = _post(
        client_for(reporter),
        {"target_type": "conversation", "target_id": message.conversation_id, "reason": "spam"},
    )

    assert response.status_code == 201
    last = Report.objects.get().snapshot["messages"][-1]
    assert (last["body"], last["unsent"]) == ("", True)


def test_report_target_types_are_the_three_of_the_spec():
    assert sorted(TargetType.values) == ["conversation", "message", "user"]
