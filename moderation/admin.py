"""The moderators' panel: the open-reports queue, a report's page (evidence, then the
action buttons), and the audit log."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from dmsite.errors import ApiError
from messaging.errors import suspension_end_text
from moderation import services
from moderation.admin_site import ModerationAdminSite
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus, TargetType
from moderation.templatetags.moderation_times import local_time

# A password and a TOTP code, throttled (moderation/admin_site.py).
admin.site.__class__ = ModerationAdminSite
admin.site.site_header = "dmsite moderation"
admin.site.site_title = "dmsite moderation"
admin.site.index_title = "Reports queue and audit log"


class QueueActionForm(helpers.ActionForm):
    """Beside the queue's action menu, whose one action is Dismiss: its reason, nothing else.

    Removing, suspending and deactivating are done from a report's own page, after its
    evidence, each with its own fields and a confirmation (docs/decisions.md).
    """

    # No max_length: an invalid action form makes Django say "No action selected".
    reason = forms.CharField(label="Reason", required=False)


class StatusFilter(admin.SimpleListFilter):
    """The queue opens on open reports; `All` shows every report."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ReportStatus.choices, ("all", "All")]

    def choices(self, changelist):
        current = self.value() or ReportStatus.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or ReportStatus.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    RANGES = {
        "hour": ("Less than an hour", None, timedelta(hours=1)),
        "day": ("Less than a day", None, timedelta(days=1)),
        "older": ("Older than a day", timedelta(days=1), None),
        "week": ("Older than a week", timedelta(days=7), None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.RANGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        _, older_than, newer_than = self.RANGES[self.value()]
        now = timezone.now()
        if older_than is not None:
            queryset = queryset.filter(created_at__lte=now - older_than)
        if newer_than is not None:
            queryset = queryset.filter(created_at__gt=now - newer_than)
        return queryset


class ReportActionForm(forms.Form):
    """One button of a report's page: the action, its reason, a suspension's period.

    `confirmed` comes from the confirmation page that destructive actions show first.
    """

    action = forms.ChoiceField(choices=ActionKind.choices)
    reason = forms.CharField(max_length=2000, required=False, strip=True)
    days = forms.TypedChoiceField(
        coerce=int, choices=services.SUSPENSION_PERIODS, required=False, empty_value=None
    )
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, report: Report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why: every moderator action needs a reason.")
        if action == ActionKind.SUSPEND:
            if data.get("days") is None and "days" not in self.errors:
                self.add_error("days", "Choose how long the suspension lasts.")
            if len(data.get("reason") or "") > services.SUSPENSION_REASON_MAX:
                self.add_error(
                    "reason",
                    f"The user reads this reason: keep it to "
                    f"{services.SUSPENSION_REASON_MAX} characters.",
                )
        if action == ActionKind.REMOVE_MESSAGE and self.report.target_type != TargetType.MESSAGE:
            self.add_error("action", "Only a message report has a message to remove.")
        return data

    @property
    def needs_confirmation(self) -> bool:
        return self.cleaned_data["action"] != ActionKind.DISMISS


# What each confirmation page asks, and its button.
CONFIRMATIONS = {
    ActionKind.REMOVE_MESSAGE: (
        "Remove {name}'s message #{message} for both participants? Its text and files are "
        "erased; the report keeps its evidence.",
        "Yes, remove the message",
    ),
    ActionKind.SUSPEND: (
        "Suspend {name}'s messaging for {period}, until about {until}? Every send of theirs "
        "is refused with this reason, which they read:",
        "Yes, suspend {name}",
    ),
    ActionKind.DEACTIVATE: (
        "Deactivate {name}'s account? They are signed out everywhere and disappear for "
        "everyone else; their messages stay as evidence.",
        "Yes, deactivate {name}",
    ),
}


def _evidence_messages(report: Report) -> tuple[list[dict], list]:
    """The snapshot's messages, each with the evidence copies of its files."""
    snapshot = report.snapshot
    shown = [snapshot["message"]] if "message" in snapshot else snapshot.get("messages", [])
    files = list(report.files.order_by("message_id", "pk"))
    by_attachment = {evidence.attachment_id: evidence for evidence in files}
    placed: set[int] = set()
    rows = []
    for message in shown:
        copies = []
        for attachment in message.get("attachments", []):
            evidence = by_attachment.get(attachment["id"])
            if evidence is not None:
                copies.append(evidence)
                placed.add(evidence.pk)
        rows.append({**message, "files": copies})
    # Copies whose message the snapshot does not show (none expected): still shown.
    unplaced = [evidence for evidence in files if evidence.pk not in placed]
    return rows, unplaced


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "reported", "reason", "target_type", "reporter", "offender", "status"]
    list_display_links = ["id", "reported"]
    list_filter = [StatusFilter, "reason", AgeFilter, "target_type"]
    search_fields = ["reporter__username", "offender__username", "details"]
    list_select_related = ["reporter", "offender"]
    ordering = ["-created_at"]
    action_form = QueueActionForm
    actions = ["dismiss"]

    class Media:
        js = ["js/local-times.js"]
        css = {"all": ["css/moderation-admin.css"]}

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="reported", ordering="created_at")
    def reported(self, report: Report):
        return local_time(report.created_at)

    # The queue's one bulk action ---------------------------------------------------------

    @admin.action(description="Dismiss", permissions=["change"])
    def dismiss(self, request, queryset):
        reason = request.POST.get("reason", "")
        for report in queryset.select_related("offender").order_by("pk"):
            try:
                entry = services.report_act(
                    report=report, moderator=request.user, action=ActionKind.DISMISS, reason=reason
                )
            except ApiError as error:
                self.message_user(request, f"Report #{report.pk}: {error.detail}", messages.ERROR)
            else:
                self.message_user(request, services.action_summary(entry), messages.SUCCESS)

    # The report's page: its evidence, then the action buttons; nothing to save -----------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, unquote(object_id))
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, report):
            raise PermissionDenied
        form = None
        if request.method == "POST":
            if not self.has_change_permission(request, report):
                raise PermissionDenied
            form = ReportActionForm(request.POST, report=report)
            if form.is_valid():
                data = form.cleaned_data
                if form.needs_confirmation and not data["confirmed"]:
                    return self._confirmation(request, report, data)
                try:
                    entry = services.report_act(
                        report=report,
                        moderator=request.user,
                        action=data["action"],
                        reason=data["reason"],
                        days=data["days"],
                    )
                except ApiError as error:
                    form.add_error(None, str(error.detail))
                else:
                    self.message_user(request, services.action_summary(entry), messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
        return self._report_page(request, report, form)

    def _report_page(self, request, report: Report, form: ReportActionForm | None):
        evidence, unplaced = _evidence_messages(report)
        snapshot = report.snapshot
        offender = report.offender
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(report),
            "report": report,
            "evidence": evidence,
            "unplaced_files": unplaced,
            "profile": snapshot.get("user"),
            "group": {"title": snapshot.get("title"), "members": snapshot["members"]}
            if "members" in snapshot
            else None,
            "offender": offender,
            "offender_suspended": offender.is_messaging_suspended(),
            "offender_suspended_until": suspension_end_text(offender.messaging_suspended_until)
            if offender.is_messaging_suspended()
            else None,
            "history": [
                {"entry": entry, "done": services.action_done(entry)}
                for entry in report.actions.select_related("moderator", "target_user").order_by(
                    "created_at", "pk"
                )
            ],
            "can_act": self.has_change_permission(request, report),
            "form": form,
            "failed_action": form.data.get("action") if form is not None else None,
            "periods": services.SUSPENSION_PERIODS,
            "default_days": 7,
            "actions": ActionKind,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/moderation/report/report.html", context)

    def _confirmation(self, request, report: Report, data: dict):
        action, name = data["action"], report.offender.username
        question, button = CONFIRMATIONS[action]
        days = data["days"]
        period = dict(services.SUSPENSION_PERIODS).get(days, "")
        until = (
            suspension_end_text(timezone.now() + timedelta(days=days)) if days is not None else ""
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Are you sure?",
            "report": report,
            "question": question.format(
                name=name, message=report.target_id, period=period, until=until
            ),
            "button": button.format(name=name),
            "action": action,
            "reason": data["reason"],
            "days": days,
            "shows_reason": action == ActionKind.SUSPEND,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/moderation/report/confirm.html", context)


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log: who did what to whom, when and why, each whole; changeable by nobody."""

    list_display = ["when", "moderator", "what", "target_user", "reason_text", "report_link"]
    list_display_links = ["when"]
    list_filter = ["action"]
    search_fields = ["moderator__username", "target_user__username", "reason"]
    list_select_related = ["moderator", "target_user", "report"]
    fields = ["when", "moderator", "what", "target_user", "reason_text", "report_link"]
    readonly_fields = fields

    class Media:
        js = ["js/local-times.js"]
        css = {"all": ["css/moderation-admin.css"]}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="when", ordering="created_at")
    def when(self, entry: ModerationAction):
        return local_time(entry.created_at)

    @admin.display(description="what", ordering="action")
    def what(self, entry: ModerationAction):
        return services.action_done(entry)

    @admin.display(description="reason", ordering="reason")
    def reason_text(self, entry: ModerationAction):
        return format_html('<span class="moderation-reason">{}</span>', entry.reason)

    @admin.display(description="report", ordering="report")
    def report_link(self, entry: ModerationAction):
        if entry.report_id is None:
            return "none"
        url = reverse("admin:moderation_report_change", args=[entry.report_id])
        return format_html('<a href="{}">#{}</a>', url, entry.report_id)
