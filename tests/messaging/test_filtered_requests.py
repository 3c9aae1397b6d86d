"""Filtered requests (SPEC section 12): decided by the DM policy where the folder is decided.

A request whose text matches the built-in list or the recipient's hidden words lands
in `filtered`: no unread count, nothing pushed to the recipient's sockets, and the
sender is not told. Friends and people the recipient wrote to are never filtered.
"""

import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dmsite.asgi import application
from messaging.models import Participant
from messaging.policy import dm_decision
from privacy.models import PrivacySettings
from tests.conftest import years_ago
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend, ok, send, set_preference

pytestmark = pytest.mark.django_db

OFFENSIVE = "you are a f.u.c.k.i.n.g idiot"
CLEAN = "hi, I liked your video"


@pytest.fixture
def stranger_and_me():
    """(stranger, me): I accept requests from everyone; we are not friends."""
    stranger, me = UserFactory.create_batch(2)
    set_preference(me, "everyone")
    return stranger, me


def folder_of(user, sender) -> str:
    return Participant.objects.get(user=user, other=sender).folder


def listed(client_for, user, folder: str) -> list[int]:
    body = ok(client_for(user).get(f"/api/v1/conversations?folder={folder}"))
    return [conversation["id"] for conversation in body["results"]]


def test_an_offensive_request_is_filtered_and_the_sender_is_not_told(client_for, stranger_and_me):
    stranger, me = stranger_and_me
    clean_sender = UserFactory()

    sent = client_for(stranger).post(
        "/api/v1/messages", {"to": me.username, "body": OFFENSIVE}, format="json"
    )
    client_for(clean_sender).post(
        "/api/v1/messages", {"to": me.username, "body": CLEAN}, format="json"
    )

    assert sent.status_code == 201
    assert sent.json()["body"] == OFFENSIVE
    filtered_id = sent.json()["conversation"]
    assert listed(client_for, me, "filtered") == [filtered_id]
    assert filtered_id not in listed(client_for, me, "requests")
    assert filtered_id not in listed(client_for, me, "inbox")
    # The sender sees an ordinary conversation in their own inbox.
    assert listed(client_for, stranger, "inbox") == [filtered_id]
    assert folder_of(stranger, me) == "inbox"
    conversation = ok(client_for(me).get(f"/api/v1/conversations/{filtered_id}"))
    assert (conversation["folder"], conversation["unread_count"]) == ("filtered", 0)
    assert ok(client_for(me).get("/api/v1/me"))["unread_total"] == 0


def test_my_hidden_words_filter_what_the_built_in_list_lets_through(client_for, stranger_and_me):
    stranger, me = stranger_and_me
    set_preference(me, "everyone", hidden_words=["crypto giveaway", "(", ".*"])

    send(stranger, me, "Join my CRYPTO    give-away? no: Crypto Giveaway!!")

    assert folder_of(me, stranger) == "filtered"


@pytest.mark.parametrize("body", ["hello (friend)", "look: .* here"])
def test_hidden_regex_syntax_matches_as_written(stranger_and_me, body):
    stranger, me = stranger_and_me
    set_preference(me, "everyone", hidden_words=["(", ".*"])
    send(stranger, me, body)
    assert folder_of(me, stranger) == "filtered"


def test_regex_syntax_does_not_match_everything(stranger_and_me):
    stranger, me = stranger_and_me
    set_preference(me, "everyone", hidden_words=[".*", "a|b", "[a-z]+"])
    send(stranger, me, CLEAN)
    assert folder_of(me, stranger) == "requests"


def test_a_clean_request_goes_to_requests(stranger_and_me):
    stranger, me = stranger_and_me
    send(stranger, me, CLEAN)
    assert folder_of(me, stranger) == "requests"


def test_an_adult_who_turned_filtering_off_gets_it_as_a_request(stranger_and_me):
    stranger, me = stranger_and_me
    set_preference(me, "everyone", filter_requests=False, hidden_words=["spoiler"])
    send(stranger, me, f"{OFFENSIVE} spoiler")
    assert folder_of(me, stranger) == "requests"


def test_a_minor_is_always_filtered(client_for):
    stranger = UserFactory()
    minor = UserFactory(date_of_birth=years_ago(17))
    # Stored off (as an old row could be): under 18 filtering stays on.
    PrivacySettings.objects.create(user=minor, dm_preference="everyone", filter_requests=False)
    send(stranger, minor, OFFENSIVE)
    assert folder_of(minor, stranger) == "filtered"


def test_friends_are_never_filtered(stranger_and_me):
    friend, me = stranger_and_me
    befriend(friend, me)
    set_preference(me, "everyone", hidden_words=["hello"])
    send(friend, me, f"hello {OFFENSIVE}")
    assert folder_of(me, friend) == "inbox"


def test_people_i_wrote_to_are_never_filtered(stranger_and_me):
    other, me = stranger_and_me
    set_preference(other, "everyone")
    send(me, other, "hey there")  # I wrote first: they land in the other's requests
    send(other, me, OFFENSIVE)
    assert folder_of(me, other) == "inbox"


def test_a_request_turns_filtered_and_stays_filtered_until_accepted(client_for, stranger_and_me):
    stranger, me = stranger_and_me
    send(stranger, me, CLEAN)
    assert folder_of(me, stranger) == "requests"
    send(stranger, me, OFFENSIVE)
    assert folder_of(me, stranger) == "filtered"
    send(stranger, me, "sorry, another clean one")
    assert folder_of(me, stranger) == "filtered"
    participant = Participant.objects.get(user=me, other=stranger)
    assert participant.unread_count == 1  # only the clean first message, while a request

    accepted = ok(
        client_for(me).post(f"/api/v1/conversations/{participant.conversation_id}/accept")
    )

    assert accepted["folder"] == "inbox"
    assert accepted["unread_count"] == 3  # filtered messages count once accepted
    assert ok(client_for(me).get("/api/v1/me"))["unread_total"] == 3


def test_a_filtered_request_is_still_a_request_for_its_limits(settings, stranger_and_me):
    stranger, me = stranger_and_me
    for _ in range(settings.DM_REQUEST_MAX_MESSAGES):
        send(stranger, me, OFFENSIVE)
    assert dm_decision(stranger, me, body=OFFENSIVE).code == "request_pending"
    assert dm_decision(stranger, me).code == "request_pending"


def test_the_folder_is_decided_by_the_policy_with_the_body(stranger_and_me):
    stranger, me = stranger_and_me
    assert dm_decision(stranger, me, body=OFFENSIVE).folder == "filtered"
    assert dm_decision(stranger, me, body=CLEAN).folder == "requests"
    assert dm_decision(stranger, me).folder == "requests"  # can_message: no text yet


def test_a_send_with_filtering_costs_no_extra_query(stranger_and_me):
    stranger, me = stranger_and_me
    clean_stranger = UserFactory()
    set_preference(me, "everyone", hidden_words=["unrelated"])
    send(UserFactory(), me, CLEAN)  # the built-in matcher is compiled before measuring

    with CaptureQueriesContext(connection) as clean:
        send(clean_stranger, me, CLEAN)
    with CaptureQueriesContext(connection) as filtered:
        send(stranger, me, "this is unrelated")

    assert folder_of(me, clean_stranger) == "requests"
    assert folder_of(me, stranger) == "filtered"
    # The words come with the policy's facts; both sides change in the same one UPDATE
    # (a filtered side just adds no unread), so filtering costs not a single statement.
    assert len(filtered) == len(clean)


# The recipient's sockets get nothing of a filtered request --------------------------------


@database_sync_to_async
def _token(user) -> str:
    return token_for(user)


@database_sync_to_async
def _send(sender, recipient, body):
    return send(sender, recipient, body)


@pytest.mark.django_db(transaction=True)
async def test_no_frame_reaches_the_recipient_of_a_filtered_request():
    stranger, me = await database_sync_to_async(UserFactory.create_batch)(2)
    await database_sync_to_async(set_preference)(me, "everyone")
    mine = WebsocketCommunicator(application, f"/ws/?token={await _token(me)}")
    theirs = WebsocketCommunicator(application, f"/ws/?token={await _token(stranger)}")
    assert (await mine.connect(timeout=3))[0]
    assert (await theirs.connect(timeout=3))[0]
    try:
        filtered = await _send(stranger, me, OFFENSIVE)

        frame = await theirs.receive_json_from(timeout=3)
        assert (frame["type"], frame["message"]["id"]) == ("message.new", filtered.id)
        assert await mine.receive_nothing(timeout=0.3)

        # Nor does a sync bring it: it waits in the filtered folder.
        await mine.send_json_to({"type": "sync", "after": 0})
        assert await mine.receive_json_from(timeout=3) == {
            "type": "sync.done",
            "last_id": 0,
            "has_more": False,
        }

        other = await database_sync_to_async(UserFactory)()
        clean = await _send(other, me, CLEAN)
        frame = await mine.receive_json_from(timeout=3)
        assert (frame["type"], frame["message"]["id"]) == ("message.new", clean.id)
        assert frame["conversation"]["folder"] == "requests"
    finally:
        await mine.disconnect(timeout=3)
        await theirs.disconnect(timeout=3)


# The pages: Filtered collapsed under Requests, text hidden until tapped -------------------


def test_filtered_requests_sit_collapsed_under_requests(client, stranger_and_me):
    stranger, me = stranger_and_me
    send(stranger, me, OFFENSIVE)
    client.force_login(me)

    requests_page = client.get("/requests").text
    assert 'href="/requests/filtered"' in requests_page
    assert "1 hidden" in requests_page
    assert "f.u.c.k" not in requests_page

    filtered_page = client.get("/requests/filtered").text
    assert "Filtered requests" in filtered_page
    assert "Hidden: may be offensive" in filtered_page
    assert "f.u.c.k" not in filtered_page  # not even in the preview
    assert "No pending requests" in client.get("/").text  # the inbox counts only requests


def test_a_filtered_request_hides_its_text_until_tapped_and_offers_accept_delete_report(
    client, stranger_and_me
):
    stranger, me = stranger_and_me
    conversation_id = send(stranger, me, OFFENSIVE).conversation_id
    client.force_login(me)

    page = client.get(f"/c/{conversation_id}").text

    assert '<details class="msg__hidden"><summary class="msg__reveal">' in page
    assert "Hidden message: tap to show" in page
    # No message shapes for the page's script to redraw the bubbles (and their text) from.
    assert 'id="chat-history"' not in page
    assert OFFENSIVE in page  # inside the <details>, shown when tapped
    assert f'action="/c/{conversation_id}/accept"' in page
    assert f'action="/c/{conversation_id}/delete"' in page
    assert 'data-report-open data-target-type="conversation"' in page
    assert 'href="/requests/filtered"' in page  # back to the filtered folder

    deleted = client.post(f"/c/{conversation_id}/delete")
    assert (deleted.status_code, deleted["Location"]) == (302, "/requests/filtered")


def test_the_privacy_page_saves_filtering_and_hidden_words(client):
    me = UserFactory()
    client.force_login(me)
    form = {"dm_preference": "everyone", "hidden_words": "spoiler\n\n  Crypto  \n"}

    response = client.post("/settings/privacy", form, follow=True)

    assert "Privacy settings saved." in response.text
    settings_row = PrivacySettings.objects.get(user=me)
    assert (settings_row.filter_requests, settings_row.hidden_words) == (
        False,  # the box was not ticked
        ["spoiler", "Crypto"],
    )
    page = client.get("/settings/privacy").text
    assert "spoiler\nCrypto</textarea>" in page


def test_the_privacy_page_shows_a_bad_hidden_word_next_to_the_field(client):
    me = UserFactory()
    client.force_login(me)
    form = {"dm_preference": "friends", "filter_requests": "on", "hidden_words": "x" * 51}

    response = client.post("/settings/privacy", form)

    assert response.status_code == 200
    assert "longer than 50 characters" in response.text
    assert not PrivacySettings.objects.filter(user=me).exists()


def test_a_minor_cannot_turn_filtering_off_on_the_page(client):
    minor = UserFactory(date_of_birth=years_ago(16))
    client.force_login(minor)
    page = client.get("/settings/privacy").text
    assert re.search(r'<input[^>]*name="filter_requests"[^>]*disabled', page)

    client.post("/settings/privacy", {"dm_preference": "no_one"}, follow=True)

    assert PrivacySettings.objects.get(user=minor).filter_requests is True
