"""Evidence files: copies of the photos, videos and voice notes a report's snapshot shows.

The copies are written when the report is filed and never deleted with the message, so
an unsend or a moderator's removal (which delete the originals) leaves the evidence.
"""

from django.core.files.storage import default_storage

from attachments.models import Attachment
from attachments.services import files_delete
from moderation.models import Report, ReportFile


def _attachment_ids(snapshot: dict) -> list[int]:
    shown = [snapshot["message"]] if "message" in snapshot else snapshot.get("messages", [])
    return [attachment["id"] for message in shown for attachment in message.get("attachments", [])]


def evidence_copy(*, report: Report) -> list[str]:
    """Copy every attachment of the report's snapshot; the stored names (to undo a failure)."""
    ids = _attachment_ids(report.snapshot)
    stored: list[str] = []
    if not ids:
        return stored
    try:
        for attachment in Attachment.objects.filter(pk__in=ids, message__isnull=False):
            with default_storage.open(attachment.original.name, "rb") as original:
                evidence = ReportFile(
                    report=report,
                    attachment_id=attachment.pk,
                    message_id=attachment.message_id,
                    kind=attachment.kind,
                    content_type=attachment.content_type,
                )
                evidence.file.save(attachment.original.name.rsplit("/", 1)[-1], original)
            stored.append(evidence.file.name)
    except BaseException:
        files_delete(stored)
        raise
    return stored
