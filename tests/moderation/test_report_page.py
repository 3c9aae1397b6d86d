"""A report's page: the evidence first, then the action buttons, each confirmed in words;
times as `<time>` for the browser to localise; the audit log readable at a glance."""

import datetime
import re

import pytest
import time_machine
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from accounts.models import User
from moderation import services
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus
from tests.factories import UserFactory, admin_client_for
from tests.moderation.conftest import befriend, send

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/moderation/report/"
AUDIT_LOG = "/admin/moderation/moderationaction/"
ACTED_AT = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=datetime.UTC)


def _report(reporter, target_type, target_id) -> Report:
    report, created = services.report_create(
        reporter=reporter, target_type=target_type, target_id=target_id, reason="spam"
    )
    assert created
    return report


@pytest.fixture
def message_report(pair) -> Report:
    reporter, _, message = pair
    return _report(reporter, "message", message.pk)


def _page(report: Report) -> str:
    return f"{CHANGELIST}{report.pk}/change/"


def _shown(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def _confirmed(client, report, data: dict):
    """Post a button, see its confirmation page, confirm; the redirect after."""
    asked = client.post(_page(report), data)
    assert asked.status_code == 200
    assert "admin/moderation/report/confirm.html" in [t.name for t in asked.templates]
    assert ModerationAction.objects.count() == 0  # nothing done before the confirmation
    done = client.post(_page(report), {**data, "confirmed": "on"})
    assert done.status_code == 302
    assert done["Location"] == _page(report)
    return asked, done


# The page's order and its evidence ------------------------------------------------------


def test_the_evidence_comes_first_then_the_actions(pair, message_report, moderator_client):
    _, _offender, message = pair

    content = moderator_client.get(_page(message_report)).content.decode()

    evidence = content.index('id="evidence-title"')
    actions = content.index('id="actions-title"')
    assert evidence < content.index("you are awful") < actions
    for button in (
        "Dismiss the report",
        "Remove the message…",
        "Suspend offender…",
        "Deactivate offender…",
    ):
        assert actions < content.index(button)
    # The message's row: its time for the browser to localise, its sender, its text.
    row = re.search(
        rf'<tr data-evidence-message="{message.pk}">(.*?)</tr>', content, re.DOTALL
    ).group(1)
    iso = message.created_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    assert f'<time datetime="{iso}" data-local-time>' in row
    assert "<td>offender</td>" in row
    assert "you are awful" in row
    # The script that localises them, from static/ (no inline script: CSP).
    assert '<script src="/static/js/local-times.js"></script>' in content
    assert "<script>" not in content


def test_the_period_is_asked_only_by_the_suspension(message_report, moderator_client):
    content = moderator_client.get(_page(message_report)).content.decode()

    forms = re.findall(r"<details.*?</details>", content, re.DOTALL)
    assert len(forms) == 4
    with_period = [form for form in forms if 'name="days"' in form]
    assert len(with_period) == 1
    assert 'value="suspend"' in with_period[0]
    assert "Reason, shown to the user" in with_period[0]
    assert '<option value="7" selected>7 days</option>' in with_period[0]


def test_the_times_are_iso_in_the_markup_and_utc_without_javascript(pair, moderator_client):
    reporter, offender, _ = pair
    with time_machine.travel(datetime.datetime(2026, 3, 4, 5, 6, tzinfo=datetime.UTC), tick=False):
        message = send(offender, reporter, "at a known time")
        report = _report(reporter, "message", message.pk)

    content = moderator_client.get(_page(report)).content.decode()

    assert (
        '<time datetime="2026-03-04T05:06:00Z" data-local-time>4 Mar 2026, 05:06 UTC</time>'
        in content
    )


def test_a_user_report_shows_the_profile_and_no_remove_button(pair, moderator_client):
    reporter, offender, _ = pair
    report = _report(reporter, "user", offender.pk)

    content = moderator_client.get(_page(report)).content.decode()

    assert "<strong>offender</strong>" in content
    assert "you are awful" in content  # their last messages with the reporter
    assert 'value="remove_message"' not in content
    assert "Suspend offender…" in content


# The buttons ----------------------------------------------------------------------------


def test_dismiss_needs_no_confirmation_and_says_what_happened(message_report, moderator_client):
    response = moderator_client.post(
        _page(message_report), {"action": "dismiss", "reason": "Banter between friends."}
    )

    assert response.status_code == 302
    assert _shown(response) == [
        (
            messages.SUCCESS,
            f"Dismissed report #{message_report.pk} about offender. "
            "Reason: Banter between friends.",
        )
    ]
    message_report.refresh_from_db()
    assert message_report.status == ReportStatus.DISMISSED


def test_suspend_asks_then_says_until_when_and_why(
    pair, message_report, moderator, moderator_client
):
    _, offender, _ = pair
    data = {"action": "suspend", "days": "7", "reason": "Spam ring, first strike"}

    with time_machine.travel(ACTED_AT, tick=False):
        asked, done = _confirmed(moderator_client, message_report, data)

    question = asked.content.decode()
    assert (
        "Suspend offender&#x27;s messaging for 7 days, until about 8 Dec 2026, 14:00 UTC?"
        in question
    )
    assert "<blockquote data-confirm-reason>Spam ring, first strike</blockquote>" in question
    assert "Yes, suspend offender" in question
    assert _shown(done) == [
        (
            messages.SUCCESS,
            "Suspended offender's messaging until 8 Dec 2026, 14:00 UTC. "
            "Reason: Spam ring, first strike",
        )
    ]
    offender.refresh_from_db()
    assert offender.messaging_suspended_until == ACTED_AT + datetime.timedelta(days=7)
    assert offender.messaging_suspension_reason == "Spam ring, first strike"
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.report) == (
        moderator,
        ActionKind.SUSPEND,
        message_report,
    )
    # The page afterwards: the word of it, the report's new state, what was done.
    with time_machine.travel(ACTED_AT + datetime.timedelta(minutes=1), tick=False):
        after = moderator_client.get(_page(message_report)).content.decode()
    assert "Suspended offender&#x27;s messaging until 8 Dec 2026, 14:00 UTC." in after
    assert "(messaging suspended until 8 Dec 2026, 14:00 UTC)" in after
    assert "Actioned" in after


def test_going_back_from_the_confirmation_changes_nothing(pair, message_report, moderator_client):
    _, offender, _ = pair
    asked = moderator_client.post(
        _page(message_report), {"action": "deactivate", "reason": "Scam account."}
    )

    assert asked.status_code == 200
    content = asked.content.decode()
    assert "Deactivate offender&#x27;s account?" in content
    assert (
        f'<a href="{_page(message_report)}" class="button cancel-link">No, go back</a>' in content
    )
    offender.refresh_from_db()
    assert offender.is_active
    assert not ModerationAction.objects.exists()


def test_remove_message_asks_then_says_what_happened(pair, message_report, moderator_client):
    _, _, message = pair
    data = {"action": "remove_message", "reason": "Insult."}

    asked, done = _confirmed(moderator_client, message_report, data)

    assert f"Remove offender&#x27;s message #{message.pk} for both participants?" in (
        asked.content.decode()
    )
    assert _shown(done) == [
        (
            messages.SUCCESS,
            f"Removed offender's message #{message.pk} for everyone. Reason: Insult.",
        )
    ]
    message.refresh_from_db()
    assert message.unsent_at is not None


def test_deactivate_asks_then_says_what_happened(pair, message_report, moderator_client):
    _, offender, _ = pair

    _, done = _confirmed(
        moderator_client, message_report, {"action": "deactivate", "reason": "Scam account."}
    )

    assert _shown(done) == [
        (messages.SUCCESS, "Deactivated offender's account. Reason: Scam account.")
    ]
    assert not User.objects.get(pk=offender.pk).is_active


def test_a_suspension_reason_too_long_for_the_user_is_refused_before_confirming(
    pair, message_report, moderator_client
):
    _, offender, _ = pair

    response = moderator_client.post(
        _page(message_report), {"action": "suspend", "days": "7", "reason": "x" * 501}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "reason": ["The user reads this reason: keep it to 500 characters."]
    }
    offender.refresh_from_db()
    assert offender.messaging_suspended_until is None


@pytest.mark.parametrize("action", ["", "ban", "delete_selected"])
def test_an_unknown_action_is_refused_in_words(message_report, moderator_client, action):
    response = moderator_client.post(_page(message_report), {"action": action, "reason": "x"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["action"]
    assert not ModerationAction.objects.exists()


def test_a_moderator_without_change_permission_sees_no_buttons_and_cannot_post(
    message_report,
):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_report"))
    client = admin_client_for(viewer)

    page = client.get(_page(message_report))
    assert page.status_code == 200
    assert "you are awful" in page.content.decode()
    assert 'name="action"' not in page.content.decode()
    posted = client.post(_page(message_report), {"action": "dismiss", "reason": "x"})
    assert posted.status_code == 403
    assert not ModerationAction.objects.exists()


def test_the_page_of_a_report_that_does_not_exist_goes_back_to_the_queue(moderator_client):
    response = moderator_client.get(f"{CHANGELIST}999999/change/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# The audit log --------------------------------------------------------------------------


def test_the_audit_log_says_who_what_whom_when_and_why(pair, message_report, moderator):
    _, offender, _ = pair
    reason = "A long reason that a moderator wrote in full, " * 4
    with time_machine.travel(ACTED_AT, tick=False):
        services.user_suspend_messaging(
            moderator=moderator, user=offender, days=7, reason=reason, report=message_report
        )

    content = admin_client_for(moderator).get(AUDIT_LOG).content.decode()

    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', content)
    assert headers == ["when", "moderator", "what", "target_user", "reason_text", "report_link"]
    assert (
        '<time datetime="2026-12-01T14:00:00Z" data-local-time>1 Dec 2026, 14:00 UTC</time>'
        in content
    )
    assert '<td class="field-moderator nowrap">mod</td>' in content
    assert "Suspended offender&#x27;s messaging until 8 Dec 2026, 14:00 UTC" in content
    assert '<td class="field-target_user nowrap">offender</td>' in content
    assert f'<span class="moderation-reason">{reason.strip()}</span>' in content
    assert f'<a href="{_page(message_report)}">#{message_report.pk}</a>' in content
    # Nothing cut off: the columns wrap (the admin's stylesheet, then ours).
    assert '<link href="/static/css/moderation-admin.css" media="all" rel="stylesheet">' in content


def test_an_audit_row_without_a_report_says_so(pair, moderator, moderator_client):
    _, offender, _ = pair
    services.user_suspend_messaging(moderator=moderator, user=offender, days=1, reason="Spam.")

    content = moderator_client.get(AUDIT_LOG).content.decode()

    assert '<td class="field-report_link">none</td>' in content


def test_every_action_reads_in_words_in_the_audit_log(pair, moderator, moderator_client):
    reporter, offender, message = pair
    other = UserFactory(username="other")
    befriend(reporter, other)
    reports = [
        _report(reporter, "message", message.pk),
        _report(reporter, "user", offender.pk),
        _report(reporter, "user", other.pk),
    ]
    services.report_dismiss(report=reports[1], moderator=moderator, reason="One.")
    services.report_remove_message(report=reports[0], moderator=moderator, reason="Two.")
    services.user_deactivate_by_moderator(
        moderator=moderator, user=other, reason="Three.", report=reports[2]
    )

    content = moderator_client.get(AUDIT_LOG).content.decode()

    assert f"Dismissed report #{reports[1].pk} about offender" in content
    assert f"Removed offender&#x27;s message #{message.pk} for everyone" in content
    assert "Deactivated other&#x27;s account" in content
