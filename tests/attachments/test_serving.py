"""`GET /media/…`: the participant check in one place, the headers, byte ranges; avatars."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from attachments.models import Attachment
from messaging import groups
from privacy import services as privacy_services
from tests.attachments import samples
from tests.attachments.conftest import stored_files
from tests.factories import UserFactory
from tests.messaging.state import befriend, send

pytestmark = pytest.mark.django_db


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def sent_voice(client_for, pair, uploaded):
    """A voice note I sent to my friend: (attachment, its stored bytes)."""
    me, friend = pair
    voice = uploaded(samples.voice_note(3))
    response = client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "attachments": [voice]}, format="json"
    )
    assert response.status_code == 201
    attachment = Attachment.objects.get(pk=voice)
    return attachment, attachment.original.open().read()


def test_participants_get_the_file_with_spec_headers(client_for, pair, sent_voice):
    attachment, data = sent_voice
    for user in pair:
        response = client_for(user).get(f"/media/{attachment.pk}/original")
        assert response.status_code == 200
        assert response["Content-Type"] == "audio/webm"
        assert response["Content-Disposition"] == "inline"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private"
        assert response["Accept-Ranges"] == "bytes"
        assert response["Content-Length"] == str(len(data))
        assert body_of(response) == data


def test_everyone_else_gets_404(client_for, sent_voice, api):
    attachment, _ = sent_voice
    outsider = UserFactory()
    for path in (f"/media/{attachment.pk}/original", f"/media/{attachment.pk}/thumbnail"):
        response = client_for(outsider).get(path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = api.get(f"/media/{attachment.pk}/original")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_an_unsent_upload_is_only_its_uploaders(client_for, pair, uploaded):
    me, friend = pair
    mine = uploaded()
    assert client_for(me).get(f"/media/{mine}/original").status_code == 200
    thumbnail = client_for(me).get(f"/media/{mine}/thumbnail")
    assert thumbnail["Content-Type"] == "image/webp"
    assert client_for(friend).get(f"/media/{mine}/original").status_code == 404


def test_a_voice_note_has_no_thumbnail(client_for, pair, sent_voice):
    attachment, _ = sent_voice
    response = client_for(pair[0]).get(f"/media/{attachment.pk}/thumbnail")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["/media/0/original", "/media/99999999999999999999/original", "/media/1/other", "/media/x/y"],
)
def test_odd_paths_are_404(client_for, pair, path):
    assert client_for(pair[0]).get(path).status_code == 404


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-99", (0, 100)),
        ("bytes=100-", (100, None)),
        ("bytes=-50", (-50, None)),
        ("bytes=10-10", (10, 11)),
        ("bytes=0-999999999", (0, None)),
    ],
)
def test_byte_ranges_answer_206(client_for, pair, sent_voice, header, span):
    attachment, data = sent_voice
    expected = data[span[0] : span[1]]
    response = client_for(pair[1]).get(f"/media/{attachment.pk}/original", HTTP_RANGE=header)
    assert response.status_code == 206
    assert body_of(response) == expected
    start = span[0] % len(data)
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
    assert response["Content-Length"] == str(len(expected))
    assert response["Content-Type"] == "audio/webm"


def test_a_range_past_the_end_is_416(client_for, pair, sent_voice):
    attachment, data = sent_voice
    response = client_for(pair[1]).get(
        f"/media/{attachment.pk}/original", HTTP_RANGE=f"bytes={len(data) + 10}-"
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "pages=1-2", "bytes=9-1", "bytes=x-"])
def test_other_ranges_get_the_whole_file(client_for, pair, sent_voice, header):
    attachment, data = sent_voice
    response = client_for(pair[1]).get(f"/media/{attachment.pk}/original", HTTP_RANGE=header)
    assert response.status_code == 200
    assert body_of(response) == data


def test_nothing_is_served_from_media_url(client_for, pair, uploaded, media_root):
    me, _ = pair
    uploaded()
    name = stored_files(media_root)[0].relative_to(media_root)
    response = client_for(me).get(f"/media/{name}")
    assert response.status_code == 404


# Profile photos


def put_avatar(api, data: bytes):
    return api.put(
        "/api/v1/me/avatar",
        {"file": SimpleUploadedFile("me.jpg", data, content_type="image/jpeg")},
        format="multipart",
    )


def test_avatar_is_square_small_and_shown_everywhere(client_for, pair, media_root):
    me, friend = pair
    photo = samples.image_bytes("JPEG", (1200, 800), exif=samples.gps_exif())

    response = put_avatar(client_for(me), photo)

    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith(f"/media/avatars/{me.username}/")
    served = client_for(friend).get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    assert served["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(body_of(served))) as image:
        assert image.size == (512, 512)
        assert not image.getexif()

    send(friend, me, "hello")
    api = client_for(friend)
    assert client_for(me).get("/api/v1/me").json()["avatar_url"] == url
    assert api.get(f"/api/v1/users/{me.username}").json()["avatar_url"] == url
    assert api.get(f"/api/v1/users?search={me.username}").json()["results"][0]["avatar_url"] == url
    assert api.get("/api/v1/me/friends").json()["results"][0]["avatar_url"] == url
    inbox = api.get("/api/v1/conversations").json()["results"]
    assert inbox[0]["other_user"]["avatar_url"] == url
    assert (
        api.get(f"/api/v1/users/{friend.username}/followers").json()["results"][0]["avatar_url"]
        == url
    )


def test_a_new_avatar_replaces_the_old_file(
    client_for, pair, media_root, django_capture_on_commit_callbacks
):
    me, _ = pair
    api = client_for(me)
    first = put_avatar(api, samples.image_bytes("PNG", (300, 300))).json()["avatar_url"]
    with django_capture_on_commit_callbacks(execute=True):
        second = put_avatar(api, samples.image_bytes("PNG", (100, 200))).json()["avatar_url"]
    assert first != second
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete("/api/v1/me/avatar").status_code == 204
    assert stored_files(media_root) == []
    assert api.get("/api/v1/me").json()["avatar_url"] is None
    assert api.get(second).status_code == 404


def test_avatars_go_through_the_image_checks(client_for, pair, media_root):
    me, _ = pair
    for data, status, code in [
        (samples.voice_note(1), 400, "unsupported_media"),
        (b"text", 400, "unsupported_media"),
        (samples.png_bomb(), 400, "unsupported_media"),
    ]:
        response = put_avatar(client_for(me), data)
        assert (response.status_code, response.json()["code"]) == (status, code)
    assert stored_files(media_root) == []


def test_a_blocked_viewer_cannot_fetch_the_avatar(client_for, pair):
    me, friend = pair
    url = put_avatar(client_for(me), samples.image_bytes()).json()["avatar_url"]
    stranger = UserFactory()
    assert client_for(stranger).get(url).status_code == 200  # any signed-in user
    privacy_services.block_create(blocker=me, blocked=friend)
    response = client_for(friend).get(url)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_an_avatar_too_large_is_413(settings, client_for, pair):
    settings.MEDIA_MAX_BYTES = 1000
    me, _ = pair
    response = put_avatar(client_for(me), samples.noisy_jpeg((200, 200)))
    assert (response.status_code, response.json()["code"]) == (413, "file_too_large")


def test_friends_of_friends_see_photos_only_in_their_conversation(client_for, pair, uploaded):
    me, friend = pair
    third = UserFactory()
    befriend(me, third)
    photo = uploaded()
    client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "attachments": [photo]}, format="json"
    )
    send(me, third, "hello")  # third talks with me, but the photo went to friend
    assert client_for(third).get(f"/media/{photo}/original").status_code == 404
    assert client_for(friend).get(f"/media/{photo}/original").status_code == 200


def test_a_user_who_blocked_me_shows_no_photo_in_my_inbox(client_for, pair):
    me, friend = pair
    put_avatar(client_for(friend), samples.image_bytes())
    send(friend, me, "hello")
    assert (
        client_for(me).get("/api/v1/conversations").json()["results"][0]["other_user"]["avatar_url"]
    )
    privacy_services.block_create(blocker=friend, blocked=me)
    inbox = client_for(me).get("/api/v1/conversations").json()["results"]
    assert inbox[0]["other_user"]["avatar_url"] is None


def test_a_photo_sent_to_a_group_reaches_its_members_in_their_history_window(
    client_for, pair, uploaded
):
    me, friend = pair
    third, late, outsider = UserFactory.create_batch(3)
    befriend(me, third)
    befriend(me, late)
    side = groups.group_create(creator=me, usernames=[friend.username, third.username])
    photo = uploaded()

    response = client_for(me).post(
        f"/api/v1/conversations/{side.conversation_id}/messages",
        {"attachments": [photo], "client_id": "g-photo"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [a["id"] for a in response.json()["attachments"]] == [photo]
    groups.group_members_add(
        adder=me, conversation_id=side.conversation_id, usernames=[late.username]
    )

    for member in (me, friend, third):
        assert client_for(member).get(f"/media/{photo}/original").status_code == 200
    # Joined after it was sent (no history before joining), or never a member: 404.
    for stranger in (late, outsider):
        response = client_for(stranger).get(f"/media/{photo}/original")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
