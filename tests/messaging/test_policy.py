"""The DM policy of SPEC section 2 as a table, walked through `dm_decision` and the API.

Every rule failing alone with its code, the order between rules, every DM
preference against every relationship, message requests, minimum age by region
and both send limits at the limit and one past it.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import User
from accounts.services import user_deactivate
from dmsite.env import Rate
from messaging.models import Message, Participant
from messaging.policy import dm_decision, messages_window
from privacy import services as privacy_services
from tests.conftest import years_ago
from tests.factories import UserFactory
from tests.messaging.state import STATUS, befriend, send, set_preference, written

pytestmark = pytest.mark.django_db

ONE_DAY_SHORT_OF_16 = years_ago(16, days=1)


@dataclass
class Pair:
    """A would-be sender and recipient (None: no such user), and everyone else involved."""

    sender: User
    recipient: User | None
    settings: object
    others: list[User] = field(default_factory=list)

    @property
    def users(self) -> list[User]:
        return [self.sender, *([self.recipient] if self.recipient else []), *self.others]

    @property
    def to(self) -> str:
        return self.recipient.username if self.recipient else "nobody"


def _save(user: User, **fields) -> None:
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()


def _follow(follower: User, followee: User) -> None:
    privacy_services.follow_create(follower=follower, followee=followee)


def _interacted(pair: Pair) -> None:
    """The recipient has sent the sender a message (it lands in the sender's requests)."""
    set_preference(pair.sender, "everyone")
    send(pair.recipient, pair.sender, "hi, it's me")


def _requests_used(pair: Pair) -> None:
    for number in range(django_settings.DM_REQUEST_MAX_MESSAGES):
        send(pair.sender, pair.recipient, f"request {number}")


def _rate_full(pair: Pair) -> None:
    """Exactly fill the sender's messages window, with one more message to a third user."""
    already = len(messages_window().state(str(pair.sender.pk)).members)
    pair.settings.RATE_MESSAGES = Rate(already + 1, 60)
    third = UserFactory()
    befriend(pair.sender, third)
    send(pair.sender, third, "to someone else")
    pair.others.append(third)


def _block(blocker: User, blocked: User) -> None:
    privacy_services.block_create(blocker=blocker, blocked=blocked)


# Traits apply in this order whatever order a row names them in: the state that is
# built by sending (follows, messages) comes before the faults that would refuse it.
TRAITS = {
    # how the two stand (a pair with none of these is strangers)
    "friends": lambda pair: befriend(pair.sender, pair.recipient),
    "following": lambda pair: _follow(pair.sender, pair.recipient),
    "followed_by": lambda pair: _follow(pair.recipient, pair.sender),
    "interacted": _interacted,
    # the recipient's DM preference (none of these: the default for their age)
    "everyone": lambda pair: set_preference(pair.recipient, "everyone"),
    "friends_only": lambda pair: set_preference(pair.recipient, "friends"),
    "no_one": lambda pair: set_preference(pair.recipient, "no_one"),
    # state made by sending
    "requests_used": _requests_used,
    "rate_full": _rate_full,
    # the sender's own state
    "suspended": lambda pair: _save(
        pair.sender, messaging_suspended_until=timezone.now() + timedelta(hours=1)
    ),
    "suspension_over": lambda pair: _save(
        pair.sender, messaging_suspended_until=timezone.now() - timedelta(seconds=1)
    ),
    "sender_deactivated": lambda pair: user_deactivate(user=pair.sender),
    "no_phone": lambda pair: _save(pair.sender, phone_verified_at=None),
    "under_age": lambda pair: _save(pair.sender, date_of_birth=ONE_DAY_SHORT_OF_16),
    # the recipient's state
    "recipient_minor": lambda pair: _save(pair.recipient, date_of_birth=ONE_DAY_SHORT_OF_16),
    "recipient_deactivated": lambda pair: user_deactivate(user=pair.recipient),
    # blocks
    "blocked_by_recipient": lambda pair: _block(pair.recipient, pair.sender),
    "blocks_recipient": lambda pair: _block(pair.sender, pair.recipient),
    # who the recipient is
    "self": lambda pair: setattr(pair, "recipient", pair.sender),
    "unknown": lambda pair: setattr(pair, "recipient", None),
}


def build(settings, traits: tuple[str, ...]) -> Pair:
    unknown = set(traits) - set(TRAITS)
    assert not unknown, unknown
    pair = Pair(sender=UserFactory(), recipient=UserFactory(), settings=settings)
    for name, apply in TRAITS.items():
        if name in traits:
            apply(pair)
    # What the services saved, as a request would load it.
    pair.sender.refresh_from_db()
    if pair.recipient is not None:
        pair.recipient.refresh_from_db()
    return pair


def row(*traits: str, code: str | None = None, folder: str | None = None, id: str):
    return pytest.param(traits, code, folder, id=id)


ALONE = [
    row("friends", folder="inbox", id="friends-pass"),
    row("friends", "suspended", code="account_suspended", id="suspended"),
    row("friends", "suspension_over", folder="inbox", id="suspension-over"),
    row("friends", "sender_deactivated", code="account_suspended", id="sender-deactivated"),
    row("friends", "self", code="cannot_message_self", id="self"),
    row("unknown", code="not_found", id="unknown-recipient"),
    row("friends", "recipient_deactivated", code="not_found", id="recipient-deactivated"),
    row("friends", "blocked_by_recipient", code="not_found", id="blocked-by-recipient"),
    row("friends", "blocks_recipient", code="you_blocked_user", id="blocks-recipient"),
    row("friends", "no_phone", code="phone_required", id="no-phone"),
    row("friends", "under_age", code="age_restricted", id="under-age"),
    row("friends", "everyone", "recipient_minor", code="recipient_not_accepting", id="minor"),
    row("friends", "no_one", code="recipient_not_accepting", id="preference"),
    row("everyone", "requests_used", code="request_pending", id="request-pending"),
    row("friends", "rate_full", code="rate_limited", id="rate-limited"),
]

ORDER = [
    row("blocked_by_recipient", "no_phone", code="not_found", id="blocked+no-phone"),
    row("suspended", "self", code="account_suspended", id="suspended+self"),
    row("sender_deactivated", "unknown", code="account_suspended", id="deactivated+unknown"),
    row("suspended", "blocked_by_recipient", code="account_suspended", id="suspended+blocked"),
    row("self", "no_phone", code="cannot_message_self", id="self+no-phone"),
    row("self", "under_age", code="cannot_message_self", id="self+under-age"),
    row("unknown", "no_phone", code="not_found", id="unknown+no-phone"),
    row("recipient_deactivated", "blocks_recipient", code="not_found", id="deactivated+blocks"),
    row("blocked_by_recipient", "blocks_recipient", code="not_found", id="both-blocked"),
    row("blocks_recipient", "no_phone", code="you_blocked_user", id="blocks+no-phone"),
    row("blocks_recipient", "under_age", code="you_blocked_user", id="blocks+under-age"),
    row("interacted", "blocks_recipient", code="you_blocked_user", id="interacted+blocks"),
    row("no_phone", "under_age", code="phone_required", id="no-phone+under-age"),
    row("no_phone", "no_one", code="phone_required", id="no-phone+no-one"),
    row("under_age", "recipient_minor", code="age_restricted", id="under-age+minor"),
    row("friends", "under_age", "no_one", code="age_restricted", id="under-age+no-one"),
    row(
        "interacted",
        "recipient_minor",
        code="recipient_not_accepting",
        id="interacted+minor",
    ),
    row(
        "everyone",
        "recipient_minor",
        "rate_full",
        code="recipient_not_accepting",
        id="minor+rate-full",
    ),
    row("no_one", "rate_full", code="recipient_not_accepting", id="no-one+rate-full"),
    row(
        "everyone",
        "requests_used",
        "rate_full",
        code="request_pending",
        id="request-pending+rate-full",
    ),
]

# preference → relationship → (code, folder)
PREFERENCES = {
    "everyone": {
        "friends": (None, "inbox"),
        "following": (None, "requests"),
        "followed_by": (None, "requests"),
        "stranger": (None, "requests"),
        "interacted": (None, "inbox"),
    },
    "friends_only": {
        "friends": (None, "inbox"),
        "following": ("recipient_not_accepting", None),
        "followed_by": ("recipient_not_accepting", None),
        "stranger": ("recipient_not_accepting", None),
        "interacted": (None, "inbox"),
    },
    "no_one": {
        "friends": ("recipient_not_accepting", None),
        "following": ("recipient_not_accepting", None),
        "followed_by": ("recipient_not_accepting", None),
        "stranger": ("recipient_not_accepting", None),
        "interacted": (None, "inbox"),
    },
}
PREFERENCE_ROWS = [
    row(
        *([relationship] if relationship != "stranger" else []),
        preference,
        code=code,
        folder=folder,
        id=f"{preference}-x-{relationship}",
    )
    for preference, outcomes in PREFERENCES.items()
    for relationship, (code, folder) in outcomes.items()
] + [
    # An adult who never chose has `friends`.
    row("friends", folder="inbox", id="default-x-friends"),
    row("following", code="recipient_not_accepting", id="default-x-following"),
    row(code="recipient_not_accepting", id="default-x-stranger"),
    row("interacted", folder="inbox", id="default-x-interacted"),
]

TABLE = ALONE + ORDER + PREFERENCE_ROWS


@pytest.mark.parametrize(("traits", "code", "folder"), TABLE)
def test_dm_decision(settings, traits, code, folder):
    pair = build(settings, traits)
    before = written(*pair.users)

    decision = dm_decision(pair.sender, pair.recipient)

    assert (decision.allowed, decision.code, decision.folder) == (code is None, code, folder)
    if code == "rate_limited":
        assert 0 < decision.retry_after <= 60
    else:
        assert decision.retry_after is None
    assert written(*pair.users) == before  # deciding is read-only


@pytest.mark.parametrize(
    ("traits", "code", "folder"),
    [param for param in TABLE if "sender_deactivated" not in param.values[0]],
)
def test_table_through_the_api(settings, client_for, traits, code, folder):
    pair = build(settings, traits)
    before = written(*pair.users)
    messages_before = Message.objects.count()

    response = client_for(pair.sender).post(
        "/api/v1/messages", {"to": pair.to, "body": "hello"}, format="json"
    )

    if code is None:
        assert response.status_code == 201, response.json()
        assert Message.objects.count() == messages_before + 1
        theirs = Participant.objects.get(
            conversation_id=response.json()["conversation"], user=pair.recipient
        )
        assert (theirs.folder, theirs.hidden, theirs.unread_count) == (folder, False, 1)
    else:
        assert response.status_code == STATUS[code], response.json()
        assert response.json()["code"] == code
        assert written(*pair.users) == before
        if code == "rate_limited":
            assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.parametrize(
    ("traits", "code", "folder"),
    [param for param in TABLE if "sender_deactivated" not in param.values[0]],
)
def test_table_through_profile_and_conversation(settings, client_for, traits, code, folder):
    """`can_message` on the profile and `can_send` on the conversation say the same."""
    pair = build(settings, traits)
    api = client_for(pair.sender)

    profile = api.get(f"/api/v1/users/{pair.to}")

    invisible = {"unknown", "recipient_deactivated", "blocked_by_recipient"} & set(traits)
    if invisible:
        assert profile.status_code == 404, profile.json()
        assert profile.json()["code"] == "not_found"
        return
    assert profile.status_code == 200, profile.json()
    assert profile.json()["can_message"] == {"allowed": code is None, "code": code}
    if pair.recipient == pair.sender:
        return
    opened = api.post("/api/v1/conversations", {"username": pair.to}, format="json")
    assert opened.status_code in (200, 201), opened.json()
    assert opened.json()["can_send"] is (code is None)
    conversation = api.get(f"/api/v1/conversations/{opened.json()['id']}")
    assert conversation.status_code == 200, conversation.json()
    assert conversation.json()["can_send"] is (code is None)


def test_deactivated_sender_cannot_use_the_api(client_for):
    sender, friend = UserFactory.create_batch(2)
    befriend(sender, friend)
    api = client_for(sender)
    user_deactivate(user=sender)
    before = written(sender, friend)

    response = api.post("/api/v1/messages", {"to": friend.username, "body": "hi"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert written(sender, friend) == before


# Message requests


def _post(api, to: str, body: str = "hello"):
    return api.post("/api/v1/messages", {"to": to, "body": body}, format="json")


def _folder_ids(api, folder: str) -> list[int]:
    response = api.get(f"/api/v1/conversations?folder={folder}")
    assert response.status_code == 200, response.json()
    return [conversation["id"] for conversation in response.json()["results"]]


@pytest.mark.parametrize("unlock", ["accept", "reply"])
def test_message_requests_up_to_the_limit_then_after_acceptance(client_for, unlock):
    stranger, recipient = UserFactory.create_batch(2)
    set_preference(recipient, "everyone")
    sender_api, recipient_api = client_for(stranger), client_for(recipient)

    for number in range(3):
        response = _post(sender_api, recipient.username, f"request {number}")
        assert response.status_code == 201, response.json()
    conversation_id = response.json()["conversation"]

    requests = recipient_api.get("/api/v1/conversations?folder=requests").json()["results"]
    assert [(c["id"], c["folder"], c["unread_count"]) for c in requests] == [
        (conversation_id, "requests", 3)
    ]
    assert _folder_ids(recipient_api, "inbox") == []
    assert recipient_api.get("/api/v1/me").json()["unread_total"] == 0  # requests don't count
    # The sender's own side is in their inbox, and says they must wait.
    mine = sender_api.get("/api/v1/conversations").json()["results"]
    assert [(c["id"], c["can_send"]) for c in mine] == [(conversation_id, False)]
    assert dm_decision(stranger, recipient).code == "request_pending"

    before = written(stranger, recipient)
    fourth = _post(sender_api, recipient.username, "request 4")
    assert fourth.status_code == 403, fourth.json()
    assert fourth.json()["code"] == "request_pending"
    again = sender_api.post(
        f"/api/v1/conversations/{conversation_id}/messages", {"body": "please"}, format="json"
    )
    assert again.status_code == 403, again.json()
    assert again.json()["code"] == "request_pending"
    assert written(stranger, recipient) == before

    if unlock == "accept":
        accepted = recipient_api.post(f"/api/v1/conversations/{conversation_id}/accept")
        assert accepted.status_code == 200, accepted.json()
        assert accepted.json()["folder"] == "inbox"
    else:
        reply = recipient_api.post(
            f"/api/v1/conversations/{conversation_id}/messages", {"body": "hi!"}, format="json"
        )
        assert reply.status_code == 201, reply.json()

    assert dm_decision(stranger, recipient).folder == "inbox"
    for number in range(4):
        response = _post(sender_api, recipient.username, f"more {number}")
        assert response.status_code == 201, response.json()
    assert _folder_ids(recipient_api, "inbox") == [conversation_id]
    assert _folder_ids(recipient_api, "requests") == []
    expected_unread = 3 + 4  # replying or accepting marks nothing read by itself
    inbox = recipient_api.get("/api/v1/conversations").json()["results"]
    assert inbox[0]["folder"] == "inbox"
    assert inbox[0]["unread_count"] == expected_unread
    assert recipient_api.get("/api/v1/me").json()["unread_total"] == expected_unread
    assert sender_api.get("/api/v1/conversations").json()["results"][0]["can_send"] is True


def test_opening_a_chat_is_not_accepting_a_request(client_for):
    """The recipient opened a chat with the stranger but wrote nothing: still requests."""
    stranger, recipient = UserFactory.create_batch(2)
    set_preference(recipient, "everyone")
    opened = client_for(recipient).post(
        "/api/v1/conversations", {"username": stranger.username}, format="json"
    )
    assert opened.status_code == 201, opened.json()
    sender_api = client_for(stranger)

    for number in range(3):
        response = _post(sender_api, recipient.username, f"request {number}")
        assert response.status_code == 201, response.json()
    assert _folder_ids(client_for(recipient), "requests") == [opened.json()["id"]]

    before = written(stranger, recipient)
    fourth = _post(sender_api, recipient.username, "request 4")
    assert fourth.status_code == 403, fourth.json()
    assert fourth.json()["code"] == "request_pending"
    assert written(stranger, recipient) == before


def test_friends_skip_requests_and_their_limit(client_for):
    friend, recipient = UserFactory.create_batch(2)
    set_preference(recipient, "everyone")
    befriend(friend, recipient)
    api = client_for(friend)

    for number in range(5):
        response = _post(api, recipient.username, f"note {number}")
        assert response.status_code == 201, response.json()
    assert _folder_ids(client_for(recipient), "inbox") == [response.json()["conversation"]]


# Minimum age by region

GB_NUMBER = "+447400123456"
US_NUMBER = "+12025550143"


def test_region_minimum_age_for_the_sender(settings, client_for):
    settings.DM_MIN_AGE_BY_REGION = {"GB": 18}
    friend = UserFactory()
    british = UserFactory(date_of_birth=years_ago(17), phone_number=GB_NUMBER)
    american = UserFactory(date_of_birth=years_ago(17), phone_number=US_NUMBER)
    assert (british.region, american.region) == ("GB", "US")
    befriend(british, friend)
    befriend(american, friend)

    assert dm_decision(british, friend).code == "age_restricted"
    before = written(british, friend)
    refused = _post(client_for(british), friend.username)
    assert refused.status_code == 403, refused.json()
    assert refused.json()["code"] == "age_restricted"
    assert written(british, friend) == before

    assert dm_decision(american, friend).allowed
    assert _post(client_for(american), friend.username).status_code == 201


@pytest.mark.parametrize(
    ("phone_number", "days", "code"),
    [
        (US_NUMBER, 0, None),
        (US_NUMBER, 1, "age_restricted"),
        (GB_NUMBER, 0, None),
        (GB_NUMBER, 1, "age_restricted"),
    ],
    ids=["16-today", "16-tomorrow", "GB-18-today", "GB-18-tomorrow"],
)
def test_sender_minimum_age_boundary(settings, client_for, phone_number, days, code):
    settings.DM_MIN_AGE_BY_REGION = {"GB": 18}
    minimum = 18 if phone_number == GB_NUMBER else 16
    sender = UserFactory(date_of_birth=years_ago(minimum, days=days), phone_number=phone_number)
    friend = UserFactory()
    befriend(sender, friend)

    assert dm_decision(sender, friend).code == code
    response = _post(client_for(sender), friend.username)
    if code is None:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 403, response.json()
        assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("phone_number", "born", "code", "folder"),
    [
        (GB_NUMBER, years_ago(17), "recipient_not_accepting", None),
        (US_NUMBER, years_ago(17), None, "requests"),
        (US_NUMBER, years_ago(16), None, "requests"),
        (US_NUMBER, years_ago(16, days=1), "recipient_not_accepting", None),
    ],
    ids=["GB-17", "US-17", "US-16-today", "US-16-tomorrow"],
)
def test_recipient_minimum_age_by_region(settings, client_for, phone_number, born, code, folder):
    settings.DM_MIN_AGE_BY_REGION = {"GB": 18}
    sender = UserFactory()
    recipient = UserFactory(date_of_birth=born, phone_number=phone_number)
    set_preference(recipient, "everyone")

    decision = dm_decision(sender, recipient)

    assert (decision.code, decision.folder) == (code, folder)
    before = written(sender, recipient)
    response = _post(client_for(sender), recipient.username)
    if code is None:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 403, response.json()
        assert response.json()["code"] == code
        assert written(sender, recipient) == before
    # A minor's age is never revealed: the profile says only "not accepting".
    profile = client_for(sender).get(f"/api/v1/users/{recipient.username}").json()
    assert profile["can_message"] == {"allowed": code is None, "code": code}


# Rate limits


def test_messages_per_sender_at_the_limit_and_one_past(settings, client_for):
    settings.RATE_MESSAGES = Rate(3, 60)
    sender, friend, other_friend = UserFactory.create_batch(3)
    befriend(sender, friend)
    befriend(sender, other_friend)
    api = client_for(sender)

    for number in range(3):
        response = api.post(
            "/api/v1/messages",
            {"to": friend.username, "body": f"m{number}", "client_id": f"c{number}"},
            format="json",
        )
        assert response.status_code == 201, response.json()

    before = written(sender, friend, other_friend)
    for to in (friend.username, other_friend.username):  # the limit is the sender's
        refused = _post(api, to, "one too many")
        assert refused.status_code == 429, refused.json()
        assert refused.json()["code"] == "rate_limited"
        assert refused["Retry-After"].isdigit()
        assert 1 <= int(refused["Retry-After"]) <= 60
    assert written(sender, friend, other_friend) == before
    decision = dm_decision(sender, friend)
    assert (decision.code, 0 < decision.retry_after <= 60) == ("rate_limited", True)
    assert api.get(f"/api/v1/users/{friend.username}").json()["can_message"] == {
        "allowed": False,
        "code": "rate_limited",
    }
    # A retry of a stored message is not a new message: it is answered, and counts nothing.
    retry = api.post(
        "/api/v1/messages", {"to": friend.username, "body": "m2", "client_id": "c2"}, format="json"
    )
    assert retry.status_code == 200, retry.json()
    assert written(sender, friend, other_friend) == before

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert dm_decision(sender, friend).allowed
        for number in range(3):
            assert _post(api, other_friend.username, f"later {number}").status_code == 201
        assert _post(api, friend.username).json()["code"] == "rate_limited"


def test_distinct_recipients_at_the_limit_and_one_past(settings, client_for):
    settings.RATE_RECIPIENTS = Rate(2, 3600)
    settings.RATE_MESSAGES = Rate(100, 60)
    sender, first, second, third = UserFactory.create_batch(4)
    for friend in (first, second, third):
        befriend(sender, friend)
    api = client_for(sender)

    for to in (first, first, second, first, second):  # the same person again is no new one
        response = _post(api, to.username)
        assert response.status_code == 201, response.json()

    before = written(sender, first, second, third)
    refused = _post(api, third.username)
    assert refused.status_code == 429, refused.json()
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert written(sender, first, second, third) == before
    assert dm_decision(sender, third).code == "rate_limited"
    assert dm_decision(sender, first).allowed  # people already written to still pass
    assert _post(api, second.username).status_code == 201

    with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
        assert dm_decision(sender, third).allowed
        response = _post(api, third.username)
        assert response.status_code == 201, response.json()
