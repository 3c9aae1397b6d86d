import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    IMAGE = "image", "Photo"
    VIDEO = "video", "Video"
    VOICE = "voice", "Voice message"


def _upload_name(instance, filename: str) -> str:
    # A random name: nothing of the uploader's file name is kept.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class Attachment(models.Model):
    """An uploaded photo, video or voice note: its uploader's until a send attaches it."""

    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    content_type = models.CharField(max_length=32)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    original = models.FileField(upload_to=_upload_name, max_length=200)
    thumbnail = models.FileField(upload_to=_upload_name, max_length=200, blank=True)
    thumbnail_content_type = models.CharField(max_length=32, blank=True)
    # Null until sent. Referenced by name: `messaging` imports this app, not the reverse.
    message = models.ForeignKey(
        "messaging.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # the purge of uploads never sent, oldest first
            models.Index(
                fields=["created_at"],
                condition=models.Q(message__isnull=True),
                name="attachment_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"

    def file_names(self) -> list[str]:
        return [name for name in (self.original.name, self.thumbnail.name) if name]
