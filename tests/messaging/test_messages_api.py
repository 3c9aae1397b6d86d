"""The messages rows of SPEC section 5: history, sending, unsending, read receipts, blocking."""

import base64
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings

from dmsite.env import Rate
from messaging.models import Message
from privacy import services as privacy_services
from tests.factories import UserFactory
from tests.messaging.state import befriend, ok, refused, send, set_preference, written

pytestmark = pytest.mark.django_db

MESSAGE_FIELDS = {
    "id",
    "conversation",
    "seq",
    "kind",
    "sender",
    "body",
    "client_id",
    "created_at",
    "unsent",
    "attachments",
    "reply_to",
    "reactions",
}


def _history(api, conversation_id: int) -> list[dict]:
    return ok(api.get(f"/api/v1/conversations/{conversation_id}/messages"))["results"]


# History


def test_history_walks_every_message_once_newest_first(settings, client_for, pair):
    settings.RATE_MESSAGES = Rate(100, 60)
    me, friend = pair
    for number in range(45):
        sender, recipient = (me, friend) if number % 3 else (friend, me)
        send(sender, recipient, f"message {number + 1}")
    conversation_id = Message.objects.first().conversation_id
    api = client_for(me)

    pages, url = [], f"/api/v1/conversations/{conversation_id}/messages?limit=20"
    while url:
        page = ok(api.get(url))
        pages.append(page)
        url = page["next"]

    assert [len(page["results"]) for page in pages] == [20, 20, 5]
    assert pages[0]["previous"] is None
    walked = [message for page in pages for message in page["results"]]
    assert [m["seq"] for m in walked] == list(range(45, 0, -1))
    assert [m["body"] for m in walked] == [f"message {n}" for n in range(45, 0, -1)]
    ids = [m["id"] for m in walked]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 45
    assert all(set(m) == MESSAGE_FIELDS for m in walked)  # no `seen`: receipts are off
    assert {m["conversation"] for m in walked} == {conversation_id}
    # And back again from the last page.
    back = ok(api.get(pages[2]["previous"]))
    assert [m["id"] for m in back["results"]] == [m["id"] for m in pages[1]["results"]]


def _cursor(querystring: str) -> str:
    return base64.b64encode(querystring.encode()).decode()


BAD_PAGES = [
    pytest.param({"cursor": "not-a-cursor"}, id="garbage"),
    pytest.param({"cursor": "%%%"}, id="percent"),
    pytest.param({"cursor": _cursor("o=-1")}, id="negative-offset"),
    pytest.param({"cursor": _cursor("r=x")}, id="bad-reverse"),
    pytest.param({"cursor": _cursor("p=%00")}, id="nul-position"),
    pytest.param({"cursor": _cursor("p=a%0Ab")}, id="newline-position"),
    pytest.param({"limit": "0"}, id="limit-0"),
    pytest.param({"limit": "-1"}, id="limit-negative"),
    pytest.param({"limit": "ten"}, id="limit-word"),
    pytest.param({"limit": "1e3"}, id="limit-exponent"),
]
# Positions that are no message id (history pages by id) but could be an inbox key's text.
NOT_AN_ID = [
    pytest.param({"cursor": _cursor("p=abc")}, id="text-position"),
    pytest.param({"cursor": _cursor("p=%C3%A9")}, id="unicode-position"),
    pytest.param({"cursor": _cursor("p=1.5")}, id="float-position"),
    pytest.param({"cursor": _cursor("p=-1")}, id="negative-position"),
]


@pytest.mark.parametrize("params", BAD_PAGES + NOT_AN_ID)
def test_history_bad_page_is_invalid(client_for, pair, params):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id

    response = client_for(me).get(f"/api/v1/conversations/{conversation_id}/messages", params)

    refused(response, 400, "invalid")


@pytest.mark.parametrize("params", BAD_PAGES)
def test_inbox_bad_page_is_invalid(client_for, pair, params):
    me, friend = pair
    send(friend, me, "hi")

    response = client_for(me).get("/api/v1/conversations", params)

    refused(response, 400, "invalid")


@pytest.mark.parametrize("params", NOT_AN_ID)
def test_inbox_odd_positions_are_only_places_in_the_order(client_for, pair, params):
    me, friend = pair
    send(friend, me, "hi")

    response = client_for(me).get("/api/v1/conversations", params)

    assert response.status_code == 200, response.content
    assert isinstance(response.json()["results"], list)


def test_history_huge_limit_is_capped(client_for, pair):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id

    response = client_for(me).get(
        f"/api/v1/conversations/{conversation_id}/messages", {"limit": "9" * 30}
    )

    assert [m["body"] for m in ok(response)["results"]] == ["hi"]


def test_huge_cursor_position_is_not_a_server_error(client_for, pair):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id

    response = client_for(me).get(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"cursor": _cursor("p=" + "9" * 30)},
    )

    # Past every id: the whole history lies before it (or the cursor is refused).
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["code"] == "invalid"
    else:
        assert [m["body"] for m in response.json()["results"]] == ["hi"]


# Sending


def test_send_by_conversation(client_for, pair):
    me, friend = pair
    conversation_id = send(friend, me, "hi").conversation_id

    response = client_for(me).post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"body": "hello back", "client_id": "abc-1"},
        format="json",
    )

    data = ok(response, 201)
    assert set(data) == MESSAGE_FIELDS
    message = Message.objects.get(pk=data["id"])
    assert data == {
        "id": message.pk,
        "conversation": conversation_id,
        "seq": 2,
        "sender": me.username,
        "body": "hello back",
        "client_id": "abc-1",
        "created_at": data["created_at"],
        "unsent": False,
        "attachments": [],
        "kind": "text",
        "reply_to": None,
        "reactions": [],
    }
    assert data["created_at"].endswith("Z")
    assert _history(client_for(friend), conversation_id)[0]["id"] == message.pk


def test_send_by_username_creates_the_conversation_once(client_for, pair):
    me, friend = pair
    api = client_for(me)

    first = ok(
        api.post("/api/v1/messages", {"to": friend.username, "body": "one"}, format="json"), 201
    )
    second = ok(
        api.post("/api/v1/messages", {"to": friend.username.upper(), "body": "two"}, format="json"),
        201,
    )

    assert set(first) == MESSAGE_FIELDS
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["conversation"] == second["conversation"]
    assert (first["client_id"], first["sender"]) == ("", me.username)
    inbox = ok(client_for(friend).get("/api/v1/conversations"))["results"]
    assert [(c["id"], c["unread_count"]) for c in inbox] == [(first["conversation"], 2)]
    assert inbox[0]["last_message"]["body"] == "two"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"body": "hi"}, 400, "invalid"),
        ({"to": "", "body": "hi"}, 400, "invalid"),
        ({"to": 5, "body": "hi"}, 400, "invalid"),
        ({"to": ["a"], "body": "hi"}, 400, "invalid"),
        ({"to": "a\x00", "body": "hi"}, 400, "invalid"),
        ({"to": "x" * 65, "body": "hi"}, 400, "invalid"),
        ({"to": "nobody", "body": "hi"}, 404, "not_found"),
        ({"to": "ünïcode", "body": "hi"}, 404, "not_found"),
    ],
    ids=["missing", "blank", "int", "list", "nul", "too-long", "unknown", "unicode"],
)
def test_send_by_username_bad_recipient(client_for, pair, payload, status, code):
    me, friend = pair
    before = written(me, friend)

    response = client_for(me).post("/api/v1/messages", payload, format="json")

    refused(response, status, code)
    assert written(me, friend) == before


@pytest.mark.parametrize("body", ["[1, 2", "{'a': 1}", "\xff", ""])
def test_send_bad_json(client_for, pair, body):
    me, friend = pair
    before = written(me, friend)

    response = client_for(me).post(
        "/api/v1/messages", body.encode("latin-1"), content_type="application/json"
    )

    refused(response, 400, "invalid")
    assert written(me, friend) == before


# Unsend


def test_unsend_erases_the_text_for_both(client_for, pair):
    me, friend = pair
    first = send(me, friend, "keep me")
    oops = send(me, friend, "oops")
    api = client_for(me)

    response = api.delete(f"/api/v1/messages/{oops.pk}")

    assert response.status_code == 204
    for user in (me, friend):
        history = _history(client_for(user), oops.conversation_id)
        assert [(m["id"], m["seq"], m["body"], m["unsent"]) for m in history] == [
            (oops.pk, 2, "", True),
            (first.pk, 1, "keep me", False),
        ]
        last = ok(client_for(user).get(f"/api/v1/conversations/{oops.conversation_id}"))
        assert (last["last_message"]["body"], last["last_message"]["unsent"]) == ("", True)
    assert Message.objects.get(pk=oops.pk).body == ""
    assert api.delete(f"/api/v1/messages/{oops.pk}").status_code == 204  # already gone: fine
    # The next message keeps counting: the tombstone holds its seq.
    assert send(friend, me, "next").seq == 3


def test_unsending_an_unread_message_lowers_the_unread_count_once(client_for, pair):
    me, friend = pair
    first = send(me, friend, "one")
    second = send(me, friend, "two")
    friend_api = client_for(friend)
    assert ok(friend_api.get("/api/v1/me"))["unread_total"] == 2

    assert client_for(me).delete(f"/api/v1/messages/{second.pk}").status_code == 204
    assert client_for(me).delete(f"/api/v1/messages/{second.pk}").status_code == 204
    assert ok(friend_api.get("/api/v1/me"))["unread_total"] == 1

    # Read, then unsent: the count was already 0 and stays 0.
    ok(
        friend_api.post(
            f"/api/v1/conversations/{first.conversation_id}/read",
            {"up_to": first.pk},
            format="json",
        )
    )
    assert client_for(me).delete(f"/api/v1/messages/{first.pk}").status_code == 204
    assert ok(friend_api.get("/api/v1/me"))["unread_total"] == 0
    # The sender's own count never moves for their own messages.
    assert ok(client_for(me).get("/api/v1/me"))["unread_total"] == 0


@pytest.mark.parametrize(
    ("seconds", "status"),
    [(-1, 204), (0, 204), (1, 403), (3600, 403)],
    ids=["just-inside", "at-the-limit", "just-after", "an-hour-after"],
)
def test_unsend_window(client_for, pair, seconds, status):
    me, friend = pair
    message = send(me, friend, "hello")
    api = client_for(me)

    moment = message.created_at + timedelta(seconds=django_settings.DM_UNSEND_SECONDS + seconds)
    with time_machine.travel(moment, tick=False):
        response = api.delete(f"/api/v1/messages/{message.pk}")

    assert response.status_code == status, response.content
    message.refresh_from_db()
    if status == 204:
        assert (message.body, message.unsent) == ("", True)
    else:
        assert response.json()["code"] == "permission_denied"
        assert (message.body, message.unsent) == ("hello", False)


def test_unsend_someone_elses_message_is_denied(client_for, pair):
    me, friend = pair
    theirs = send(friend, me, "mine, not yours")

    response = client_for(me).delete(f"/api/v1/messages/{theirs.pk}")

    refused(response, 403, "permission_denied")
    theirs.refresh_from_db()
    assert (theirs.body, theirs.unsent) == ("mine, not yours", False)


@pytest.mark.parametrize("which", ["others", "missing", "bigint-max", "huge"])
def test_unsend_outside_my_conversations_is_not_found(client_for, pair, which):
    me, friend = pair
    stranger = UserFactory()
    befriend(friend, stranger)
    private = send(friend, stranger, "private")
    ids = {
        "others": private.pk,
        "missing": private.pk + 1000,
        "bigint-max": 2**63 - 1,
        "huge": 99999999999999999999999,
    }

    response = client_for(me).delete(f"/api/v1/messages/{ids[which]}")

    refused(response, 404, "not_found")
    private.refresh_from_db()
    assert (private.body, private.unsent) == ("private", False)


# Read receipts


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [(True, True), (True, False), (False, True), (False, False)],
    ids=["both", "only-me", "only-them", "neither"],
)
def test_seen_only_when_both_turned_receipts_on(client_for, pair, mine, theirs):
    me, friend = pair
    privacy_services.privacy_settings_update(user=me, read_receipts=mine)
    privacy_services.privacy_settings_update(user=friend, read_receipts=theirs)
    first = send(me, friend, "one")
    second = send(me, friend, "two")
    reply = send(friend, me, "reply")
    third = send(me, friend, "three")
    conversation_id = first.conversation_id
    api = client_for(me)

    def seen() -> dict[int, bool | None]:
        return {m["id"]: m.get("seen") for m in _history(api, conversation_id)}

    before = seen()
    ok(
        client_for(friend).post(
            f"/api/v1/conversations/{conversation_id}/read", {"up_to": second.pk}, format="json"
        )
    )
    after = seen()
    sent = ok(
        api.post(f"/api/v1/conversations/{conversation_id}/messages", {"body": "4"}, format="json"),
        201,
    )
    by_name = ok(
        api.post("/api/v1/messages", {"to": friend.username, "body": "5"}, format="json"), 201
    )

    if mine and theirs:
        assert before == {third.pk: False, reply.pk: None, second.pk: False, first.pk: False}
        assert after == {third.pk: False, reply.pk: None, second.pk: True, first.pk: True}
        assert (sent["seen"], by_name["seen"]) == (False, False)
        # The friend sees "seen" on their own messages, once I read them.
        friends_view = {
            m["id"]: m.get("seen") for m in _history(client_for(friend), conversation_id)
        }
        assert friends_view[reply.pk] is False
        assert friends_view[first.pk] is None
    else:
        assert all(value is None for value in before.values())
        assert all(value is None for value in after.values())
        assert "seen" not in sent
        assert "seen" not in by_name
        assert all("seen" not in m for m in _history(client_for(friend), conversation_id))


# Blocking


def test_after_a_block_the_conversation_stays_read_only_for_both(client_for, pair):
    blocker, blocked = pair
    send(blocker, blocked, "hi")
    conversation_id = send(blocked, blocker, "hello").conversation_id
    privacy_services.block_create(blocker=blocker, blocked=blocked)
    blocker_api, blocked_api = client_for(blocker), client_for(blocked)
    url = f"/api/v1/conversations/{conversation_id}"

    for api in (blocker_api, blocked_api):
        inbox = ok(api.get("/api/v1/conversations"))["results"]
        assert [(c["id"], c["can_send"]) for c in inbox] == [(conversation_id, False)]
        assert ok(api.get(url))["can_send"] is False
        assert [m["body"] for m in _history(api, conversation_id)] == ["hello", "hi"]

    before = written(blocker, blocked)
    for api, to, status, code in [
        (blocker_api, blocked.username, 403, "you_blocked_user"),
        (blocked_api, blocker.username, 404, "not_found"),
    ]:
        by_conversation = api.post(f"{url}/messages", {"body": "still there?"}, format="json")
        refused(by_conversation, status, code)
        by_name = api.post("/api/v1/messages", {"to": to, "body": "hey"}, format="json")
        refused(by_name, status, code)
    assert written(blocker, blocked) == before
    refused(blocked_api.get(f"/api/v1/users/{blocker.username}"), 404, "not_found")
    refused(
        blocked_api.post("/api/v1/conversations", {"username": blocker.username}, format="json"),
        404,
        "not_found",
    )
    profile = ok(blocker_api.get(f"/api/v1/users/{blocked.username}"))
    assert profile["can_message"] == {"allowed": False, "code": "you_blocked_user"}

    # Unblocking lets the blocker write again: the other has written to them before.
    privacy_services.block_delete(blocker=blocker, blocked=blocked)
    ok(blocker_api.post(f"{url}/messages", {"body": "sorry"}, format="json"), 201)
    assert ok(blocked_api.get(url))["can_send"] is True


def test_a_request_from_someone_i_then_block_stays_visible(client_for):
    me, stranger = UserFactory.create_batch(2)
    set_preference(me, "everyone")
    conversation_id = send(stranger, me, "hi").conversation_id
    privacy_services.block_create(blocker=me, blocked=stranger)

    requests = ok(client_for(me).get("/api/v1/conversations?folder=requests"))["results"]

    assert [(c["id"], c["can_send"]) for c in requests] == [(conversation_id, False)]
    refused(
        client_for(stranger).post(
            f"/api/v1/conversations/{conversation_id}/messages", {"body": "?"}, format="json"
        ),
        404,
        "not_found",
    )
