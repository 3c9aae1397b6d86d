"""The pages: media in bubbles, the inbox's "📷 Photo", the profile photo form."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.attachments import samples
from tests.attachments.conftest import stored_files

pytestmark = pytest.mark.django_db


def _send(client_for, me, friend, ids, body=""):
    response = client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "body": body, "attachments": ids}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_the_conversation_page_draws_photos_videos_and_voice_notes(
    client, client_for, pair, uploaded
):
    me, friend = pair
    photos = [uploaded(), uploaded()]
    video = uploaded(samples.video_clip(1))
    voice = uploaded(samples.voice_note(2))
    _send(client_for, me, friend, photos, "look")
    _send(client_for, me, friend, [video])
    data = _send(client_for, me, friend, [voice])
    client.force_login(friend)

    page = client.get(f"/c/{data['conversation']}").content.decode()

    assert page.count("data-media-viewer") == 2
    assert 'class="msg__media media-grid media-grid--2"' in page
    assert f'src="/media/{photos[0]}/thumbnail"' in page
    assert f'poster="/media/{video}/thumbnail" src="/media/{video}/original"' in page
    assert f'<audio controls preload="metadata" src="/media/{voice}/original"' in page
    assert '<span class="voice__duration">0:02</span>' in page


@pytest.mark.parametrize(
    ("make", "preview"),
    [
        (lambda: [samples.image_bytes()], "📷 Photo"),
        (lambda: [samples.image_bytes(), samples.image_bytes()], "📷 2 photos"),
        (lambda: [samples.video_clip(1)], "🎥 Video"),
        (lambda: [samples.voice_note(1)], "🎤 Voice message"),
    ],
)
def test_the_inbox_says_what_was_sent(client, client_for, pair, uploaded, make, preview):
    me, friend = pair
    _send(client_for, me, friend, [uploaded(data) for data in make()])
    client.force_login(friend)
    page = client.get("/").content.decode()
    assert f'<span class="convo__preview">{preview}</span>' in page


def test_the_profile_photo_form(client, pair, media_root, django_capture_on_commit_callbacks):
    me, _ = pair
    client.force_login(me)
    assert "Profile photo" in client.get(f"/u/{me.username}").content.decode()

    response = client.post(
        "/settings/avatar", {"file": SimpleUploadedFile("me.png", samples.image_bytes())}
    )

    assert response.status_code == 302
    me.refresh_from_db()
    assert me.avatar_url
    assert f'src="{me.avatar_url}"' in client.get(f"/u/{me.username}").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/avatar/delete")
    me.refresh_from_db()
    assert me.avatar_url is None
    assert stored_files(media_root) == []


def test_the_profile_photo_form_shows_refusals(settings, client, pair, media_root):
    me, _ = pair
    client.force_login(me)
    for data, sentence in [
        (b"not an image", "A profile photo must be a JPEG, PNG, WebP or GIF image."),
        (samples.png_bomb(), "This image has more than 40 000 000 pixels."),
    ]:
        response = client.post(
            "/settings/avatar", {"file": SimpleUploadedFile("me.png", data)}, follow=True
        )
        assert sentence in response.content.decode()
    settings.MEDIA_MAX_BYTES = 100
    response = client.post(
        "/settings/avatar",
        {"file": SimpleUploadedFile("me.png", samples.noisy_jpeg((100, 100)))},
        follow=True,
    )
    assert "Files can be at most" in response.content.decode()
    me.refresh_from_db()
    assert not me.avatar
    assert stored_files(media_root) == []


def test_the_profile_photo_form_needs_the_csrf_token(pair):
    from django.test import Client

    me, _ = pair
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(me)
    response = strict.post(
        "/settings/avatar", {"file": SimpleUploadedFile("me.png", samples.image_bytes())}
    )
    assert response.status_code == 403
    me.refresh_from_db()
    assert not me.avatar
