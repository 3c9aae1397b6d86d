"""Every write of attachments: uploads, profile photos, attaching to a send, deleting files.

Files are written to storage before their row commits and deleted only after the
deleting transaction commits, so a rollback never leaves a row without its file; a
failure between the two leaves at worst an orphan file, never a broken row.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User, avatar_name
from attachments.errors import file_too_large
from attachments.models import Attachment, Kind
from attachments.processing import process_avatar, process_upload
from dmsite.errors import InvalidInput
from dmsite.ratelimit import SlidingWindow

MAX_IDS = 50  # far above MEDIA_MAX_PER_MESSAGE: a longer list is refused before any query


def uploads_window() -> SlidingWindow:
    return SlidingWindow("uploads", settings.RATE_UPLOADS)


def files_delete(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def files_delete_on_commit(names: Iterable[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: files_delete(names))


def attachment_create(*, uploader: User, file) -> Attachment:
    """Check an upload (SPEC section 10) and store it as the uploader's, not yet sent.

    Counts towards RATE_UPLOADS only when it is stored.
    """
    if file.size > settings.MEDIA_MAX_BYTES:
        raise file_too_large()
    key = str(uploader.pk)
    token = uploads_window().acquire(key)
    stored: list[str] = []
    processed = None
    try:
        processed = process_upload(file)
        attachment = Attachment(
            uploader=uploader,
            kind=processed.kind,
            content_type=processed.content_type,
            width=processed.width,
            height=processed.height,
            duration_ms=processed.duration_ms,
        )
        if isinstance(processed.original, bytes):
            original = ContentFile(processed.original)
        else:
            original = File(processed.original)
        attachment.size = original.size
        attachment.original.save(f"original{processed.extension}", original, save=False)
        stored.append(attachment.original.name)
        if processed.thumbnail is not None:
            attachment.thumbnail.save(
                "thumbnail.webp", ContentFile(processed.thumbnail), save=False
            )
            attachment.thumbnail_content_type = "image/webp"
            stored.append(attachment.thumbnail.name)
        attachment.save()
    except BaseException:
        uploads_window().release(key, token)
        files_delete(stored)
        raise
    finally:
        if processed is not None and not isinstance(processed.original, bytes | None):
            processed.original.close()  # the remux's temporary file
    return attachment


def avatar_set(*, user: User, file) -> User:
    """Replace the user's profile photo with a square, metadata-free copy of `file`."""
    if file.size > settings.MEDIA_MAX_BYTES:
        raise file_too_large()
    key = str(user.pk)
    token = uploads_window().acquire(key)
    previous, name = user.avatar.name, ""
    try:
        content = process_avatar(file)
        name = default_storage.save(avatar_name(), ContentFile(content))
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(avatar=name)
            files_delete_on_commit([previous])
    except BaseException:
        uploads_window().release(key, token)
        files_delete([name])
        raise
    user.avatar.name = name
    return user


def avatar_delete(*, user: User) -> None:
    previous = user.avatar.name
    if not previous:
        return
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(avatar="")
        files_delete_on_commit([previous])
    user.avatar = ""


def attachment_ids_clean(ids) -> list[int]:
    """The `attachments` of a send: a list of distinct ids, or 400 `invalid`."""
    if ids is None:
        return []
    message = "attachments must be a list of distinct attachment ids."
    if (
        not isinstance(ids, list)
        or len(ids) > MAX_IDS
        or any(isinstance(i, bool) or not isinstance(i, int) or not 0 < i < 2**63 for i in ids)
        or len(set(ids)) != len(ids)
    ):
        raise InvalidInput(message, fields={"attachments": [message]})
    return ids


def attachments_for_send(*, sender: User, ids: list[int]) -> list[Attachment]:
    """Lock the sender's own unsent uploads named by `ids`, in the given order.

    Call inside the send's transaction. Any id that is not such an upload, or a mix SPEC
    section 10 does not allow, is 400 `invalid`.
    """
    if not ids:
        return []
    found = {
        attachment.pk: attachment
        for attachment in Attachment.objects.select_for_update().filter(
            pk__in=ids, uploader=sender, message__isnull=True
        )
    }
    if len(found) != len(ids):
        raise InvalidInput(
            "Attach only your own uploads that were not sent yet.",
            fields={"attachments": ["Not an upload of yours waiting to be sent."]},
        )
    attachments = [found[pk] for pk in ids]
    kinds = {attachment.kind for attachment in attachments}
    if Kind.VOICE in kinds and len(attachments) > 1:
        raise InvalidInput(
            "A voice message is sent on its own.",
            fields={"attachments": ["A voice message is sent on its own."]},
        )
    if len(attachments) > settings.MEDIA_MAX_PER_MESSAGE:
        detail = f"A message can carry at most {settings.MEDIA_MAX_PER_MESSAGE} photos and videos."
        raise InvalidInput(detail, fields={"attachments": [detail]})
    return attachments


def attachments_attach(*, message, attachments: list[Attachment]) -> None:
    """Attach the locked uploads to a message being written (same transaction)."""
    for position, attachment in enumerate(attachments):
        updated = Attachment.objects.filter(pk=attachment.pk, message__isnull=True).update(
            message=message, position=position
        )
        if updated != 1:  # another send took it first (only possible without row locks)
            raise InvalidInput(
                "This upload was already sent.",
                fields={"attachments": ["Already sent."]},
            )
        attachment.message, attachment.position = message, position
    message.attachment_list = attachments


def attachments_delete_for_message(*, message) -> None:
    """Unsend or a moderator's removal: the message's files go, after commit."""
    attachments = list(Attachment.objects.filter(message=message))
    if not attachments:
        return
    Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
    files_delete_on_commit(name for attachment in attachments for name in attachment.file_names())
    message.attachment_list = []


def attachments_purge_unsent(*, batch: int = 200, now=None) -> int:
    """Delete uploads never sent after MEDIA_UNSENT_HOURS; the number deleted.

    Safe to run in parallel: each batch locks its rows and skips rows another run (or a
    send attaching them) holds.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.MEDIA_UNSENT_HOURS)
    deleted = 0
    while True:
        with transaction.atomic():
            stale = list(
                Attachment.objects.select_for_update(skip_locked=True)
                .filter(message__isnull=True, created_at__lt=cutoff)
                .order_by("created_at")[:batch]
            )
            if not stale:
                return deleted
            Attachment.objects.filter(
                pk__in=[attachment.pk for attachment in stale], message__isnull=True
            ).delete()
            files_delete_on_commit(name for attachment in stale for name in attachment.file_names())
        deleted += len(stale)
