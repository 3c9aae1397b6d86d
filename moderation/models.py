import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class TargetType(models.TextChoices):
    MESSAGE = "message", "Message"
    CONVERSATION = "conversation", "Conversation"
    USER = "user", "User"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    HARASSMENT = "harassment", "Harassment or bullying"
    HATE = "hate", "Hate speech"
    MINOR_SAFETY = "minor_safety", "Sexual content involving minors"
    VIOLENCE = "violence", "Violence"
    SCAM = "scam", "Scam or fraud"
    OTHER = "other", "Other"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    ACTIONED = "actioned", "Actioned"


class Report(models.Model):
    """A user's report, with a snapshot of what they saw at that moment."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    target_type = models.CharField(max_length=12, choices=TargetType.choices)
    target_id = models.BigIntegerField()
    # The person the report is about: the sender, the other participant, or the user.
    offender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    details = models.TextField(blank=True)
    # The evidence as it was when reported; unsending or deactivating cannot erase it.
    snapshot = models.JSONField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_resolved",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"], name="report_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"Report #{self.pk}: {self.get_reason_display()} ({self.target_type})"


class ActionKind(models.TextChoices):
    DISMISS = "dismiss", "Dismissed the report"
    REMOVE_MESSAGE = "remove_message", "Removed the message"
    SUSPEND = "suspend", "Suspended messaging"
    DEACTIVATE = "deactivate", "Deactivated the account"


class ModerationAction(models.Model):
    """The audit log: one row per moderator action, never edited or deleted."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_actions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=ActionKind.choices)
    reason = models.TextField()
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_received"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()} by {self.moderator} at {self.created_at:%Y-%m-%d %H:%M}"
        )


def _evidence_name(instance, filename: str) -> str:
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class ReportFile(models.Model):
    """A copy of a reported photo, video or voice note, for moderators only.

    Made when the report is filed, so an unsend (which deletes the originals) leaves
    the evidence; served only to staff (`moderation.views.evidence_file`).
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    attachment_id = models.BigIntegerField()
    message_id = models.BigIntegerField()
    kind = models.CharField(max_length=5)
    content_type = models.CharField(max_length=32)
    file = models.FileField(upload_to=_evidence_name, max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} of report {self.report_id}"
