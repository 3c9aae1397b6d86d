"""Reads of attachments: the one permission check of SPEC section 10, and the shape."""

from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from attachments.models import Attachment
from dmsite.errors import NotFound
from dmsite.fields import MAX_DB_ID
from messaging.selectors import messages_visible_to


def attachment_data(attachment: Attachment) -> dict:
    """An attachment as SPEC section 10 shows it, in every message shape and on upload."""
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "duration_ms": attachment.duration_ms,
        "url": reverse(
            "media-file", kwargs={"attachment_id": attachment.pk, "variant": "original"}
        ),
        "thumbnail_url": reverse(
            "media-file", kwargs={"attachment_id": attachment.pk, "variant": "thumbnail"}
        )
        if attachment.thumbnail
        else None,
    }


def attachments_load(messages: Iterable) -> None:
    """Give each message its `attachment_list`: one query for a page, none when all are text."""
    messages = [message for message in messages if message is not None]
    wanted = [m.pk for m in messages if m.attachment_count and m.unsent_at is None]
    by_message: dict[int, list[Attachment]] = {}
    if wanted:
        for attachment in Attachment.objects.filter(message_id__in=wanted).order_by("position"):
            by_message.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.attachment_list = by_message.get(message.pk, [])


def message_attachments(message) -> list[dict]:
    """The `attachments` of a message's shape (loaded by `attachments_load` in lists)."""
    if message.unsent_at is not None or not message.attachment_count:
        return []
    loaded = getattr(message, "attachment_list", None)
    if loaded is None:
        attachments_load([message])
        loaded = message.attachment_list
    return [attachment_data(attachment) for attachment in loaded]


def attachment_get_for_viewer(*, viewer: User, attachment_id: int) -> Attachment:
    """An attachment the viewer may fetch: their own upload, or one of a message they can
    see (messaging's `messages_visible_to`: their side's history window) and not unsent.
    Everyone else: `not_found`, whatever the reason.
    """
    seen = messages_visible_to(user_id=viewer.pk).filter(unsent_at__isnull=True)
    attachment = (
        Attachment.objects.filter(
            Q(uploader=viewer) | Q(message__in=seen), pk=attachment_id
        ).first()
        if attachment_id <= MAX_DB_ID
        else None
    )
    if attachment is None:
        raise NotFound("No such file.")
    return attachment
