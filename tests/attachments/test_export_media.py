"""My data's `media/` folder (SPEC section 12): the files I sent and my profile photo, read
from STORAGES in chunks, on the local disk and on S3 (moto's server), in flat memory."""

import io
import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
import zipfile

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from dmsite.env import Rate
from messaging import export
from messaging.models import Message
from tests.attachments import samples
from tests.attachments.test_s3 import BUCKET, s3, s3_endpoint  # noqa: F401 (fixtures)
from tests.factories import UserFactory
from tests.messaging.state import befriend
from tests.processes import free_port

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/me/export"


def _archive(client) -> zipfile.ZipFile:
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _send(client, to, ids, body=""):
    response = client.post(
        "/api/v1/messages", {"to": to.username, "body": body, "attachments": ids}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _history(archive: zipfile.ZipFile, conversation_id: int) -> list[dict]:
    return json.loads(archive.read(f"conversations/{conversation_id}.json"))["messages"]


def _my_media(client_for, pair, uploaded, django_capture_on_commit_callbacks):
    """I send a photo and a video, then a voice note, unsend a photo, set a profile photo;
    my friend sends me a photo. What my export's media/ should hold, by attachment id."""
    me, friend = pair
    api = client_for(me)
    photo, video = uploaded(), uploaded(samples.video_clip(1))
    first = _send(api, friend, [photo, video], "look")
    voice = uploaded(samples.voice_note(1))
    second = _send(api, friend, [voice])
    unsent_photo = uploaded(samples.image_bytes("JPEG", (64, 48)))
    gone = _send(api, friend, [unsent_photo])
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/messages/{gone['id']}").status_code == 204
    theirs = _send(client_for(friend), me, [uploaded(user=friend)])
    avatar = api.put(
        "/api/v1/me/avatar",
        {"file": SimpleUploadedFile("a.png", samples.image_bytes("PNG", (300, 300)))},
        format="multipart",
    )
    assert avatar.status_code == 200
    return {"mine": [first, second], "gone": gone, "theirs": theirs}


def _assert_media(archive: zipfile.ZipFile, me, sent: dict) -> None:
    attachments = {a.pk: a for a in Attachment.objects.filter(message__sender=me)}
    media = sorted(name for name in archive.namelist() if name.startswith("media/"))
    expected = {
        f"media/{pk}{a.original.name[a.original.name.rfind('.') :]}": a
        for pk, a in attachments.items()
    }
    assert media == sorted([*expected, "media/avatar.webp"])
    assert len(expected) == 3  # the photo, the video, the voice note; not the unsent photo
    for name, attachment in expected.items():
        assert archive.read(name) == _stored(attachment.original.name)
        assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED
    me.refresh_from_db()
    assert archive.read("media/avatar.webp") == _stored(me.avatar.name)
    assert json.loads(archive.read("profile.json"))["profile"]["avatar"] == "media/avatar.webp"

    # The messages' JSON names the files: my own attachments have `file`, theirs do not.
    history = {m["id"]: m for m in _history(archive, sent["mine"][0]["conversation"])}
    for message in sent["mine"]:
        shown = history[message["id"]]["attachments"]
        assert [a["id"] for a in shown] == [a["id"] for a in message["attachments"]]
        for attachment in shown:
            assert attachment["file"] in media
            assert attachment["url"] == f"/media/{attachment['id']}/original"
    assert history[sent["gone"]["id"]]["attachments"] == []
    (their_photo,) = history[sent["theirs"]["id"]]["attachments"]
    assert "file" not in their_photo
    assert not any(name.startswith(f"media/{their_photo['id']}") for name in media)


def test_the_export_holds_my_sent_files_and_avatar_on_local_storage(
    client_for, pair, uploaded, media_root, django_capture_on_commit_callbacks
):
    me, _ = pair
    sent = _my_media(client_for, pair, uploaded, django_capture_on_commit_callbacks)
    assert any(media_root.rglob("*"))  # really on the local disk

    _assert_media(_archive(client_for(me)), me, sent)


def test_the_export_holds_my_sent_files_and_avatar_on_s3(
    s3,  # noqa: F811 (the fixture)
    client_for,
    pair,
    uploaded,
    media_root,
    django_capture_on_commit_callbacks,
):
    me, _ = pair
    sent = _my_media(client_for, pair, uploaded, django_capture_on_commit_callbacks)
    assert list(media_root.iterdir()) == []  # nothing on the local disk: all in the bucket
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {a.original.name for a in Attachment.objects.filter(message__sender=me)} <= keys

    _assert_media(_archive(client_for(me)), me, sent)


def test_a_file_missing_from_storage_is_left_out_not_a_broken_archive(
    client_for, pair, uploaded, caplog
):
    me, friend = pair
    kept, lost = uploaded(), uploaded(samples.image_bytes("JPEG", (64, 48)))
    _send(client_for(me), friend, [kept])
    _send(client_for(me), friend, [lost])
    default_storage.delete(Attachment.objects.get(pk=lost).original.name)

    archive = _archive(client_for(me))

    assert archive.testzip() is None
    media = [name for name in archive.namelist() if name.startswith("media/")]
    assert [name.split(".")[0] for name in media] == [f"media/{kept}"]
    assert "could not be opened" in caplog.text


def test_a_user_without_files_gets_no_media_folder(client_for, pair):
    me, _ = pair
    archive = _archive(client_for(me))
    assert not [name for name in archive.namelist() if name.startswith("media/")]
    assert json.loads(archive.read("profile.json"))["profile"]["avatar"] is None


# Flat memory ----------------------------------------------------------------------------

FILE_BYTES = 8 * 2**20  # each seeded file: larger than anything the export may hold at once


def _seed_files(user, friend, count: int) -> int:
    """`count` sent messages, each with one FILE_BYTES video, stored in the default storage
    (the bytes are random: the export copies them, it does not decode them)."""
    from messaging.services import message_send

    total = 0
    for _ in range(count):
        message, _ = message_send(sender=user, recipient=friend, body="a clip")
        name = default_storage.save("attachments/seeded.mp4", ContentFile(os.urandom(FILE_BYTES)))
        Attachment.objects.create(
            uploader=user,
            kind="video",
            content_type="video/mp4",
            size=FILE_BYTES,
            original=name,
            message=message,
        )
        Message.objects.filter(pk=message.pk).update(attachment_count=1)
        total += FILE_BYTES
    return total


def _peak(user) -> tuple[int, int]:
    """(peak traced bytes while streaming the whole archive, its size)."""
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in export.export_start(user=user))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


def _flat_memory(settings) -> tuple[int, int, int]:
    settings.RATE_EXPORTS = Rate(10, 86400)
    small, large, friend = UserFactory.create_batch(3)
    befriend(small, friend)
    befriend(large, friend)
    _seed_files(small, friend, 1)
    large_bytes = _seed_files(large, friend, 4)
    _peak(small)  # warm-up: first imports, a client's first connection
    small_peak, _ = _peak(small)
    large_peak, large_size = _peak(large)
    assert large_size > large_bytes  # the files really were in the archive
    return small_peak, large_peak, large_size


def test_media_exports_in_flat_memory_from_local_storage(settings):
    small_peak, large_peak, size = _flat_memory(settings)
    print(
        f"local export peak: 1 file {small_peak / 2**20:.2f} MiB, "
        f"4 files {large_peak / 2**20:.2f} MiB; zip {size / 2**20:.1f} MiB"
    )
    assert large_peak < 1.5 * small_peak
    assert large_peak < FILE_BYTES / 4  # never one whole file in memory


@pytest.fixture
def s3_in_another_process(settings, monkeypatch):
    """An S3 server in its own process, so that what tracemalloc sees is dmsite's alone."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "default_acl": None,
                    "file_overwrite": False,
                },
            },
        }
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_media_exports_in_flat_memory_from_s3(settings, s3_in_another_process):
    small_peak, large_peak, size = _flat_memory(settings)
    print(
        f"S3 export peak: 1 file {small_peak / 2**20:.2f} MiB, "
        f"4 files {large_peak / 2**20:.2f} MiB; zip {size / 2**20:.1f} MiB"
    )
    assert large_peak < 1.5 * small_peak
    assert large_peak < FILE_BYTES / 4  # django-storages' own read would hold a whole file
