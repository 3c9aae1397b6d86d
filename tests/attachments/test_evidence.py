"""Reports keep copies of reported media for moderators; unsend and removal delete the rest."""

import pytest
from django.contrib.auth.models import Group

from attachments.models import Attachment
from messaging.models import Message
from moderation import services as moderation_services
from moderation.models import ReportFile
from tests.attachments import samples
from tests.attachments.conftest import stored_files
from tests.factories import UserFactory, admin_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client():
    moderator = UserFactory(username="mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    return moderator, admin_client_for(moderator)


def _sent(client_for, me, friend, uploaded) -> Message:
    ids = [uploaded(), uploaded(samples.video_clip(1))]
    data = (
        client_for(me)
        .post("/api/v1/messages", {"to": friend.username, "attachments": ids}, format="json")
        .json()
    )
    voice = uploaded(samples.voice_note(1))
    client_for(me).post(
        "/api/v1/messages", {"to": friend.username, "attachments": [voice]}, format="json"
    )
    return Message.objects.get(pk=data["id"])


def _report(reporter, target_type, target_id):
    report, _ = moderation_services.report_create(
        reporter=reporter, target_type=target_type, target_id=target_id, reason="harassment"
    )
    return report


def test_a_reported_message_keeps_copies_that_survive_unsend(
    client_for, pair, uploaded, media_root, moderator_client, django_capture_on_commit_callbacks
):
    me, friend = pair
    message = _sent(client_for, me, friend, uploaded)
    originals = {a.pk: a.original.open().read() for a in message.attachments.all()}

    report = _report(friend, "message", message.pk)

    files = list(report.files.order_by("attachment_id"))
    assert [f.attachment_id for f in files] == sorted(originals)
    assert [f.kind for f in files] == ["image", "video"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(me).delete(f"/api/v1/messages/{message.pk}").status_code == 204
    assert not Attachment.objects.filter(pk__in=originals).exists()
    remaining = {path.name for path in stored_files(media_root)}
    assert {f.file.name.rsplit("/", 1)[-1] for f in files} <= remaining

    _, client = moderator_client
    for evidence in files:
        response = client.get(f"/media/evidence/{evidence.pk}")
        assert response.status_code == 200
        assert response["Content-Type"] == evidence.content_type
        assert b"".join(response.streaming_content) == originals[evidence.attachment_id]
    page = client.get(f"/admin/moderation/report/{report.pk}/change/").content.decode()
    assert f'<img src="/media/evidence/{files[0].pk}"' in page
    assert f'<video controls preload="metadata" src="/media/evidence/{files[1].pk}"' in page


def test_evidence_is_for_moderators_only(client, client_for, pair, uploaded):
    me, friend = pair
    message = _sent(client_for, me, friend, uploaded)
    evidence = _report(friend, "message", message.pk).files.first()
    url = f"/media/evidence/{evidence.pk}"
    assert client.get(url).status_code == 404  # anonymous
    for user in (me, friend, UserFactory(is_staff=False)):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client_for(user).get(url).status_code == 404
    # Staff without the right to view reports, even with a second factor.
    assert admin_client_for(UserFactory(is_staff=True)).get(url).status_code == 404
    # A moderator signed in without the second factor.
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)
    assert client.get(url).status_code == 404
    assert admin_client_for(moderator).get(url).status_code == 200


def test_a_conversation_report_copies_its_voice_notes_too(client_for, pair, uploaded):
    me, friend = pair
    message = _sent(client_for, me, friend, uploaded)
    report = _report(friend, "conversation", message.conversation_id)
    assert sorted(report.files.values_list("kind", flat=True)) == ["image", "video", "voice"]
    page_kinds = {f.kind for f in ReportFile.objects.all()}
    assert page_kinds == {"image", "video", "voice"}


def test_a_moderator_removal_deletes_the_files_but_not_the_evidence(
    client_for, pair, uploaded, media_root, moderator_client, django_capture_on_commit_callbacks
):
    me, friend = pair
    message = _sent(client_for, me, friend, uploaded)
    report = _report(friend, "message", message.pk)
    moderator, _ = moderator_client
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.report_remove_message(
            report=report, moderator=moderator, reason="abuse"
        )
    message.refresh_from_db()
    assert message.unsent
    assert not message.attachments.exists()
    names = {path.name for path in stored_files(media_root)}
    assert {f.file.name.rsplit("/", 1)[-1] for f in report.files.all()} <= names
    # Only the other message's voice note and the copies are left.
    voice = Attachment.objects.get()
    assert len(names) == report.files.count() + len(voice.file_names())


def test_a_text_report_copies_nothing(client_for, pair):
    me, friend = pair
    from tests.messaging.state import send

    message = send(me, friend, "plain words")
    assert _report(friend, "message", message.pk).files.count() == 0
