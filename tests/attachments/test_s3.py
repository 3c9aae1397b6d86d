"""The S3 path, against a real S3-speaking server (moto's server mode on a free local port).

Nothing of boto3 is mocked: django-storages talks HTTP to the server as it would to
S3 or MinIO, and the signed URLs it hands out are fetched over HTTP too.
"""

import boto3
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from tests.attachments import samples
from tests.factories import UserFactory
from tests.processes import free_port

pytestmark = pytest.mark.django_db

moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the dev extra")
BUCKET = "dmsite-test-media"


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(settings, monkeypatch, s3_endpoint):
    """The media storage on the S3 server, as MEDIA_S3_BUCKET would configure it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 60,
                "signature_version": "s3v4",
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_uploads_land_in_the_bucket_and_are_served_by_signed_redirect(
    s3, client_for, pair, uploaded, media_root, django_capture_on_commit_callbacks
):
    me, friend = pair
    voice = uploaded(samples.voice_note(2))
    attachment = Attachment.objects.get(pk=voice)
    assert keys(s3) == {attachment.original.name}
    assert list(media_root.iterdir()) == []  # nothing on the local disk
    client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "attachments": [voice]}, format="json"
    )

    response = client_for(friend).get(f"/media/{voice}/original")

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert "X-Amz-Signature=" in location
    assert "X-Amz-Expires=60" in location
    fetched = httpx.get(location)
    assert fetched.status_code == 200
    stored = s3.get_object(Bucket=BUCKET, Key=attachment.original.name)["Body"].read()
    assert fetched.content == stored
    assert fetched.headers["content-type"] == "audio/webm"
    assert fetched.headers["content-disposition"] == "inline"
    ranged = httpx.get(location, headers={"Range": "bytes=0-9"})
    assert (ranged.status_code, ranged.content) == (206, stored[:10])

    # The same check as on local storage: others get 404, not a link.
    outsider = client_for(UserFactory()).get(f"/media/{voice}/original")
    assert outsider.status_code == 404

    attachment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(me).delete(f"/api/v1/messages/{attachment.message_id}").status_code == 204
    assert keys(s3) == set()


def test_images_and_thumbnails_and_avatars_on_s3(s3, client_for, pair, uploaded):
    me, _ = pair
    photo = Attachment.objects.get(pk=uploaded(samples.image_bytes("JPEG", (800, 600))))
    assert keys(s3) == {photo.original.name, photo.thumbnail.name}
    thumbnail = client_for(me).get(f"/media/{photo.pk}/thumbnail")
    assert thumbnail.status_code == 302
    assert httpx.get(thumbnail["Location"]).headers["content-type"] == "image/webp"

    response = client_for(me).put(
        "/api/v1/me/avatar",
        {"file": SimpleUploadedFile("a.png", samples.image_bytes("PNG", (600, 600)))},
        format="multipart",
    )
    assert response.status_code == 200
    served = client_for(me).get(response.json()["avatar_url"])
    assert served.status_code == 302
    assert httpx.get(served["Location"]).status_code == 200


def test_pages_let_the_browser_load_files_from_the_bucket(
    s3, client_for, pair, uploaded, client, s3_endpoint
):
    """/media/ redirects to the bucket: the policy must allow its origin for images and
    media, or every photo, video and voice note is blocked in the browser."""
    me, friend = pair
    photo = uploaded()
    response = client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "attachments": [photo]}, format="json"
    )
    assert response.status_code == 201
    location = client_for(friend).get(f"/media/{photo}/original")["Location"]
    assert location.startswith(f"{s3_endpoint}/")

    client.force_login(friend)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in client.get("/")["Content-Security-Policy"].split(";")
    )
    for directive in ("img-src", "media-src"):
        assert s3_endpoint in policy[directive].split()
    assert s3_endpoint not in policy["script-src"]
