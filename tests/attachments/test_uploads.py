"""`POST attachments`: the kind from the bytes, the limits, every refusal with its code."""

import io

import av
import pytest
from PIL import Image

from attachments.models import Attachment
from dmsite.env import Rate
from tests.attachments import samples
from tests.attachments.conftest import stored_files, upload

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "kind",
    "content_type",
    "size",
    "width",
    "height",
    "duration_ms",
    "url",
    "thumbnail_url",
}


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


ACCEPTED = [
    pytest.param(lambda: samples.image_bytes("PNG"), "image", "image/png", id="png"),
    pytest.param(lambda: samples.image_bytes("JPEG"), "image", "image/jpeg", id="jpeg"),
    pytest.param(lambda: samples.image_bytes("WEBP"), "image", "image/webp", id="webp"),
    pytest.param(lambda: samples.image_bytes("GIF"), "image", "image/gif", id="gif"),
    pytest.param(lambda: samples.video_clip(1, "mp4"), "video", "video/mp4", id="mp4-h264-aac"),
    pytest.param(lambda: samples.video_clip(1, "webm"), "video", "video/webm", id="webm-vp8-opus"),
    pytest.param(lambda: samples.voice_note(2, "webm"), "voice", "audio/webm", id="webm-opus"),
    pytest.param(lambda: samples.voice_note(2, "ogg"), "voice", "audio/ogg", id="ogg-opus"),
    pytest.param(lambda: samples.voice_note(2, "mp4"), "voice", "audio/mp4", id="mp4-aac"),
]


@pytest.mark.parametrize(("make", "kind", "content_type"), ACCEPTED)
def test_kind_and_type_come_from_the_bytes(client_for, pair, media_root, make, kind, content_type):
    me, _ = pair
    # A misleading name and declared type change nothing.
    response = upload(client_for(me), make(), name="notes.txt", content_type="text/plain")

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == FIELDS
    attachment = Attachment.objects.get(pk=data["id"])
    assert attachment.uploader == me
    assert attachment.message is None
    assert (data["kind"], data["content_type"]) == (kind, content_type)
    assert data["url"] == f"/media/{attachment.pk}/original"
    assert data["size"] == attachment.original.size
    if kind == "voice":
        assert (data["width"], data["height"], data["thumbnail_url"]) == (None, None, None)
        assert 1900 <= data["duration_ms"] <= 2100
        assert len(stored_files(media_root)) == 1
    else:
        assert data["thumbnail_url"] == f"/media/{attachment.pk}/thumbnail"
        assert len(stored_files(media_root)) == 2
        with Image.open(attachment.thumbnail.open()) as thumbnail:
            assert thumbnail.format == "WEBP"
    if kind == "image":
        assert (data["width"], data["height"], data["duration_ms"]) == (64, 48, None)
    if kind == "video":
        assert (data["width"], data["height"]) == (160, 120)
        assert 900 <= data["duration_ms"] <= 1100


def test_images_lose_their_metadata_and_get_a_small_thumbnail(client_for, pair):
    me, _ = pair
    original = samples.image_bytes("JPEG", size=(2000, 1000), exif=samples.gps_exif())
    with Image.open(io.BytesIO(original)) as image:  # the sample really carries GPS
        assert image.getexif().get_ifd(0x8825)

    data = upload(client_for(me), original).json()

    attachment = Attachment.objects.get(pk=data["id"])
    stored = attachment.original.open().read()
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.size == (2000, 1000)
    with Image.open(attachment.thumbnail.open()) as thumbnail:
        assert thumbnail.size == (480, 240)


PHONE_TAGS = {"location": "+51.5007-000.1246/", "make": "PhoneMaker", "title": "At home"}


@pytest.mark.parametrize(
    ("make", "container_format"),
    [
        pytest.param(lambda: samples.video_clip(metadata=PHONE_TAGS), "mp4", id="mp4-video"),
        pytest.param(
            lambda: samples.video_clip(container_format="webm", metadata=PHONE_TAGS),
            "matroska",
            id="webm-video",
        ),
        pytest.param(lambda: samples.voice_note(2, metadata=PHONE_TAGS), "matroska", id="voice"),
        pytest.param(
            lambda: samples.voice_note(2, "mp4", metadata=PHONE_TAGS), "mov", id="m4a-voice"
        ),
    ],
)
def test_audio_and_video_lose_their_metadata(client_for, pair, make, container_format):
    me, _ = pair
    original = make()
    with av.open(io.BytesIO(original), format=container_format) as container:
        assert "+51.5007-000.1246/" in container.metadata.values()  # it really has a position

    data = upload(client_for(me), original).json()

    stored = Attachment.objects.get(pk=data["id"]).original.open().read()
    for secret in (b"PhoneMaker", b"+51.5007", b"At home"):
        assert secret not in stored
    with av.open(io.BytesIO(stored), format=container_format) as container:
        assert not {"make", "location", "title"} & set(container.metadata)
        assert len(container.streams) == len(av.open(io.BytesIO(original)).streams)
    if container_format == "mov":  # the index first: playback starts before the download ends
        assert stored.index(b"moov") < stored.index(b"mdat")


def test_the_photo_is_turned_upright_as_its_exif_said(client_for, pair):
    me, _ = pair
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    data = upload(client_for(me), samples.image_bytes("JPEG", (60, 40), exif=exif.tobytes()))
    assert (data.json()["width"], data.json()["height"]) == (40, 60)


BAD_FILES = [
    pytest.param(b"just some text\n" * 40, "notes.png", "image/png", id="text-named-png"),
    pytest.param(samples.image_bytes("PNG"), "clip.mp4", "video/mp4", id="png-declared-mp4"),
]


def test_a_png_declared_as_video_is_a_png(client_for, pair):
    me, _ = pair
    data = upload(client_for(me), samples.image_bytes("PNG"), "clip.mp4", "video/mp4").json()
    assert (data["kind"], data["content_type"]) == ("image", "image/png")


REFUSALS = [
    pytest.param(lambda: b"just some text\n" * 40, "unsupported_media", id="text-named-png"),
    pytest.param(
        lambda: samples.noisy_jpeg((400, 300))[:4000], "unsupported_media", id="truncated-jpeg"
    ),
    pytest.param(samples.png_bomb, "unsupported_media", id="30000x30000-png"),
    pytest.param(samples.empty_mp4, "unsupported_media", id="mp4-without-streams"),
    pytest.param(lambda: samples.voice_note(61), "voice_too_long", id="61-second-voice-note"),
    pytest.param(
        lambda: b"\x00\x00\x00\x18ftypisom" + b"\x00" * 500, "unsupported_media", id="mp4-garbage"
    ),
    pytest.param(lambda: b"OggS" + b"\xff" * 300, "unsupported_media", id="ogg-garbage"),
    pytest.param(
        lambda: b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "unsupported_media", id="playlist"
    ),
    pytest.param(lambda: samples.image_bytes("BMP"), "unsupported_media", id="bmp"),
    pytest.param(lambda: b"", "unsupported_media", id="empty-file"),
]


@pytest.mark.parametrize(("make", "code"), REFUSALS)
def test_bad_files_are_refused_and_leave_nothing(client_for, pair, media_root, make, code):
    me, _ = pair
    data = make()
    if code == "unsupported_media" and data.startswith(b"\x89PNG"):
        assert len(data) < 4096  # "a few KB" that claim 900 million pixels

    response = upload(client_for(me), data, name="photo.png", content_type="image/png")

    refused(response, 400, code)
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_video_longer_than_the_limit(settings, client_for, pair, media_root):
    settings.VIDEO_MAX_SECONDS = 1
    me, _ = pair
    refused(upload(client_for(me), samples.video_clip(2, "webm")), 400, "video_too_long")
    assert stored_files(media_root) == []


def test_a_voice_note_of_exactly_the_limit_is_taken(settings, client_for, pair):
    settings.VOICE_MAX_SECONDS = 3
    me, _ = pair
    response = upload(client_for(me), samples.voice_note(3))
    assert response.status_code == 201, response.content
    assert 2900 <= response.json()["duration_ms"] <= 3100


def test_too_many_pixels_follows_the_setting(settings, client_for, pair):
    settings.MEDIA_MAX_PIXELS = 64 * 48 - 1
    me, _ = pair
    body = refused(
        upload(client_for(me), samples.image_bytes("PNG", (64, 48))), 400, "unsupported_media"
    )
    assert "pixels" in body["detail"]
    settings.MEDIA_MAX_PIXELS = 64 * 48
    assert upload(client_for(me), samples.image_bytes("PNG", (64, 48))).status_code == 201


def test_one_byte_over_media_max_bytes_is_413(settings, client_for, pair, media_root):
    settings.MEDIA_MAX_BYTES = 10_000
    me, _ = pair
    data = samples.image_bytes("PNG", (64, 48))
    data += b"\x00" * (10_001 - len(data))  # a PNG with trailing bytes, 1 byte too many

    refused(upload(client_for(me), data), 413, "file_too_large")
    assert upload(client_for(me), data[:-1]).status_code == 201


def test_a_body_declaring_too_much_is_refused_before_it_is_read(settings, client_for, pair):
    settings.MEDIA_MAX_BYTES = 10_000
    me, _ = pair
    api = client_for(me)
    response = api.generic(
        "POST",
        "/api/v1/attachments",
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(10_000 + 64 * 1024 + 1),
    )
    refused(response, 413, "file_too_large")


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "BOUNDARY") -> bytes:
    body = b""
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        body += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


MULTIPART_CASES = [
    pytest.param([], "BOUNDARY", id="no-parts"),
    pytest.param([("other", "a.png", b"x")], "BOUNDARY", id="no-file-field"),
    pytest.param([("file", None, b"not a file")], "BOUNDARY", id="file-as-plain-field"),
    pytest.param([("file", "a.png", b"x"), ("file", "b.png", b"y")], "BOUNDARY", id="two-files"),
    pytest.param([("file", "a.png", b"x"), ("extra", "b.png", b"y")], "BOUNDARY", id="two-fields"),
]


@pytest.mark.parametrize(("parts", "boundary"), MULTIPART_CASES)
def test_multipart_without_exactly_one_file(client_for, pair, media_root, parts, boundary):
    me, _ = pair
    response = client_for(me).generic(
        "POST",
        "/api/v1/attachments",
        _multipart(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    refused(response, 400, "invalid")
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary=",
        "multipart/form-data",
        "multipart/form-data; boundary=" + "x" * 71,
        "multipart/form-data; boundary=OTHER",
    ],
    ids=["empty-boundary", "no-boundary", "boundary-over-70", "wrong-boundary"],
)
def test_multipart_with_a_bad_boundary(client_for, pair, content_type):
    me, _ = pair
    body = _multipart([("file", "a.png", samples.image_bytes())])
    response = client_for(me).generic(
        "POST", "/api/v1/attachments", body, content_type=content_type
    )
    refused(response, 400, "invalid")
    assert Attachment.objects.count() == 0


def test_json_instead_of_multipart_is_415(client_for, pair):
    me, _ = pair
    response = client_for(me).post("/api/v1/attachments", {"file": "x"}, format="json")
    refused(response, 415, "unsupported_media_type")


def test_anonymous_uploads_are_401(api):
    response = upload(api, samples.image_bytes())
    refused(response, 401, "not_authenticated")


def test_uploads_are_rate_limited_and_refusals_do_not_count(settings, client_for, pair):
    settings.RATE_UPLOADS = Rate(2, 3600)
    me, _ = pair
    api = client_for(me)
    refused(upload(api, b"not media"), 400, "unsupported_media")
    assert upload(api, samples.image_bytes()).status_code == 201
    assert upload(api, samples.image_bytes()).status_code == 201
    response = upload(api, samples.image_bytes())
    refused(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert Attachment.objects.count() == 2


def test_a_gif_keeps_its_frames(client_for, pair):
    me, _ = pair
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    data = upload(client_for(me), out.getvalue()).json()
    with Image.open(Attachment.objects.get(pk=data["id"]).original.open()) as stored:
        assert stored.n_frames == 3
