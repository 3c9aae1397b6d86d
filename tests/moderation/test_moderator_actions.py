"""Moderator actions, through the services and through the buttons of a report's page
(and the queue's one list action, Dismiss).

Each action's effect on the data and on the DM policy, and its one audit-log row.
"""

import datetime

import pytest
import time_machine
from django.contrib import messages
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts.models import DeviceToken, User
from dmsite.errors import InvalidInput
from messaging.models import Message
from messaging.services import message_unsend
from moderation import services
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/moderation/report/"
VIA = ["service", "page"]


def _report(reporter: User, target_type: str, target_id, reason: str = "harassment") -> Report:
    report, created = services.report_create(
        reporter=reporter, target_type=target_type, target_id=target_id, reason=reason
    )
    assert created
    return report


@pytest.fixture
def message_report(pair) -> Report:
    reporter, _, message = pair
    return _report(reporter, "message", message.pk)


@pytest.fixture
def user_report(pair) -> Report:
    reporter, offender, _ = pair
    return _report(reporter, "user", offender.pk)


def _admin_action(client, action: str, reports, *, reason="Breaks the rules.", query=""):
    """The queue's list action (Dismiss is the only one)."""
    data = {"action": action, "_selected_action": [report.pk for report in reports]}
    if reason is not None:
        data["reason"] = reason
    return client.post(CHANGELIST + query, data)


def _page(report: Report) -> str:
    return f"{CHANGELIST}{report.pk}/change/"


def _page_action(client, report: Report, action: str, *, reason="Breaks the rules.", days=None):
    """A button of the report's page; a destructive one is confirmed on the next page."""
    data = {"action": action}
    if reason is not None:
        data["reason"] = reason
    if days is not None:
        data["days"] = str(days)
    response = client.post(_page(report), data)
    if action != ActionKind.DISMISS and response.status_code == 200 and _asks_to_confirm(response):
        response = client.post(_page(report), {**data, "confirmed": "on"})
    return response


def _asks_to_confirm(response) -> bool:
    return "admin/moderation/report/confirm.html" in [t.name for t in response.templates]


def _queue_ids(response) -> list[int]:
    assert response.status_code == 200
    return [report.pk for report in response.context["cl"].result_list]


def _form_errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


def _admin_messages(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def _act(via, moderator_client, moderator, action, report, *, reason, days=7):
    """Run one action on one report, the way a moderator would."""
    if via == "page":
        response = _page_action(
            moderator_client,
            report,
            action,
            reason=reason,
            days=days if action == ActionKind.SUSPEND else None,
        )
        assert response.status_code == 302
        assert response["Location"] == _page(report)
        return _admin_messages(response)
    if action == ActionKind.DISMISS:
        services.report_dismiss(report=report, moderator=moderator, reason=reason)
    elif action == ActionKind.REMOVE_MESSAGE:
        services.report_remove_message(report=report, moderator=moderator, reason=reason)
    elif action == ActionKind.SUSPEND:
        services.user_suspend_messaging(
            moderator=moderator, user=report.offender, days=days, reason=reason, report=report
        )
    else:
        services.user_deactivate_by_moderator(
            moderator=moderator, user=report.offender, reason=reason, report=report
        )
    return []


def _assert_one_audit_row(*, moderator, action, reason, target_user, report, since):
    entry = ModerationAction.objects.get()
    assert entry.moderator == moderator
    assert entry.action == action
    assert entry.reason == reason
    assert entry.target_user == target_user
    assert entry.report == report
    assert since <= entry.created_at <= timezone.now()
    return entry


def _assert_resolved(report, status, moderator, since):
    report.refresh_from_db()
    assert report.status == status
    assert report.resolved_by == moderator
    assert since <= report.resolved_at <= timezone.now()


def _send_via_api(client_for, sender, recipient, body="hello again"):
    return client_for(sender).post(
        "/api/v1/messages", {"to": recipient.username, "body": body}, format="json"
    )


# Dismiss


@pytest.mark.parametrize("via", VIA)
def test_dismiss(via, pair, message_report, moderator, moderator_client, client_for):
    reporter, offender, message = pair
    since = timezone.now()

    shown = _act(
        via, moderator_client, moderator, ActionKind.DISMISS, message_report, reason="Banter."
    )

    _assert_resolved(message_report, ReportStatus.DISMISSED, moderator, since)
    _assert_one_audit_row(
        moderator=moderator,
        action=ActionKind.DISMISS,
        reason="Banter.",
        target_user=offender,
        report=message_report,
        since=since,
    )
    if via == "page":
        assert shown == [
            (
                messages.SUCCESS,
                f"Dismissed report #{message_report.pk} about offender. Reason: Banter.",
            )
        ]
    # Nothing happens to the offender or the message.
    offender.refresh_from_db()
    assert offender.is_active
    assert offender.messaging_suspended_until is None
    message.refresh_from_db()
    assert message.body == "you are awful"
    assert _send_via_api(client_for, offender, reporter).status_code == 201


# Remove the reported message


@pytest.mark.parametrize("via", VIA)
def test_remove_message_erases_it_for_both(
    via, pair, message_report, moderator, moderator_client, client_for
):
    reporter, offender, message = pair
    since = timezone.now()

    _act(
        via,
        moderator_client,
        moderator,
        ActionKind.REMOVE_MESSAGE,
        message_report,
        reason="Insult.",
    )

    message.refresh_from_db()
    assert message.body == ""
    assert message.unsent
    for user in (reporter, offender):
        response = client_for(user).get(f"/api/v1/conversations/{message.conversation_id}/messages")
        assert response.status_code == 200
        shown = {item["id"]: item for item in response.json()["results"]}
        assert (shown[message.pk]["body"], shown[message.pk]["unsent"]) == ("", True)
        # The other message of the conversation is untouched, and seq has no gap.
        assert sorted(item["seq"] for item in shown.values()) == [1, 2]
        assert [item["body"] for item in shown.values() if item["id"] != message.pk] == ["hi there"]
    _assert_resolved(message_report, ReportStatus.ACTIONED, moderator, since)
    entry = _assert_one_audit_row(
        moderator=moderator,
        action=ActionKind.REMOVE_MESSAGE,
        reason="Insult.",
        target_user=offender,
        report=message_report,
        since=since,
    )
    assert entry.details == {"message_id": message.pk}
    # The evidence stays.
    message_report.refresh_from_db()
    assert message_report.snapshot["message"]["body"] == "you are awful"
    # Removing a message does not suspend anyone.
    assert _send_via_api(client_for, offender, reporter).status_code == 201


def test_remove_message_of_a_message_the_sender_already_unsent(pair, message_report, moderator):
    _, offender, message = pair
    message_unsend(user=offender, message_id=message.pk)
    message.refresh_from_db()
    unsent_at = message.unsent_at

    services.report_remove_message(report=message_report, moderator=moderator, reason="Gone.")

    message.refresh_from_db()
    assert (message.body, message.unsent_at) == ("", unsent_at)
    assert ModerationAction.objects.get().action == ActionKind.REMOVE_MESSAGE
    message_report.refresh_from_db()
    assert message_report.status == ReportStatus.ACTIONED


def test_remove_message_needs_a_message_report(pair, user_report, moderator):
    _, _, message = pair

    with pytest.raises(InvalidInput) as raised:
        services.report_remove_message(report=user_report, moderator=moderator, reason="x")

    assert raised.value.code == "invalid"
    assert raised.value.status_code == 400
    assert not ModerationAction.objects.exists()
    user_report.refresh_from_db()
    assert user_report.status == ReportStatus.OPEN
    message.refresh_from_db()
    assert message.body == "you are awful"


def test_remove_message_on_a_user_report_says_why_nothing_happened(
    pair, user_report, moderator_client
):
    _, _, message = pair
    page = moderator_client.get(_page(user_report)).content.decode()
    assert f'value="{ActionKind.REMOVE_MESSAGE}"' not in page  # no such button on offer

    # A crafted post of the button.
    response = _page_action(moderator_client, user_report, ActionKind.REMOVE_MESSAGE)

    assert _form_errors(response) == {"action": ["Only a message report has a message to remove."]}
    assert "Only a message report has a message to remove." in response.content.decode()
    assert not ModerationAction.objects.exists()
    user_report.refresh_from_db()
    assert user_report.status == ReportStatus.OPEN
    message.refresh_from_db()
    assert message.body == "you are awful"


# Suspend messaging for a period


@pytest.mark.parametrize("days", [1, 3, 7, 30, 365])
@pytest.mark.parametrize("via", VIA)
def test_suspend_refuses_sends_until_the_end_of_the_period(
    via, days, pair, message_report, moderator, moderator_client, client_for
):
    reporter, offender, _ = pair
    since = timezone.now()

    _act(
        via,
        moderator_client,
        moderator,
        ActionKind.SUSPEND,
        message_report,
        reason="Repeated insults.",
        days=days,
    )

    offender.refresh_from_db()
    until = offender.messaging_suspended_until
    assert since + datetime.timedelta(days=days) <= until
    assert until <= timezone.now() + datetime.timedelta(days=days)
    assert offender.is_active
    _assert_resolved(message_report, ReportStatus.ACTIONED, moderator, since)
    entry = _assert_one_audit_row(
        moderator=moderator,
        action=ActionKind.SUSPEND,
        reason="Repeated insults.",
        target_user=offender,
        report=message_report,
        since=since,
    )
    assert entry.details == {"days": days, "until": until.isoformat()}

    messages_before = Message.objects.count()
    refused = _send_via_api(client_for, offender, reporter)
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_suspended"
    assert Message.objects.count() == messages_before
    # The profile's flag asks the same policy.
    profile = client_for(offender).get(f"/api/v1/users/{reporter.username}")
    assert profile.json()["can_message"] == {"allowed": False, "code": "account_suspended"}
    # The reporter may still write to the suspended user.
    assert _send_via_api(client_for, reporter, offender).status_code == 201

    with time_machine.travel(until - datetime.timedelta(minutes=1), tick=False):
        still = _send_via_api(client_for, offender, reporter)
        assert still.status_code == 403
        assert still.json()["code"] == "account_suspended"
    with time_machine.travel(until + datetime.timedelta(seconds=1), tick=False):
        allowed = _send_via_api(client_for, offender, reporter, "I will behave")
        assert allowed.status_code == 201, allowed.json()
    assert Message.objects.filter(sender=offender).last().body == "I will behave"


def test_suspend_also_refuses_the_conversation_endpoint(pair, moderator, client_for):
    _reporter, offender, message = pair

    services.user_suspend_messaging(moderator=moderator, user=offender, days=1, reason="Spam.")

    response = client_for(offender).post(
        f"/api/v1/conversations/{message.conversation_id}/messages", {"body": "hi"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "account_suspended"
    # Without a report, the audit row names no report.
    entry = ModerationAction.objects.get()
    assert (entry.report, entry.target_user) == (None, offender)


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_suspend_for_an_impossible_period_changes_nothing(pair, message_report, moderator, days):
    _, offender, _ = pair

    with pytest.raises(InvalidInput):
        services.user_suspend_messaging(
            moderator=moderator, user=offender, days=days, reason="x", report=message_report
        )

    offender.refresh_from_db()
    assert offender.messaging_suspended_until is None
    assert not ModerationAction.objects.exists()
    message_report.refresh_from_db()
    assert message_report.status == ReportStatus.OPEN


@pytest.mark.parametrize("days", ["0", "2", "abc", "-7", "99999", ""])
def test_suspend_on_the_page_only_for_an_offered_period(
    pair, message_report, moderator_client, days
):
    _, offender, _ = pair

    response = _page_action(moderator_client, message_report, ActionKind.SUSPEND, days=days)

    expected = (
        ["Choose how long the suspension lasts."]
        if days == ""
        else [f"Select a valid choice. {days} is not one of the available choices."]
    )
    assert _form_errors(response) == {"days": expected}
    assert not _asks_to_confirm(response)
    offender.refresh_from_db()
    assert offender.messaging_suspended_until is None
    assert not ModerationAction.objects.exists()
    message_report.refresh_from_db()
    assert message_report.status == ReportStatus.OPEN


# Deactivate the account


@pytest.mark.parametrize("via", VIA)
def test_deactivate(via, pair, user_report, moderator, moderator_client, client_for, api):
    reporter, offender, _ = pair
    offender_client = client_for(offender)
    assert DeviceToken.objects.filter(user=offender).exists()
    since = timezone.now()

    _act(via, moderator_client, moderator, ActionKind.DEACTIVATE, user_report, reason="Scammer.")

    offender.refresh_from_db()
    assert not offender.is_active
    assert not DeviceToken.objects.filter(user=offender).exists()
    _assert_resolved(user_report, ReportStatus.ACTIONED, moderator, since)
    _assert_one_audit_row(
        moderator=moderator,
        action=ActionKind.DEACTIVATE,
        reason="Scammer.",
        target_user=offender,
        report=user_report,
        since=since,
    )
    # Their token no longer works.
    me = offender_client.get("/api/v1/me")
    assert me.status_code == 401
    assert me.json()["code"] == "not_authenticated"
    # Others get 404 for them, everywhere.
    profile = client_for(reporter).get(f"/api/v1/users/{offender.username}")
    assert profile.status_code == 404
    assert profile.json()["code"] == "not_found"
    send = _send_via_api(client_for, reporter, offender)
    assert send.status_code == 404
    assert send.json()["code"] == "not_found"
    bystander = UserFactory()
    seen_by_stranger = client_for(bystander).get(f"/api/v1/users/{offender.username}")
    assert seen_by_stranger.status_code == 404
    assert seen_by_stranger.json()["code"] == "not_found"
    # The evidence stays.
    user_report.refresh_from_db()
    assert user_report.snapshot["user"]["username"] == offender.username
    assert user_report.snapshot["messages"][-1]["body"] == "you are awful"


# Every action needs a reason


ACTIONS = [ActionKind.DISMISS, ActionKind.REMOVE_MESSAGE, ActionKind.SUSPEND, ActionKind.DEACTIVATE]


def _state(report: Report, offender: User, message: Message) -> tuple:
    return (
        list(Report.objects.filter(pk=report.pk).values()),
        list(User.objects.filter(pk=offender.pk).values("is_active", "messaging_suspended_until")),
        DeviceToken.objects.filter(user=offender).exists(),
        list(Message.objects.filter(pk=message.pk).values("body", "unsent_at")),
        ModerationAction.objects.count(),
    )


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_without_a_reason_changes_nothing(
    pair, message_report, moderator, client_for, action, reason
):
    _, offender, message = pair
    client_for(offender)  # give the offender a token, which deactivation would revoke
    report = Report.objects.select_related("offender").get(pk=message_report.pk)
    before = _state(report, offender, message)

    with pytest.raises(InvalidInput) as raised:
        _act("service", None, moderator, action, report, reason=reason)

    assert raised.value.code == "invalid"
    assert _state(report, offender, message) == before
    assert not ModerationAction.objects.exists()
    # Nor does a refused action leave the objects it was given looking changed.
    assert report.status == ReportStatus.OPEN
    assert report.offender.is_active
    assert report.offender.messaging_suspended_until is None


@pytest.mark.parametrize("reason", ["", "   ", None])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_page_action_without_a_reason_shows_an_error_and_changes_nothing(
    pair, message_report, moderator_client, client_for, action, reason
):
    _, offender, message = pair
    client_for(offender)
    before = _state(message_report, offender, message)

    response = _page_action(moderator_client, message_report, action, reason=reason, days=7)

    assert _form_errors(response) == {"reason": ["Say why: every moderator action needs a reason."]}
    assert not _asks_to_confirm(response)
    assert _state(message_report, offender, message) == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_the_queue_dismiss_without_a_reason_shows_an_error_and_changes_nothing(
    pair, message_report, moderator_client, client_for, reason
):
    _, offender, message = pair
    before = _state(message_report, offender, message)

    response = _admin_action(moderator_client, "dismiss", [message_report], reason=reason)

    assert response.status_code == 302
    assert _admin_messages(response) == [
        (
            messages.ERROR,
            f"Report #{message_report.pk}: Say why: every moderator action needs a reason.",
        )
    ]
    assert _state(message_report, offender, message) == before


@pytest.mark.parametrize("action", ["remove_message", "suspend_offender", "deactivate_offender"])
def test_the_queue_offers_no_destructive_list_action(
    pair, message_report, moderator_client, client_for, action
):
    """Those are done from a report's page, after its evidence, with a confirmation."""
    _, offender, message = pair
    queue = moderator_client.get(CHANGELIST).content.decode()
    assert f'value="{action}"' not in queue
    assert 'name="suspend_days"' not in queue
    before = _state(message_report, offender, message)

    response = _admin_action(moderator_client, action, [message_report])

    assert response.status_code == 302
    assert _admin_messages(response) == [(messages.WARNING, "No action selected.")]
    assert _state(message_report, offender, message) == before


def test_the_reason_is_stored_trimmed(pair, message_report, moderator):
    services.report_dismiss(report=message_report, moderator=moderator, reason="  Banter.\n")

    assert ModerationAction.objects.get().reason == "Banter."


# Several reports, and reports already resolved


def test_an_admin_action_on_several_reports_logs_one_row_per_report(pair, moderator_client):
    reporter, offender, message = pair
    second_reporter = UserFactory()
    reports = [
        _report(reporter, "message", message.pk),
        _report(second_reporter, "user", offender.username, reason="spam"),
    ]

    response = _admin_action(moderator_client, "dismiss", reports, reason="Not a violation.")

    assert response.status_code == 302
    assert _admin_messages(response) == [
        (
            messages.SUCCESS,
            f"Dismissed report #{reports[0].pk} about offender. Reason: Not a violation.",
        ),
        (
            messages.SUCCESS,
            f"Dismissed report #{reports[1].pk} about offender. Reason: Not a violation.",
        ),
    ]
    assert sorted(ModerationAction.objects.values_list("report_id", flat=True)) == sorted(
        report.pk for report in reports
    )
    assert set(ModerationAction.objects.values_list("action", "target_user_id")) == {
        (ActionKind.DISMISS, offender.pk)
    }
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.DISMISSED}


def test_a_dismissed_report_can_still_lead_to_a_suspension(
    pair, message_report, moderator, moderator_client, client_for
):
    reporter, offender, _ = pair
    services.report_dismiss(report=message_report, moderator=moderator, reason="First look.")
    message_report.refresh_from_db()
    resolved_at = message_report.resolved_at

    # The queue shows open reports only; the page of a resolved report still acts.
    assert message_report.pk not in _queue_ids(moderator_client.get(CHANGELIST))
    assert message_report.pk in _queue_ids(moderator_client.get(CHANGELIST + "?status=all"))
    shown = _page_action(moderator_client, message_report, ActionKind.SUSPEND, days=3)

    assert shown.status_code == 302
    assert shown["Location"] == _page(message_report)
    offender.refresh_from_db()
    assert offender.is_messaging_suspended()
    assert list(ModerationAction.objects.order_by("pk").values_list("action", flat=True)) == [
        ActionKind.DISMISS,
        ActionKind.SUSPEND,
    ]
    # The report keeps its first resolution.
    message_report.refresh_from_db()
    assert (message_report.status, message_report.resolved_at) == (
        ReportStatus.DISMISSED,
        resolved_at,
    )
    refused = _send_via_api(client_for, offender, reporter)
    assert refused.json()["code"] == "account_suspended"


def test_audit_rows_record_each_moderator(pair, message_report, moderator):
    _, offender, _ = pair
    second = UserFactory(is_staff=True)

    services.user_suspend_messaging(
        moderator=moderator, user=offender, days=1, reason="One.", report=message_report
    )
    services.user_deactivate_by_moderator(
        moderator=second, user=offender, reason="Two.", report=message_report
    )

    rows = list(
        ModerationAction.objects.order_by("pk").values_list(
            "moderator__username", "action", "reason", "report_id"
        )
    )
    assert rows == [
        ("mod", ActionKind.SUSPEND, "One.", message_report.pk),
        (second.username, ActionKind.DEACTIVATE, "Two.", message_report.pk),
    ]
