"""My data (SPEC section 12): `GET me/export` streams a zip, in constant memory."""

import io
import json
import threading
import tracemalloc
import zipfile

import pytest
from django.test import AsyncClient
from django.utils import timezone

from dmsite.env import Rate
from messaging import export, services
from messaging.models import Conversation, Message, Participant
from messaging.shapes import message_shape
from privacy import services as privacy_services
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend, ok, send, set_preference

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/me/export"


def archive_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="dmsite-')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def read_json(archive: zipfile.ZipFile, name: str) -> dict:
    return json.loads(archive.read(name))


@pytest.fixture
def me():
    return UserFactory(username="ann", display_name="Ann", bio="hi")


def test_the_export_holds_my_profile_settings_follows_blocks_and_conversations(client_for, me):
    friend, fan, blocked, stranger, outsider = UserFactory.create_batch(5)
    befriend(me, friend)
    privacy_services.follow_create(follower=fan, followee=me)
    privacy_services.block_create(blocker=me, blocked=blocked)
    set_preference(me, "everyone", hidden_words=["spoiler"], read_receipts=True)
    first = send(me, friend, "hello friend")
    reply = send(friend, me, "hi Ann")
    services.message_unsend(user=me, message_id=first.pk)
    request = send(stranger, me, "a request")
    befriend(friend, outsider)
    send(friend, outsider, "not mine")

    archive = archive_of(client_for(me).get(EXPORT))

    profile = read_json(archive, "profile.json")
    assert profile["profile"]["username"] == "ann"
    assert profile["profile"]["bio"] == "hi"
    assert profile["privacy"] == {
        "dm_preference": "everyone",
        "read_receipts": True,
        "filter_requests": True,
        "hidden_words": ["spoiler"],
    }
    assert [row["username"] for row in profile["following"]] == [friend.username]
    assert {row["username"] for row in profile["followers"]} == {friend.username, fan.username}
    assert [row["username"] for row in profile["blocks"]] == [blocked.username]
    names = sorted(name for name in archive.namelist() if name.startswith("conversations/"))
    assert names == sorted(
        f"conversations/{message.conversation_id}.json" for message in (first, request)
    )
    chat = read_json(archive, f"conversations/{first.conversation_id}.json")
    assert (chat["with"], chat["kind"], chat["folder"]) == (friend.username, "direct", "inbox")
    history = ok(client_for(me).get(f"/api/v1/conversations/{first.conversation_id}/messages"))
    # The one message shape: what the API shows, oldest first (seen aside, a live flag).
    without_seen = [
        {key: value for key, value in item.items() if key != "seen"}
        for item in reversed(history["results"])
    ]
    assert chat["messages"] == without_seen
    assert [m["id"] for m in chat["messages"]] == [first.pk, reply.pk]
    assert chat["messages"][0]["unsent"] is True
    assert chat["messages"][0]["body"] == ""
    assert read_json(archive, f"conversations/{request.conversation_id}.json")["messages"] == [
        message_shape(Message.objects.select_related("sender").get(pk=request.pk))
    ]


def test_a_conversation_i_deleted_for_me_is_still_mine(client_for, me):
    friend = UserFactory()
    befriend(me, friend)
    message = send(friend, me, "keep me")
    services.conversation_hide(participant=Participant.objects.get(user=me))
    archive = archive_of(client_for(me).get(EXPORT))
    chat = read_json(archive, f"conversations/{message.conversation_id}.json")
    assert [m["body"] for m in chat["messages"]] == ["keep me"]


def test_the_export_costs_the_same_queries_for_10_or_40_messages(client_for, settings):
    """Reactions and replies come with each chunk of messages, never one query a message."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from messaging import reactions

    settings.RATE_MESSAGES = Rate(10_000, 60)

    def export_queries(count: int) -> int:
        owner, friend = UserFactory.create_batch(2)
        befriend(owner, friend)
        first = send(owner, friend, "first")
        for n in range(count - 1):
            message, _ = services.message_send(
                sender=friend, recipient=owner, body=f"re {n}", reply_to=first.pk
            )
            reactions.reaction_set(user=owner, message_id=message.pk, emoji="🔥")
        with CaptureQueriesContext(connection) as queries:
            archive = archive_of(client_for(owner).get(EXPORT))
        (name,) = [n for n in archive.namelist() if n.startswith("conversations/")]
        shown = read_json(archive, name)["messages"]
        assert len(shown) == count
        assert shown[-1]["reply_to"]["id"] == first.pk
        assert shown[-1]["reactions"] == [{"user": owner.username, "emoji": "🔥"}]
        return len(queries)

    assert export_queries(40) == export_queries(10)


def test_a_user_with_nothing_gets_just_the_profile(client_for, me):
    archive = archive_of(client_for(me).get(EXPORT))
    assert archive.namelist() == ["profile.json"]
    profile = read_json(archive, "profile.json")
    assert (profile["following"], profile["followers"], profile["blocks"]) == ([], [], [])


def test_exports_are_limited_by_rate_exports(client_for, settings, me):
    settings.RATE_EXPORTS = Rate(2, 86400)
    api = client_for(me)
    archive_of(api.get(EXPORT))
    archive_of(api.get(EXPORT))

    refused = api.get(EXPORT)

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 86400


def test_an_export_requested_while_one_streams_is_refused_then_allowed(client_for, me):
    api = client_for(me)
    first = api.get(EXPORT)  # started, not yet read

    second = api.get(EXPORT)

    assert second.status_code == 429
    assert second.json()["code"] == "rate_limited"
    assert second.json()["detail"] == export.ExportRunning.default_detail
    assert second["Retry-After"] == str(export.RUNNING_RETRY_AFTER)
    archive_of(first)  # the first finishes and lets go
    archive_of(api.get(EXPORT))


def test_a_client_that_goes_away_lets_the_lock_go(client_for, me):
    # What Django does when the client disconnects: close the response's generator.
    abandoned = export.export_start(user=me)
    next(abandoned)
    refused = client_for(me).get(EXPORT)
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    abandoned.close()
    archive_of(client_for(me).get(EXPORT))


@pytest.mark.django_db(transaction=True)
def test_two_exports_at_the_same_moment_give_one_archive_and_one_429(me):
    """Real threads racing on the cache's atomic add: never both, never a 500."""
    token = token_for(me)
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def request() -> None:
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        statuses.append(client.get(EXPORT).status_code)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429]


def test_the_export_needs_a_login(api):
    response = api.get(EXPORT)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_archive_is_streamed_in_batches():
    from channels.db import database_sync_to_async

    user, friend = await database_sync_to_async(UserFactory.create_batch)(2)
    await database_sync_to_async(befriend)(user, friend)
    await database_sync_to_async(send)(user, friend, "over ASGI")
    token = await database_sync_to_async(token_for)(user)

    response = await AsyncClient().get(EXPORT, headers={"authorization": f"Token {token}"})

    assert response.status_code == 200
    assert response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content])
    archive = zipfile.ZipFile(io.BytesIO(body))
    (name,) = [name for name in archive.namelist() if name.startswith("conversations/")]
    assert [m["body"] for m in json.loads(archive.read(name))["messages"]] == ["over ASGI"]


# Constant memory ------------------------------------------------------------------------


def _history_of(user, count: int) -> None:
    """`count` messages in one conversation of `user`, written in bulk (a seeded history)."""
    friend = UserFactory()
    befriend(user, friend)
    first = send(user, friend, "first")
    conversation = Conversation.objects.get(pk=first.conversation_id)
    now = timezone.now()
    Message.objects.bulk_create(
        (
            Message(
                conversation=conversation,
                seq=seq,
                sender=user if seq % 2 else friend,
                body=f"message number {seq} with some ordinary text to export",
                created_at=now,
            )
            for seq in range(2, count + 1)
        ),
        batch_size=5_000,
    )


def _export_peak(user) -> tuple[int, int]:
    """(peak traced bytes while streaming the whole archive, archive size)."""
    tracemalloc.start()
    try:
        size = 0
        for chunk in export.export_start(user=user):
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


def test_a_history_of_100000_messages_exports_in_flat_memory(settings):
    settings.RATE_EXPORTS = Rate(10, 86400)
    small, large = UserFactory.create_batch(2)
    _history_of(small, 10_000)
    _history_of(large, 100_000)

    small_peak, small_size = _export_peak(small)
    large_peak, large_size = _export_peak(large)

    print(
        f"export peak: 10,000 messages {small_peak / 2**20:.2f} MiB, "
        f"100,000 messages {large_peak / 2**20:.2f} MiB; zip {large_size / 2**20:.2f} MiB"
    )
    assert large_size > 5 * small_size  # ten times the history really was exported
    # Ten times the messages, about the same memory: a few chunks of rows at a time.
    assert large_peak < 1.5 * small_peak
    assert large_peak < 16 * 2**20


def test_the_privacy_page_has_a_download_my_data_button(client, me):
    client.force_login(me)
    page = client.get("/settings/privacy").text
    assert 'href="/api/v1/me/export" download data-export-link>Download my data</a>' in page
    # The browser's session (no token) downloads it.
    archive = archive_of(client.get(EXPORT))
    assert "profile.json" in archive.namelist()
