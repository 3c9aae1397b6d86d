"""The admin as the moderators' panel: who reaches it, the queue, the evidence, the audit log."""

import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import ProtectedError
from django.test import Client
from django.utils import timezone

from accounts.management.commands.load_demo_users import DEMO_PASSWORD, DEMO_TOTP_KEY
from accounts.models import User
from accounts.services import user_update
from dmsite.env import Rate
from messaging.services import message_unsend
from moderation import services
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus
from tests.factories import PASSWORD, UserFactory, admin_client_for, totp_code
from tests.moderation.conftest import befriend, send

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
CHANGELIST = "/admin/moderation/report/"
AUDIT_LOG = "/admin/moderation/moderationaction/"


def _report(reporter, target_type, target_id, reason="harassment", details="") -> Report:
    report, created = services.report_create(
        reporter=reporter,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=details,
    )
    assert created
    return report


def _listed(response) -> list[int]:
    assert response.status_code == 200
    return sorted(report.pk for report in response.context["cl"].result_list)


def _logged_in(user: User) -> Client:
    """Logged in as the admin would have it: staff with their second factor too."""
    if user.is_staff:
        return admin_client_for(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def message_report(pair) -> Report:
    reporter, _, message = pair
    return _report(reporter, "message", message.pk)


@pytest.fixture
def audit_entry(message_report, moderator) -> ModerationAction:
    return services.report_dismiss(report=message_report, moderator=moderator, reason="Banter.")


@pytest.fixture
def superuser() -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


# The Moderators group


def test_the_migration_made_the_moderators_group_with_just_what_it_needs():
    group = Group.objects.get(name="Moderators")

    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        ("moderation", "view_report"),
        ("moderation", "change_report"),
        ("moderation", "view_moderationaction"),
    }


# Who reaches the admin


@pytest.mark.parametrize(
    "path",
    [
        ADMIN,
        CHANGELIST,
        CHANGELIST + "?status=all",
        "/admin/moderation/report/{id}/change/",
        AUDIT_LOG,
        "/admin/auth/group/",
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_only_staff_reach_the_admin(message_report, path, who):
    client = Client()
    if who == "user":
        client.force_login(message_report.reporter)
    path = path.format(id=message_report.pk)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")
    assert str(message_report.snapshot["message"]["body"]) not in response.content.decode()


def test_a_normal_user_cannot_log_in_to_the_admin(pair):
    reporter, _, _ = pair
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": reporter.username, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert client.get(CHANGELIST).status_code == 302


def test_a_staff_member_logs_in_with_a_password_and_a_totp_code(moderator):
    client = Client()
    (device,) = moderator.totpdevice_set.all()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": moderator.username, "password": PASSWORD, "otp_token": totp_code(device)},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize("otp_token", [None, "", "000000", "12345", "x" * 10])
def test_the_password_alone_does_not_open_the_admin(moderator, otp_token):
    client = Client()
    body = {"username": moderator.username, "password": PASSWORD}
    if otp_token is not None:
        body["otp_token"] = otp_token
    if otp_token == "000000" and totp_code(moderator.totpdevice_set.get()) == "000000":
        body["otp_token"] = "000001"

    response = client.post("/admin/login/?next=/admin/", body)

    assert response.status_code == 200  # the form again, with its error
    assert client.get(CHANGELIST).status_code == 302


def test_staff_without_a_totp_device_cannot_log_in_to_the_admin():
    staff = UserFactory(username="newstaff", is_staff=True)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "newstaff", "password": PASSWORD, "otp_token": "123456"},
    )
    assert response.status_code == 200
    # A session without the second factor (a password log-in elsewhere) is not enough.
    assert client.login(username=staff.username, password=PASSWORD)
    assert client.get(ADMIN).status_code == 302


def test_the_admin_log_in_is_throttled(moderator, settings):
    """Finding 2: 15 wrong passwords, then the right one (and a right code) still fail."""
    settings.RATE_LOGIN = Rate(10, 900)
    client = Client()
    for _ in range(15):
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": "mod", "password": "wrong-password", "otp_token": "123456"},
        )
        assert response.status_code == 200
    (device,) = moderator.totpdevice_set.all()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "mod", "password": PASSWORD, "otp_token": totp_code(device)},
    )
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    assert client.get(CHANGELIST).status_code == 302


def test_a_normal_user_cannot_run_an_action(message_report):
    client = _logged_in(message_report.reporter)

    response = client.post(
        CHANGELIST,
        {"action": "dismiss", "_selected_action": [message_report.pk], "reason": "mine"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    message_report.refresh_from_db()
    assert message_report.status == ReportStatus.OPEN
    assert not ModerationAction.objects.exists()


def test_staff_outside_the_moderators_group_see_no_reports(message_report):
    staff = UserFactory(is_staff=True)
    client = _logged_in(staff)

    assert client.get(ADMIN).status_code == 200
    for path in (CHANGELIST, f"{CHANGELIST}{message_report.pk}/change/", AUDIT_LOG):
        assert client.get(path).status_code == 403
    response = client.post(
        CHANGELIST,
        {"action": "dismiss", "_selected_action": [message_report.pk], "reason": "x"},
    )
    assert response.status_code == 403
    assert not ModerationAction.objects.exists()


def test_a_moderator_who_is_no_longer_staff_is_out(message_report, moderator):
    User.objects.filter(pk=moderator.pk).update(is_staff=False)
    client = _logged_in(moderator)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_moderator_sees_the_moderation_app_and_nothing_else(moderator_client):
    response = moderator_client.get(ADMIN)

    assert response.status_code == 200
    content = response.content.decode()
    assert CHANGELIST in content
    assert AUDIT_LOG in content
    assert "/admin/auth/group/" not in content
    assert moderator_client.get("/admin/auth/group/").status_code == 403


# The queue: default open, filters, search


@pytest.fixture
def queue(pair, moderator):
    """Four reports about different people: open, open, dismissed, actioned."""
    reporter, _offender, message = pair
    others = UserFactory.create_batch(3)
    spam = _report(reporter, "message", message.pk, reason="spam", details="buy my coins")
    hate = _report(reporter, "user", others[0].pk, reason="hate")
    dismissed = _report(reporter, "user", others[1].pk, reason="spam")
    actioned = _report(reporter, "user", others[2].pk, reason="violence")
    services.report_dismiss(report=dismissed, moderator=moderator, reason="Fine.")
    services.user_suspend_messaging(
        moderator=moderator, user=others[2], days=1, reason="Threats.", report=actioned
    )
    return {"spam": spam, "hate": hate, "dismissed": dismissed, "actioned": actioned}


def _ids(queue, *names) -> list[int]:
    return sorted(queue[name].pk for name in names)


def test_the_queue_shows_open_reports_by_default(moderator_client, queue):
    response = moderator_client.get(CHANGELIST)

    assert _listed(response) == _ids(queue, "spam", "hate")
    content = response.content.decode()
    # The filters on offer.
    for choice in ("?status=all", "?status=dismissed", "reason__exact=minor_safety", "?age=week"):
        assert choice in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=all", ["spam", "hate", "dismissed", "actioned"]),
        ("?status=open", ["spam", "hate"]),
        ("?status=dismissed", ["dismissed"]),
        ("?status=actioned", ["actioned"]),
        ("?reason__exact=spam", ["spam"]),
        ("?status=all&reason__exact=spam", ["spam", "dismissed"]),
        ("?status=all&reason__exact=violence", ["actioned"]),
        ("?status=all&reason__exact=scam", []),
        ("?status=all&target_type__exact=message", ["spam"]),
        ("?status=all&target_type__exact=user", ["hate", "dismissed", "actioned"]),
    ],
)
def test_the_status_and_reason_filters(moderator_client, queue, query, expected):
    assert _listed(moderator_client.get(CHANGELIST + query)) == _ids(queue, *expected)


def test_the_search(moderator_client, queue, pair):
    _, offender, _ = pair
    hated = queue["hate"].offender

    assert _listed(moderator_client.get(CHANGELIST + "?q=coins")) == _ids(queue, "spam")
    assert _listed(moderator_client.get(CHANGELIST + f"?q={offender.username}")) == _ids(
        queue, "spam"
    )
    assert _listed(moderator_client.get(CHANGELIST + f"?q={hated.username}")) == _ids(queue, "hate")
    assert _listed(moderator_client.get(CHANGELIST + "?q=reporter")) == _ids(queue, "spam", "hate")
    assert _listed(moderator_client.get(CHANGELIST + "?status=all&q=reporter")) == _ids(
        queue, "spam", "hate", "dismissed", "actioned"
    )
    assert _listed(moderator_client.get(CHANGELIST + "?q=nothing-like-this")) == []


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("hour", ["now"]),
        ("day", ["now", "hours"]),
        ("older", ["days", "weeks"]),
        ("week", ["weeks"]),
        ("", ["now", "hours", "days", "weeks"]),
    ],
)
def test_the_age_filter(moderator_client, age, expected):
    reporter = UserFactory()
    now = timezone.now()
    made = {}
    for name, ago in [
        ("weeks", datetime.timedelta(days=8)),
        ("days", datetime.timedelta(days=2)),
        ("hours", datetime.timedelta(hours=2)),
        ("now", datetime.timedelta(0)),
    ]:
        with time_machine.travel(now - ago, tick=False):
            made[name] = _report(reporter, "user", UserFactory().pk)

    response = moderator_client.get(CHANGELIST + (f"?age={age}" if age else ""))

    assert _listed(response) == sorted(made[name].pk for name in expected)


def test_a_bad_filter_value_is_no_crash(moderator_client, queue):
    assert _listed(moderator_client.get(CHANGELIST + "?status=nonsense")) == []
    assert _listed(moderator_client.get(CHANGELIST + "?age=nonsense")) == _ids(
        queue, "spam", "hate"
    )


# The change page: the evidence, read-only and escaped


def test_the_change_page_shows_the_snapshot_escaped(client_for, moderator_client):
    reporter, offender = UserFactory.create_batch(2)
    befriend(reporter, offender)
    message = send(offender, reporter, "<script>x</script>")
    report = _report(
        reporter, "message", message.pk, details="<img src=x onerror=alert(1)> look at this"
    )

    response = moderator_client.get(f"{CHANGELIST}{report.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in content
    assert "<script>x</script>" not in content
    assert "&lt;img src=x onerror=alert(1)&gt; look at this" in content
    assert "<img src=x" not in content
    assert offender.username in content
    assert str(message.seq) in content


def test_the_change_page_shows_the_text_after_unsend(pair, message_report, moderator_client):
    _, offender, message = pair

    message_unsend(user=offender, message_id=message.pk)

    response = moderator_client.get(f"{CHANGELIST}{message_report.pk}/change/")
    assert response.status_code == 200
    assert "you are awful" in response.content.decode()


def test_the_change_page_of_a_conversation_report_lists_its_messages(pair, moderator_client):
    reporter, _offender, message = pair
    report = _report(reporter, "conversation", message.conversation_id)

    content = moderator_client.get(f"{CHANGELIST}{report.pk}/change/").content.decode()

    assert content.index("hi there") < content.index("you are awful")


def test_the_change_page_of_a_user_report_shows_the_profile_escaped(pair, moderator_client):
    reporter, offender, _ = pair
    user_update(user=offender, display_name="<b>Bold</b>", bio="<i>bio</i>")
    report = _report(reporter, "user", offender.pk)

    content = moderator_client.get(f"{CHANGELIST}{report.pk}/change/").content.decode()

    assert "&lt;b&gt;Bold&lt;/b&gt;" in content
    assert "&lt;i&gt;bio&lt;/i&gt;" in content
    assert "<i>bio</i>" not in content
    assert "you are awful" in content


def test_the_change_page_is_read_only(message_report, moderator_client):
    """Only the action buttons post: no field of the report, no Save that claims a change."""
    response = moderator_client.get(f"{CHANGELIST}{message_report.pk}/change/")

    content = response.content.decode()
    for field in ("details", "status", "snapshot", "target_id", "offender", "_save", "_continue"):
        assert f'name="{field}"' not in content
    # The only named fields are the buttons' own (action, reason, period, csrf).
    assert set(re.findall(r'<(?:input|select|textarea|button)[^>]* name="([a-z_]+)"', content)) == {
        "action",
        "reason",
        "days",
        "csrfmiddlewaretoken",
    }

    # A crafted post cannot change a report behind the audit log's back.
    posted = moderator_client.post(
        f"{CHANGELIST}{message_report.pk}/change/",
        {"status": "dismissed", "reason": "other", "details": "edited", "snapshot": "{}"},
    )
    assert posted.status_code == 200  # the page again, saying what is missing
    assert posted.context["form"].errors == {"action": ["This field is required."]}
    assert "changed successfully" not in posted.content.decode()
    before_snapshot = message_report.snapshot
    message_report.refresh_from_db()
    assert message_report.status == ReportStatus.OPEN
    assert message_report.reason == "harassment"
    assert message_report.details == ""
    assert message_report.snapshot == before_snapshot
    assert not ModerationAction.objects.exists()


# Reports cannot be added or deleted in the admin


@pytest.mark.parametrize("who", ["moderator", "superuser"])
def test_reports_cannot_be_added_or_deleted(request, message_report, who):
    client = _logged_in(request.getfixturevalue(who))
    delete = f"{CHANGELIST}{message_report.pk}/delete/"

    assert client.get(CHANGELIST + "add/").status_code == 403
    assert client.post(CHANGELIST + "add/", {"reason": "spam"}).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    # The bulk delete action is not on offer.
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()
    response = client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [message_report.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert Report.objects.filter(pk=message_report.pk).exists()


# The audit log: readable, never added, changed or deleted in the admin


def test_a_moderator_reads_the_audit_log(moderator_client, audit_entry):
    response = moderator_client.get(AUDIT_LOG)

    assert response.status_code == 200
    assert [entry.pk for entry in response.context["cl"].result_list] == [audit_entry.pk]
    assert "Banter." in response.content.decode()
    detail = moderator_client.get(f"{AUDIT_LOG}{audit_entry.pk}/change/")
    assert detail.status_code == 200
    assert "Banter." in detail.content.decode()


@pytest.mark.parametrize("who", ["moderator", "superuser"])
def test_the_audit_log_cannot_be_added_changed_or_deleted(request, audit_entry, who):
    client = _logged_in(request.getfixturevalue(who))
    change = f"{AUDIT_LOG}{audit_entry.pk}/change/"
    delete = f"{AUDIT_LOG}{audit_entry.pk}/delete/"
    before = list(ModerationAction.objects.values())

    assert client.get(AUDIT_LOG + "add/").status_code == 403
    assert client.post(AUDIT_LOG + "add/", {"reason": "forged"}).status_code == 403
    # The change page is a read-only view: no form to save...
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert 'name="reason"' not in page.content.decode()
    # ...and a crafted post is refused.
    assert client.post(change, {"reason": "rewritten", "action": "suspend"}).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    listing = client.get(AUDIT_LOG)
    assert "delete_selected" not in listing.content.decode()
    bulk = client.post(
        AUDIT_LOG,
        {"action": "delete_selected", "_selected_action": [audit_entry.pk], "post": "yes"},
    )
    assert bulk.status_code == 200  # no action is on offer: the list is shown again
    assert list(ModerationAction.objects.values()) == before


def test_the_audit_log_survives_in_the_database_too(audit_entry, message_report):
    # Rows the log points at cannot be deleted out from under it.
    with pytest.raises(ProtectedError):
        message_report.delete()
    assert ModerationAction.objects.filter(pk=audit_entry.pk).exists()


# Resolving a report with a suspension, end to end through the admin


def test_a_moderator_resolves_a_report_with_a_suspension(
    client, client_for, pair, message_report, moderator
):
    reporter, offender, _ = pair
    code = totp_code(moderator.totpdevice_set.get())
    client.post(
        "/admin/login/?next=/admin/", {"username": "mod", "password": PASSWORD, "otp_token": code}
    )
    queue = client.get(CHANGELIST)
    assert _listed(queue) == [message_report.pk]
    page = f"{CHANGELIST}{message_report.pk}/change/"
    assert page in queue.content.decode()
    suspend = {"action": "suspend", "days": "7", "reason": "Insults after a warning."}

    confirm = client.post(page, suspend)
    assert confirm.status_code == 200
    assert "Yes, suspend offender" in confirm.content.decode()
    response = client.post(page, {**suspend, "confirmed": "on"})

    assert response.status_code == 302
    assert _listed(client.get(CHANGELIST)) == []
    refused = client_for(offender).post(
        "/api/v1/messages", {"to": reporter.username, "body": "again"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_suspended"
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.target_user) == (
        moderator,
        ActionKind.SUSPEND,
        offender,
    )
    log = client.get(AUDIT_LOG)
    assert "Insults after a warning." in log.content.decode()


# The demo moderator


def test_load_demo_users_makes_mod_a_moderator_and_is_idempotent():
    out = io.StringIO()
    call_command("load_demo_users", stdout=out)
    first = sorted(User.objects.values_list("username", "is_staff", "is_superuser"))
    call_command("load_demo_users", stdout=out)

    assert sorted(User.objects.values_list("username", "is_staff", "is_superuser")) == first
    mod = User.objects.get(username="mod")
    assert mod.is_staff
    assert not mod.is_superuser
    assert list(mod.groups.values_list("name", flat=True)) == ["Moderators"]
    assert User.objects.filter(username__iexact="mod").count() == 1
    assert {"alice", "bob", "carol", "dave", "mod"} <= set(
        User.objects.values_list("username", flat=True)
    )
    assert mod.has_perm("moderation.change_report")
    assert not mod.has_perm("moderation.delete_report")
    assert not mod.has_perm("moderation.change_moderationaction")

    client = Client()
    assert out.getvalue().splitlines() == [
        "Demo users: 5 created, 0 existed.",
        "Demo users: 0 created, 5 existed.",
    ]
    # The demo moderator has the README's TOTP key, so the admin's second factor works.
    (device,) = mod.totpdevice_set.all()
    assert device.key == DEMO_TOTP_KEY
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "mod", "password": DEMO_PASSWORD, "otp_token": totp_code(device)},
    )
    assert response.status_code == 302
    assert client.get(CHANGELIST).status_code == 200
