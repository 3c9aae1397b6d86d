"""My data (SPEC section 12): `GET me/export`, a zip streamed in constant memory.

The archive is built by zipstream-ng while it is sent: every file is a generator
of JSON bytes that reads the database in chunks (`QuerySet.iterator`), so memory
stays flat however long the history. It holds:

- `profile.json`: the profile, privacy settings, whom I follow, who follows me,
  whom I blocked;
- `conversations/<id>.json`: one per conversation I am or was in, with the
  messages my history window holds, in the one message shape (`messaging.shapes`);
  each attachment of a message I sent also names its copy in the archive (`file`);
- `media/`: the originals of the photos, videos and voice notes I sent (not those
  I unsent: their files are gone), and my profile photo (`media/avatar.webp`,
  named by `profile.json`'s `avatar`). Each is read from STORAGES in chunks and
  stored uncompressed (it already is compressed); on S3 the object's body is
  streamed, since django-storages' file would download it whole first.

One export at a time per user (a second while one streams is 429 `rate_limited`),
and `RATE_EXPORTS` per user; both are checked before anything is sent.
"""

import json
import logging
import uuid
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import Follow, User
from attachments.models import Attachment
from attachments.selectors import attachments_load
from dmsite.errors import RateLimited
from dmsite.ratelimit import SlidingWindow
from messaging.models import MemberState, Message, Participant
from messaging.selectors import messages_shaped
from messaging.shapes import iso_datetime, message_shape
from privacy.models import Block, filters_requests
from privacy.selectors import privacy_settings_for

logger = logging.getLogger(__name__)

CHUNK_ROWS = 2_000  # rows fetched per query round trip while streaming
FILE_CHUNK = 256 * 1024  # bytes read from storage at a time
AVATAR_FILE = "media/avatar.webp"
# A running export holds this lock; refreshed at each file, so only a dead one expires.
LOCK_SECONDS = 600
RUNNING_RETRY_AFTER = 30  # seconds a second export is told to wait


class ExportRunning(RateLimited):
    default_detail = "Your data export is already being prepared. Try again once it is done."


def exports_window() -> SlidingWindow:
    return SlidingWindow("data_export", settings.RATE_EXPORTS)


def _lock_key(user: User) -> str:
    return f"data-export-running:{user.pk}"


def _json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _json_object(head: dict, lists: dict[str, Iterable]) -> Iterator[bytes]:
    """`{**head, name: [items…], …}` as bytes, each list streamed item by item."""
    yield _json_bytes(head)[:-1]  # without the closing brace
    for number, (name, items) in enumerate(lists.items()):
        separator = ", " if head or number else ""
        yield f"{separator}{json.dumps(name)}: [".encode()
        first = True
        for item in items:
            yield (b"" if first else b", ") + _json_bytes(item)
            first = False
        yield b"]"
    yield b"}\n"


def _users(queryset, field: str) -> Iterator[dict]:
    for row in queryset.values(f"{field}__username", "created_at").iterator(CHUNK_ROWS):
        yield {"username": row[f"{field}__username"], "since": iso_datetime(row["created_at"])}


def _profile(user: User) -> Iterator[bytes]:
    privacy = privacy_settings_for(user)
    head = {
        "exported_at": iso_datetime(timezone.now()),
        "profile": {
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "date_of_birth": user.date_of_birth.isoformat(),
            "phone_number": user.phone_number,
            "phone_verified": user.phone_verified,
            "date_joined": iso_datetime(user.date_joined),
            "avatar": AVATAR_FILE if user.avatar else None,
        },
        "privacy": {
            "dm_preference": privacy.dm_preference,
            "read_receipts": privacy.read_receipts,
            "filter_requests": filters_requests(user, privacy.filter_requests),
            "hidden_words": privacy.hidden_words,
        },
    }
    yield from _json_object(
        head,
        {
            "following": _users(Follow.objects.filter(follower=user).order_by("id"), "followee"),
            "followers": _users(Follow.objects.filter(followee=user).order_by("id"), "follower"),
            "blocks": _users(Block.objects.filter(blocker=user).order_by("id"), "blocked"),
        },
    )


def _visible_messages(side: Participant):
    messages = Message.objects.filter(
        conversation_id=side.conversation_id, id__gte=side.history_from_id
    )
    if side.history_until_id is not None:
        messages = messages.filter(id__lte=side.history_until_id)
    # The shape's replies and reactions: one join, and one reactions query per chunk.
    return messages_shaped(messages).order_by("id")


def _conversation(user: User, side: Participant) -> Iterator[bytes]:
    conversation = side.conversation
    head = {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "with": side.other.username if side.other else None,
        "created_at": iso_datetime(conversation.created_at),
        "folder": side.folder,
        "state": side.state,
    }
    messages = _shaped(user, _visible_messages(side).iterator(CHUNK_ROWS))
    yield from _json_object(head, {"messages": messages})


def _shaped(user: User, messages: Iterator[Message]) -> Iterator[dict]:
    """The message shapes, their attachments read one query per chunk of messages."""
    batch: list[Message] = []
    for message in messages:
        batch.append(message)
        if len(batch) == CHUNK_ROWS:
            yield from _shape_batch(user, batch)
            batch = []
    yield from _shape_batch(user, batch)


def _shape_batch(user: User, batch: list[Message]) -> Iterator[dict]:
    attachments_load(batch)
    for message in batch:
        data = message_shape(message, viewer_id=user.pk)
        if message.sender_id == user.pk:  # my own files are in media/
            for shown, attachment in zip(data["attachments"], message.attachment_list, strict=True):
                shown["file"] = media_name(attachment)
        yield data


def media_name(attachment: Attachment) -> str:
    """Where an attachment I sent sits in the archive: `media/<id>.<its extension>`."""
    name = attachment.original.name
    extension = name[name.rfind(".") :] if "." in name.rsplit("/", 1)[-1] else ""
    return f"media/{attachment.pk}{extension}"


def _sent_files(user: User) -> Iterator[Attachment]:
    """The attachments of the messages I sent and did not unsend, in id order."""
    sent = Attachment.objects.filter(
        uploader=user, message__sender=user, message__unsent_at__isnull=True
    ).order_by("pk")
    yield from sent.iterator(CHUNK_ROWS)


def _stored_chunks(name: str) -> Iterator[bytes] | None:
    """A stored file's bytes, FILE_CHUNK at a time; None when it cannot be opened.

    Opened before it is added to the archive, so a file missing from storage is left
    out (and logged) instead of breaking the zip halfway through.
    """
    try:
        handle = default_storage.open(name, "rb")
        # django-storages' S3 file downloads the whole object on the first read (into
        # memory, by default): stream the object's body instead.
        s3_object = getattr(handle, "obj", None)
        body = s3_object.get()["Body"] if s3_object is not None else None
    except Exception:
        logger.warning("data export: stored file %s could not be opened", name, exc_info=True)
        return None

    def chunks() -> Iterator[bytes]:
        try:
            if body is not None:
                yield from body.iter_chunks(FILE_CHUNK)
            else:
                while chunk := handle.read(FILE_CHUNK):
                    yield chunk
        finally:
            if body is not None:
                body.close()
            handle.close()

    return chunks()


def _sides(user: User) -> Iterator[Participant]:
    """Every conversation I am or was in (an invitation I never accepted holds nothing)."""
    sides = (
        Participant.objects.filter(user=user)
        .exclude(state=MemberState.INVITED)
        .select_related("conversation", "other")
        .order_by("conversation_id")
    )
    yield from sides.iterator(CHUNK_ROWS)


def _media_files(user: User) -> Iterator[tuple[str, str]]:
    for attachment in _sent_files(user):
        yield attachment.original.name, media_name(attachment)


def export_start(*, user: User) -> Iterator[bytes]:
    """Check the limits and hold the lock, then return the archive's bytes as a generator.

    Raises ExportRunning while another export of this user streams, RateLimited past
    RATE_EXPORTS. The lock is let go when the generator ends or is closed (a client
    that goes away), or after LOCK_SECONDS if its process died.
    """
    from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

    lock, token = _lock_key(user), uuid.uuid4().hex
    if not cache.add(lock, token, timeout=LOCK_SECONDS):
        raise ExportRunning(RUNNING_RETRY_AFTER)
    try:
        exports_window().acquire(str(user.pk))
    except BaseException:
        cache.delete(lock)
        raise

    def archive() -> Iterator[bytes]:
        try:
            stream = ZipStream(compress_type=ZIP_DEFLATED, compress_level=6)
            # One file queued at a time and written out before the next is read.
            stream.add(_profile(user), "profile.json")
            yield from stream.all_files()
            for side in _sides(user):
                cache.touch(lock, LOCK_SECONDS)
                stream.add(_conversation(user, side), f"conversations/{side.conversation_id}.json")
                yield from stream.all_files()
            files = ((user.avatar.name, AVATAR_FILE),) if user.avatar else ()
            for name, arcname in (*files, *_media_files(user)):
                cache.touch(lock, LOCK_SECONDS)
                chunks = _stored_chunks(name)
                if chunks is not None:
                    stream.add(chunks, arcname, compress_type=ZIP_STORED)
                    yield from stream.all_files()
            yield from stream.finalize()
        finally:
            if cache.get(lock) == token:
                cache.delete(lock)

    return archive()


def export_filename(user: User) -> str:
    return f"dmsite-{user.username}-{timezone.now():%Y-%m-%d}.zip"


BATCH_BYTES = 256 * 1024  # what one hop from the event loop to the database thread carries


def _take(chunks: Iterator[bytes]) -> bytes:
    batch = bytearray()
    for chunk in chunks:
        batch += chunk
        if len(batch) >= BATCH_BYTES:
            break
    return bytes(batch)


async def export_async(chunks: Iterator[bytes]):
    """The archive for an ASGI server (Daphne), still streamed.

    Django consumes a synchronous iterator whole before serving it asynchronously,
    so under ASGI the generator is pulled here in batches, each in the database's
    thread, and closed (the lock let go) however the response ends.
    """
    from asgiref.sync import sync_to_async

    take = sync_to_async(_take, thread_sensitive=True)
    try:
        while batch := await take(chunks):
            yield batch
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()
