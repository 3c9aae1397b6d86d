"""The moderators' panel: the open-reports queue, its evidence and actions, the audit log."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from dmsite.errors import ApiError
from moderation import services
from moderation.admin_site import ModerationAdminSite
from moderation.models import ModerationAction, Report, ReportStatus

# A password and a TOTP code, throttled (moderation/admin_site.py).
admin.site.__class__ = ModerationAdminSite
admin.site.site_header = "dmsite moderation"
admin.site.site_title = "dmsite moderation"
admin.site.index_title = "Reports queue and audit log"


class ModerationActionForm(helpers.ActionForm):
    """Shown beside the action menu: every action needs a reason; a suspension a period."""

    # No max_length: an invalid action form makes Django say "No action selected".
    reason = forms.CharField(label="Reason", required=False)
    suspend_days = forms.TypedChoiceField(
        label="Suspend for",
        coerce=int,
        initial=7,
        required=False,
        choices=[(1, "1 day"), (3, "3 days"), (7, "7 days"), (30, "30 days"), (365, "1 year")],
    )


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


def _message_rows(messages_: list[dict]):
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                message["created_at"],
                message["sender"],
                message["body"] or "(unsent)",
                message["seq"],
            )
            for message in messages_
        ),
    )


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "reason", "target_type", "reporter", "offender", "status"]
    list_filter = [StatusFilter, "reason", AgeFilter, "target_type"]
    search_fields = ["reporter__username", "offender__username", "details"]
    list_select_related = ["reporter", "offender"]
    ordering = ["-created_at"]
    action_form = ModerationActionForm
    actions = ["dismiss", "remove_message", "suspend_offender", "deactivate_offender"]
    readonly_fields = [
        "reporter",
        "offender",
        "target_type",
        "target_id",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_at",
        "resolved_by",
        "evidence",
    ]
    exclude = ["snapshot"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Evidence (as it was when reported)")
    def evidence(self, report: Report):
        snapshot = report.snapshot
        shown = [snapshot["message"]] if "message" in snapshot else snapshot.get("messages", [])
        header = ""
        if "user" in snapshot:
            user = snapshot["user"]
            header = format_html(
                "<p><strong>{}</strong> ({}): {}</p>",
                user["username"],
                user["display_name"],
                user["bio"] or "no bio",
            )
        if "members" in snapshot:
            header = format_html(
                "<p><strong>Group {}</strong> ({} members): {}</p>",
                snapshot["title"] or "without a title",
                len(snapshot["members"]),
                ", ".join(
                    f"{member['username']} ({member['role']}, {member['state']})"
                    for member in snapshot["members"]
                ),
            )
        if not shown:
            return header or "No messages."
        return format_html(
            "{}<table><thead><tr><th>time</th><th>sender</th><th>text</th><th>seq</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            header,
            _message_rows(shown),
        )

    def _run(self, request, queryset, action, **options):
        reason = request.POST.get("reason", "")
        done = 0
        for report in queryset.select_related("offender"):
            try:
                action(report=report, moderator=request.user, reason=reason, **options)
                done += 1
            except ApiError as error:
                self.message_user(request, f"Report #{report.pk}: {error.detail}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} report(s) handled.", messages.SUCCESS)

    @admin.action(description="Dismiss", permissions=["change"])
    def dismiss(self, request, queryset):
        self._run(request, queryset, services.report_dismiss)

    @admin.action(description="Remove the reported message", permissions=["change"])
    def remove_message(self, request, queryset):
        # Other reports are not skipped silently: the service says why nothing was done.
        self._run(request, queryset, services.report_remove_message)

    @admin.action(description="Suspend the offender's messaging", permissions=["change"])
    def suspend_offender(self, request, queryset):
        days = int(request.POST.get("suspend_days") or 7)

        def suspend(*, report, moderator, reason):
            services.user_suspend_messaging(
                moderator=moderator, user=report.offender, days=days, reason=reason, report=report
            )

        self._run(request, queryset, suspend)

    @admin.action(description="Deactivate the offender's account", permissions=["change"])
    def deactivate_offender(self, request, queryset):
        def deactivate(*, report, moderator, reason):
            services.user_deactivate_by_moderator(
                moderator=moderator, user=report.offender, reason=reason, report=report
            )

        self._run(request, queryset, deactivate)


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log: readable by moderators, changeable by nobody."""

    list_display = ["created_at", "moderator", "action", "target_user", "report", "reason"]
    list_filter = ["action"]
    search_fields = ["moderator__username", "target_user__username", "reason"]
    list_select_related = ["moderator", "target_user", "report"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
