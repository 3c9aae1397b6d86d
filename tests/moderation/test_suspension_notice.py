"""A suspended user is told until when and why: in the API's `detail`, over the socket, on
the pages (SPEC sections 4 and 12: the code stays `account_suspended`, status 403)."""

import datetime
import html

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import User
from dmsite.asgi import application
from dmsite.errors import InvalidInput
from messaging import groups
from messaging.models import Message
from moderation import services
from moderation.models import ModerationAction
from tests.factories import UserFactory, token_for
from tests.moderation.conftest import befriend, send

pytestmark = pytest.mark.django_db

# A moderator acts at 14:00 UTC on 1 December 2026, for 7 days.
ACTED_AT = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=datetime.UTC)
REASON = "Spam ring, first strike. Please read the community rules."
DETAIL = (
    "Your messaging is suspended until 8 Dec 2026, 14:00 UTC. "
    "Reason: Spam ring, first strike. Please read the community rules."
)
SOON = ACTED_AT + datetime.timedelta(hours=1)  # the user tries again an hour later


@pytest.fixture
def suspended(pair, moderator):
    """The offender, suspended for 7 days with REASON; (reporter, offender, message)."""
    reporter, offender, message = pair
    with time_machine.travel(ACTED_AT, tick=False):
        services.user_suspend_messaging(moderator=moderator, user=offender, days=7, reason=REASON)
    return reporter, offender, message


def _refused(response, detail=DETAIL):
    assert response.status_code == 403
    assert response.json() == {"code": "account_suspended", "detail": detail}


# The sentence ---------------------------------------------------------------------------


def test_the_suspension_stores_the_reason_as_written_for_the_user(suspended):
    _, offender, _ = suspended
    offender.refresh_from_db()
    assert offender.messaging_suspension_reason == REASON
    assert offender.messaging_suspended_until == ACTED_AT + datetime.timedelta(days=7)


def test_the_end_is_rounded_up_to_its_minute(pair, moderator, client_for):
    reporter, offender, _ = pair
    with time_machine.travel(ACTED_AT + datetime.timedelta(seconds=30), tick=False):
        services.user_suspend_messaging(moderator=moderator, user=offender, days=1, reason="Spam.")
        response = client_for(offender).post(
            "/api/v1/messages", {"to": reporter.username, "body": "x"}, format="json"
        )
    _refused(response, "Your messaging is suspended until 2 Dec 2026, 14:01 UTC. Reason: Spam.")


def test_a_suspension_without_a_stored_reason_still_says_until_when(pair, client_for):
    """Suspensions made before the reason was stored."""
    reporter, offender, _ = pair
    User.objects.filter(pk=offender.pk).update(
        messaging_suspended_until=ACTED_AT + datetime.timedelta(days=3)
    )
    with time_machine.travel(SOON, tick=False):
        response = client_for(offender).post(
            "/api/v1/messages", {"to": reporter.username, "body": "x"}, format="json"
        )
    _refused(response, "Your messaging is suspended until 4 Dec 2026, 14:00 UTC.")


def test_a_new_suspension_replaces_the_reason(suspended, moderator, client_for):
    reporter, offender, _ = suspended
    with time_machine.travel(SOON, tick=False):
        services.user_suspend_messaging(
            moderator=moderator, user=offender, days=30, reason="  Second strike.\n"
        )
        response = client_for(offender).post(
            "/api/v1/messages", {"to": reporter.username, "body": "x"}, format="json"
        )
    _refused(
        response, "Your messaging is suspended until 31 Dec 2026, 15:00 UTC. Reason: Second strike."
    )


def test_once_the_suspension_ends_nothing_is_said_and_sends_pass(suspended, client_for):
    reporter, offender, _ = suspended
    with time_machine.travel(ACTED_AT + datetime.timedelta(days=7, seconds=1), tick=False):
        response = client_for(offender).post(
            "/api/v1/messages", {"to": reporter.username, "body": "back"}, format="json"
        )
        assert response.status_code == 201
        page = client_for(offender)
        page.force_login(offender)
        content = page.get(f"/c/{response.json()['conversation']}").content.decode()
    assert "suspended" not in content


@pytest.mark.parametrize("length", [501, 5000])
def test_a_reason_the_user_could_not_read_is_refused(pair, moderator, length):
    _, offender, _ = pair

    with pytest.raises(InvalidInput) as raised:
        services.user_suspend_messaging(
            moderator=moderator, user=offender, days=7, reason="x" * length
        )

    assert raised.value.code == "invalid"
    assert raised.value.detail == "The user reads this reason: keep it to 500 characters."
    offender.refresh_from_db()
    assert (offender.messaging_suspended_until, offender.messaging_suspension_reason) == (None, "")
    assert not ModerationAction.objects.exists()


def test_a_reason_of_500_characters_is_kept_whole(pair, moderator):
    _, offender, _ = pair
    services.user_suspend_messaging(moderator=moderator, user=offender, days=7, reason="y" * 500)
    offender.refresh_from_db()
    assert offender.messaging_suspension_reason == "y" * 500


# REST -----------------------------------------------------------------------------------


def test_every_send_endpoint_says_until_when_and_why(suspended, client_for):
    reporter, offender, message = suspended
    third = UserFactory()
    befriend(reporter, third)
    befriend(offender, third)
    group = groups.group_create(
        creator=reporter, usernames=[offender.username, third.username], title="Trio"
    ).conversation
    before = Message.objects.count()
    api = client_for(offender)

    with time_machine.travel(SOON, tick=False):
        _refused(
            api.post("/api/v1/messages", {"to": reporter.username, "body": "x"}, format="json")
        )
        _refused(
            api.post(
                f"/api/v1/conversations/{message.conversation_id}/messages",
                {"body": "x"},
                format="json",
            )
        )
        _refused(
            api.post(f"/api/v1/conversations/{group.pk}/messages", {"body": "x"}, format="json")
        )
        _refused(
            api.post(
                "/api/v1/conversations",
                {"usernames": [reporter.username, third.username]},
                format="json",
            )
        )
        _refused(api.put(f"/api/v1/messages/{message.pk}/reaction", {"emoji": "👍"}, format="json"))
        # The profile's flag asks the same policy; it carries only the code.
        profile = api.get(f"/api/v1/users/{reporter.username}").json()
        assert profile["can_message"] == {"allowed": False, "code": "account_suspended"}

    assert Message.objects.count() == before


def test_the_detail_is_json_safe_whatever_the_reason(pair, moderator, client_for):
    reporter, offender, _ = pair
    reason = 'Said "<b>hi</b>" 💥\nagain'
    with time_machine.travel(ACTED_AT, tick=False):
        services.user_suspend_messaging(moderator=moderator, user=offender, days=7, reason=reason)
    with time_machine.travel(SOON, tick=False):
        response = client_for(offender).post(
            "/api/v1/messages", {"to": reporter.username, "body": "x"}, format="json"
        )
    _refused(response, f"Your messaging is suspended until 8 Dec 2026, 14:00 UTC. Reason: {reason}")


# The pages ------------------------------------------------------------------------------


def test_the_conversation_page_shows_the_sentence_instead_of_the_composer(suspended, client):
    _reporter, offender, message = suspended
    client.force_login(offender)

    with time_machine.travel(SOON, tick=False):
        page = client.get(f"/c/{message.conversation_id}")

    assert page.status_code == 200
    content = page.content.decode()
    assert (
        f'<div class="notice" role="status" data-denial>\n    <p>{html.escape(DETAIL)}</p>'
        in content
    )
    assert 'name="body"' not in content


def test_the_page_escapes_the_reason(pair, moderator, client):
    _reporter, offender, message = pair
    with time_machine.travel(ACTED_AT, tick=False):
        services.user_suspend_messaging(
            moderator=moderator, user=offender, days=7, reason="<script>alert(1)</script>"
        )
    client.force_login(offender)
    with time_machine.travel(SOON, tick=False):
        content = client.get(f"/c/{message.conversation_id}").content.decode()
    assert "Reason: &lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)</script>" not in content


def test_a_send_from_an_old_page_says_until_when_and_why(suspended, client):
    """The page was open before the suspension: the form's send is refused in words."""
    _reporter, offender, message = suspended
    client.force_login(offender)
    before = Message.objects.count()

    with time_machine.travel(SOON, tick=False):
        response = client.post(
            f"/c/{message.conversation_id}/send", {"body": "hello?", "client_id": "f" * 32}
        )

    assert response.status_code == 200
    assert html.escape(DETAIL) in response.content.decode()
    assert Message.objects.count() == before


def test_the_group_page_shows_the_sentence(suspended, client):
    reporter, offender, _ = suspended
    third = UserFactory()
    befriend(reporter, third)
    group = groups.group_create(
        creator=reporter, usernames=[offender.username, third.username], title="Trio"
    ).conversation
    client.force_login(offender)

    with time_machine.travel(SOON, tick=False):
        content = client.get(f"/c/{group.pk}").content.decode()

    assert f'<div class="notice" role="status" data-denial><p>{html.escape(DETAIL)}</p>' in content


# The socket -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_socket_says_until_when_and_why():
    until = timezone.now().replace(microsecond=0, second=0) + datetime.timedelta(days=2)

    def setup():
        reporter, offender = UserFactory(username="rep"), UserFactory(username="off")
        befriend(reporter, offender)
        send(reporter, offender, "hi")
        User.objects.filter(pk=offender.pk).update(
            messaging_suspended_until=until, messaging_suspension_reason="Threats."
        )
        return token_for(offender)

    token = await database_sync_to_async(setup)()
    socket = WebsocketCommunicator(application, f"/ws/?token={token}")
    connected, _ = await socket.connect(timeout=3)
    assert connected
    try:
        await socket.send_json_to(
            {"type": "message.send", "to": "rep", "body": "again", "client_id": "s-1"}
        )
        frame = await socket.receive_json_from(timeout=3)
    finally:
        await socket.disconnect()

    assert frame == {
        "type": "error",
        "code": "account_suspended",
        "detail": f"Your messaging is suspended until {until.day} {until:%b %Y, %H:%M} UTC. "
        "Reason: Threats.",
        "client_id": "s-1",
    }
