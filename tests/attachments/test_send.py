"""Attaching uploads to a send: the one send path (REST, WebSocket, HTML), its rules."""

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection

from attachments.models import Attachment
from attachments.services import attachment_create
from dmsite.asgi import application
from messaging import services
from messaging.models import Message
from privacy.models import DmPreference
from tests.attachments import samples
from tests.attachments.conftest import stored_files
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend, send, set_preference

pytestmark = pytest.mark.django_db


def post(api, to, **body):
    return api.post("/api/v1/messages", {"to": to.username, **body}, format="json")


def test_photos_with_no_body_make_a_message(client_for, pair, uploaded):
    me, friend = pair
    ids = [uploaded(), uploaded(samples.image_bytes("JPEG"))]

    response = post(client_for(me), friend, attachments=ids)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["body"] == ""
    assert [a["id"] for a in data["attachments"]] == ids
    assert [a["kind"] for a in data["attachments"]] == ["image", "image"]
    assert set(Attachment.objects.values_list("message_id", flat=True)) == {data["id"]}
    # The friend sees the same attachments in history.
    history = client_for(friend).get(f"/api/v1/conversations/{data['conversation']}/messages")
    assert history.json()["results"][0]["attachments"] == data["attachments"]


def test_a_body_and_a_voice_note(client_for, pair, uploaded):
    me, friend = pair
    voice = uploaded(samples.voice_note(1))
    data = post(client_for(me), friend, body="listen", attachments=[voice]).json()
    assert data["body"] == "listen"
    assert data["attachments"][0]["kind"] == "voice"


def test_no_body_and_no_attachments_is_still_empty(client_for, pair):
    me, friend = pair
    response = post(client_for(me), friend, body="  ", attachments=[])
    assert (response.status_code, response.json()["code"]) == (400, "empty_message")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("1", id="string"),
        pytest.param([True], id="boolean"),
        pytest.param(["1"], id="string-id"),
        pytest.param([1.5], id="float"),
        pytest.param([0], id="zero"),
        pytest.param([2**63], id="too-large"),
        pytest.param({"id": 1}, id="object"),
        pytest.param(list(range(1, 60)), id="very-long-list"),
    ],
)
def test_malformed_attachment_lists(client_for, pair, bad):
    me, friend = pair
    response = post(client_for(me), friend, body="x", attachments=bad)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Message.objects.count() == 0


def test_someone_elses_upload_is_invalid(client_for, pair, uploaded):
    me, friend = pair
    theirs = uploaded(user=friend)
    response = post(client_for(me), friend, body="hi", attachments=[theirs])
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Message.objects.count() == 0
    assert Attachment.objects.get(pk=theirs).message is None


def test_an_unknown_id_and_a_repeated_id_are_invalid(client_for, pair, uploaded):
    me, friend = pair
    mine = uploaded()
    for ids in ([mine, 999_999], [mine, mine]):
        response = post(client_for(me), friend, attachments=ids)
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Message.objects.count() == 0


def test_an_upload_is_sent_once(client_for, pair, uploaded):
    me, friend = pair
    mine = uploaded()
    assert post(client_for(me), friend, attachments=[mine]).status_code == 201
    response = post(client_for(me), friend, attachments=[mine])
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Message.objects.count() == 1


def test_counts_and_voice_notes_alone(settings, client_for, pair, uploaded):
    settings.MEDIA_MAX_PER_MESSAGE = 3
    me, friend = pair
    api = client_for(me)
    photos = [uploaded() for _ in range(4)]
    voice = uploaded(samples.voice_note(1))
    video = uploaded(samples.video_clip(1))

    for ids in (photos, [photos[0], voice], [voice, uploaded(samples.voice_note(1))]):
        response = post(api, friend, attachments=ids)
        assert (response.status_code, response.json()["code"]) == (400, "invalid"), ids
    assert Message.objects.count() == 0
    assert post(api, friend, attachments=[*photos[:2], video]).status_code == 201
    assert post(api, friend, attachments=[voice]).status_code == 201


def test_media_is_refused_in_a_message_request(client_for, uploaded):
    stranger, star = UserFactory.create_batch(2)
    set_preference(star, DmPreference.EVERYONE)
    mine = uploaded(user=stranger)
    api = client_for(stranger)

    response = post(api, star, body="look", attachments=[mine])

    assert (response.status_code, response.json()["code"]) == (403, "media_not_in_requests")
    assert Message.objects.count() == 0
    assert Attachment.objects.get(pk=mine).message is None
    # Text still lands in their requests; once they reply, media may follow.
    assert post(api, star, body="hello").status_code == 201
    send(star, stranger, "hi, who are you?")
    assert post(api, star, attachments=[mine]).status_code == 201


def test_the_policy_still_decides_first(client_for, pair, uploaded):
    me, _ = pair
    stranger = UserFactory()  # friends-only preference: not accepting me
    response = post(client_for(me), stranger, attachments=[uploaded()])
    assert (response.status_code, response.json()["code"]) == (403, "recipient_not_accepting")


def test_the_html_composer_sends_attachments(client, pair, uploaded):
    me, friend = pair
    mine = uploaded()
    conversation_id = send(me, friend, "first").conversation_id
    client.force_login(me)
    response = client.post(
        f"/c/{conversation_id}/send", {"body": "", "client_id": "h-1", "attachments": [mine]}
    )
    assert response.status_code == 302
    message = Message.objects.get(client_id="h-1")
    assert list(message.attachments.values_list("pk", flat=True)) == [mine]
    page = client.get(f"/c/{conversation_id}")
    assert f"/media/{mine}/original" in page.content.decode()


# Serialized: the browser tests after it restore the migrated rows (content types) by id.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_socket_sends_attachments(pair, uploaded):
    me, friend = pair
    mine = uploaded()
    token = token_for(me)
    async_to_sync(_send_over_the_socket)(token, friend, mine)


async def _send_over_the_socket(token, friend, mine):
    socket = WebsocketCommunicator(application, f"/ws/?token={token}")
    connected, _ = await socket.connect(timeout=3)
    assert connected
    await socket.send_json_to(
        {"type": "message.send", "to": friend.username, "client_id": "w-1", "attachments": [mine]}
    )
    frames = [await socket.receive_json_from(timeout=3) for _ in range(2)]
    ack = next(frame for frame in frames if frame["type"] == "message.ack")
    new = next(frame for frame in frames if frame["type"] == "message.new")
    assert [a["id"] for a in ack["message"]["attachments"]] == [mine]
    assert new["message"]["attachments"] == ack["message"]["attachments"]
    await socket.send_json_to(
        {"type": "message.send", "to": friend.username, "client_id": "w-2", "attachments": [mine]}
    )
    refusal = await socket.receive_json_from(timeout=3)
    assert (refusal["type"], refusal["code"], refusal["client_id"]) == ("error", "invalid", "w-2")
    await socket.disconnect()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="needs PostgreSQL's row locks (SQLite has one writer and answers 'locked')",
)
# Serialized: the browser tests after it restore the migrated rows (content types) by id.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_upload_in_two_sends_at_once_only_one_wins(pair):
    me, friend = pair
    other = UserFactory()
    befriend(me, other)
    mine = attachment_create(
        uploader=me, file=SimpleUploadedFile("a.png", samples.image_bytes())
    ).pk
    barrier = threading.Barrier(2)
    outcomes: list = []

    def attempt(recipient):
        try:
            barrier.wait()
            services.message_send(sender=me, recipient=recipient, body="", attachments=[mine])
            outcomes.append("sent")
        except Exception as error:
            outcomes.append(getattr(error, "code", repr(error)))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in (friend, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["invalid", "sent"]
    assert Message.objects.count() == 1
    assert Attachment.objects.get(pk=mine).message == Message.objects.get()


def test_unsend_deletes_the_files(
    client_for, pair, uploaded, media_root, django_capture_on_commit_callbacks
):
    me, friend = pair
    ids = [uploaded(), uploaded(samples.video_clip(1))]
    data = post(client_for(me), friend, attachments=ids).json()
    assert len(stored_files(media_root)) == 4

    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(me).delete(f"/api/v1/messages/{data['id']}").status_code == 204

    assert stored_files(media_root) == []
    assert Attachment.objects.count() == 0
    history = client_for(friend).get(f"/api/v1/conversations/{data['conversation']}/messages")
    assert history.json()["results"][0]["attachments"] == []
    assert client_for(friend).get(f"/media/{ids[0]}/original").status_code == 404
