"""Group chats over REST (SPEC section 9): who may add whom, membership, sends, history.

Each rule and each bad input with its exact status and code; a refused change
writes nothing.
"""

import pytest

from accounts.services import user_deactivate
from dmsite.env import Rate
from messaging.models import Conversation, Message, Participant
from privacy import services as privacy_services
from tests.conftest import years_ago
from tests.factories import UserFactory
from tests.messaging.state import befriend, ok, refused, send, set_preference
from tests.messaging.test_conversations_api import CONVERSATION_FIELDS

pytestmark = pytest.mark.django_db

GROUP_FIELDS = CONVERSATION_FIELDS  # one shape for both kinds


def friends_of(owner, count: int, **fields) -> list:
    """`count` new users, each a friend of `owner`."""
    users = UserFactory.create_batch(count, **fields)
    for user in users:
        befriend(owner, user)
    return users


def create(client, usernames, **extra):
    return client.post("/api/v1/conversations", {"usernames": usernames, **extra}, format="json")


def group_of(client_for, owner, members, title=""):
    return ok(create(client_for(owner), [m.username for m in members], title=title), 201)


def history(client, conversation_id) -> list[dict]:
    data = ok(client.get(f"/api/v1/conversations/{conversation_id}/messages"))
    return list(reversed(data["results"]))


def snapshot() -> tuple:
    return (
        Conversation.objects.count(),
        Participant.objects.count(),
        Message.objects.count(),
        list(Participant.objects.order_by("pk").values_list("pk", "state", "role", "folder")),
        list(Conversation.objects.order_by("pk").values_list("pk", "title", "last_seq")),
    )


@pytest.fixture(autouse=True)
def _many_follows(settings):
    # Groups of 32 need more friends than RATE_FOLLOWS allows one user at once.
    settings.RATE_FOLLOWS = Rate(1000, 600)


@pytest.fixture
def trio():
    owner = UserFactory(username="ann")
    bob, cat = UserFactory(username="bob"), UserFactory(username="cat")
    befriend(owner, bob)
    befriend(owner, cat)
    return owner, bob, cat


# Creating -----------------------------------------------------------------------------


def test_create_a_group(client_for, trio):
    ann, bob, cat = trio
    data = group_of(client_for, ann, [bob, cat], title="Trip")

    assert set(data) == GROUP_FIELDS
    assert (data["kind"], data["title"], data["other_user"]) == ("group", "Trip", None)
    assert data["members"] == [
        {"username": "ann", "display_name": "Ann", "role": "owner", "state": "member"},
        {"username": "bob", "display_name": "Bob", "role": "member", "state": "member"},
        {"username": "cat", "display_name": "Cat", "role": "member", "state": "member"},
    ]
    assert (data["member_count"], data["folder"], data["can_send"]) == (3, "inbox", True)
    assert [
        (m["kind"], m["sender"], m["body"], m["seq"]) for m in history(client_for(bob), data["id"])
    ] == [
        ("system", "ann", "ann created the group", 1),
        ("system", "ann", "ann added bob and cat", 2),
    ]
    # In everyone's inbox at once, with nothing unread (system lines are not counted).
    for user in (bob, cat):
        inbox = ok(client_for(user).get("/api/v1/conversations"))["results"]
        assert [(c["id"], c["kind"], c["unread_count"]) for c in inbox] == [
            (data["id"], "group", 0)
        ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"usernames": ["bob"]}, "usernames"),  # one other user
        ({"usernames": ["bob", "cat", "BOB"]}, "usernames"),  # a duplicate, ignoring case
        ({"usernames": ["bob", "ann"]}, "usernames"),  # my own name
        ({"usernames": ["bob", "cat"], "username": "bob"}, None),  # both forms
        ({"usernames": ["bob", "cat"], "title": "x" * 51}, "title"),
        ({"usernames": ["bob", "cat"], "title": "a\x07b"}, "title"),
        ({"usernames": ["bob", "cat"], "title": 5}, "title"),
        ({"usernames": "bob,cat"}, "usernames"),
        ({"usernames": ["bob", 7]}, "usernames"),
        ({"username": "bob", "title": "x"}, None),  # a direct conversation has no title
    ],
)
def test_bad_create_is_invalid_and_writes_nothing(client_for, trio, body, field):
    ann, _, _ = trio
    before = snapshot()
    response = client_for(ann).post("/api/v1/conversations", body, format="json")
    refused(response, 400, "invalid")
    if field:
        assert field in response.json()["fields"]
    assert snapshot() == before


def test_a_title_of_50_characters_is_fine(client_for, trio):
    ann, bob, cat = trio
    assert group_of(client_for, ann, [bob, cat], title="é" * 50)["title"] == "é" * 50


def test_32_others_is_group_full_31_is_fine(client_for, settings):
    owner = UserFactory()
    others = friends_of(owner, 32)
    before = snapshot()
    refused(create(client_for(owner), [u.username for u in others]), 409, "group_full")
    assert snapshot() == before

    data = ok(create(client_for(owner), [u.username for u in others[:31]]), 201)
    assert data["member_count"] == settings.GROUP_MAX_MEMBERS == 32


def test_group_max_members_comes_from_settings(client_for, settings):
    settings.GROUP_MAX_MEMBERS = 3
    owner = UserFactory()
    others = friends_of(owner, 3)
    refused(create(client_for(owner), [u.username for u in others]), 409, "group_full")
    ok(create(client_for(owner), [u.username for u in others[:2]]), 201)


def test_rate_groups(client_for, trio, settings):
    settings.RATE_GROUPS = Rate(2, 3600)
    ann, bob, cat = trio
    for _ in range(2):
        group_of(client_for, ann, [bob, cat])
    before = snapshot()
    response = create(client_for(ann), ["bob", "cat"])
    refused(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert snapshot() == before


def test_a_refused_create_is_not_counted(client_for, trio, settings):
    settings.RATE_GROUPS = Rate(1, 3600)
    ann, bob, cat = trio
    stranger = UserFactory()
    refused(create(client_for(ann), ["bob", stranger.username]), 403, "recipient_not_accepting")
    group_of(client_for, ann, [bob, cat])


# Who may add whom: SPEC section 9's order ----------------------------------------------


def _suspend(user):
    from datetime import timedelta

    from django.utils import timezone

    user.messaging_suspended_until = timezone.now() + timedelta(days=1)
    user.save()


def _no_phone(user):
    user.phone_verified_at = None
    user.save()


def _too_young(user):
    user.date_of_birth = years_ago(15)
    user.save()


@pytest.mark.parametrize(
    ("make_adder_fail", "status", "code"),
    [
        (_suspend, 403, "account_suspended"),
        (_no_phone, 403, "phone_required"),
        (_too_young, 403, "age_restricted"),
    ],
)
def test_the_adder_passes_the_senders_own_rules(client_for, trio, make_adder_fail, status, code):
    ann, _bob, _cat = trio
    make_adder_fail(ann)
    before = snapshot()
    refused(create(client_for(ann), ["bob", "cat"]), status, code)
    assert snapshot() == before


def _unknown(ann, target):
    return "nobody-at-all"


def _deactivated(ann, target):
    user_deactivate(user=target)
    return target.username


def _blocked_the_adder(ann, target):
    privacy_services.block_create(blocker=target, blocked=ann)
    return target.username


def _blocked_by_adder(ann, target):
    privacy_services.block_create(blocker=ann, blocked=target)
    return target.username


def _not_a_friend(ann, target):
    privacy_services.follow_delete(follower=target, followee=ann)
    return target.username


def _one_way_follow(ann, target):
    privacy_services.follow_delete(follower=ann, followee=target)
    return target.username


def _under_dm_age(ann, target):
    target.date_of_birth = years_ago(15)
    target.save()
    return target.username


def _prefers_no_one(ann, target):
    set_preference(target, "no_one")
    return target.username


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (_unknown, 404, "not_found"),
        (_deactivated, 404, "not_found"),
        (_blocked_the_adder, 404, "not_found"),
        (_blocked_by_adder, 403, "you_blocked_user"),
        (_not_a_friend, 403, "recipient_not_accepting"),
        (_one_way_follow, 403, "recipient_not_accepting"),
        (_under_dm_age, 403, "recipient_not_accepting"),
        (_prefers_no_one, 403, "recipient_not_accepting"),
    ],
)
def test_who_may_be_added(client_for, trio, make, status, code):
    ann, _bob, cat = trio
    name = make(ann, cat)
    before = snapshot()
    response = create(client_for(ann), ["bob", name])
    refused(response, status, code)
    assert name in response.json()["detail"]
    assert snapshot() == before


def test_everyone_preference_still_needs_friendship(client_for, trio):
    ann, bob, cat = trio
    stranger = UserFactory()
    set_preference(stranger, "everyone")
    refused(create(client_for(ann), ["bob", stranger.username]), 403, "recipient_not_accepting")
    set_preference(cat, "everyone")
    group_of(client_for, ann, [bob, cat])


def test_the_first_failing_username_decides(client_for, trio):
    ann, bob, _cat = trio
    privacy_services.block_create(blocker=ann, blocked=bob)
    response = create(client_for(ann), ["nobody-x", "bob", "cat"])
    refused(response, 404, "not_found")
    assert "nobody-x" in response.json()["detail"]
    response = create(client_for(ann), ["cat", "bob", "nobody-x"])
    refused(response, 403, "you_blocked_user")
    assert "bob" in response.json()["detail"]


def test_the_policy_decides_a_list_in_a_fixed_number_of_queries(trio):
    from messaging.policy import group_add_decisions

    ann, _, _ = trio
    few = friends_of(ann, 2)
    many = friends_of(ann, 20)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert all(a.decision.allowed for a in group_add_decisions(ann, [u.username for u in few]))
    with CaptureQueriesContext(connection) as large:
        assert all(a.decision.allowed for a in group_add_decisions(ann, [u.username for u in many]))
    assert len(small) == len(large) == 1


# Invitations: 16 and 17 choose to join -----------------------------------------------


@pytest.fixture
def teen(trio):
    ann = trio[0]
    teen = UserFactory(username="tia", date_of_birth=years_ago(17))
    befriend(ann, teen)
    set_preference(teen, "friends")  # under 18 the default is no one
    return teen


def test_a_minor_gets_an_invitation_and_accepts(client_for, trio, teen):
    ann, bob, _cat = trio
    data = group_of(client_for, ann, [bob, teen])
    group_id = data["id"]
    assert {m["username"]: m["state"] for m in data["members"]} == {
        "ann": "member",
        "bob": "member",
        "tia": "invited",
    }
    assert data["member_count"] == 2
    send(ann, None, "before tia", conversation=Conversation.objects.get(pk=group_id))
    tia = client_for(teen)

    assert ok(tia.get("/api/v1/conversations"))["results"] == []
    requests = ok(tia.get("/api/v1/conversations?folder=requests"))["results"]
    assert [
        (c["id"], c["folder"], c["last_message"], c["unread_count"], c["can_send"])
        for c in requests
    ] == [(group_id, "requests", None, 0, False)]
    assert {m["username"] for m in requests[0]["members"]} == {"ann", "bob", "tia"}
    refused(tia.get(f"/api/v1/conversations/{group_id}/messages"), 403, "permission_denied")
    refused(
        tia.post(f"/api/v1/conversations/{group_id}/messages", {"body": "hi"}, format="json"),
        404,
        "not_found",
    )
    assert ok(client_for(teen).get("/api/v1/me"))["unread_total"] == 0

    joined = ok(tia.post(f"/api/v1/conversations/{group_id}/accept"))
    assert (joined["folder"], joined["member_count"], joined["can_send"]) == ("inbox", 3, True)
    # Her history starts with her joining.
    assert [(m["kind"], m["body"]) for m in history(tia, group_id)] == [("system", "tia joined")]
    ok(tia.post(f"/api/v1/conversations/{group_id}/messages", {"body": "hi"}, format="json"), 201)
    assert [m["body"] for m in history(client_for(bob), group_id)][-3:] == [
        "before tia",
        "tia joined",
        "hi",
    ]


def test_a_minor_declines_an_invitation(client_for, trio, teen):
    ann, bob, _ = trio
    group_id = group_of(client_for, ann, [bob, teen])["id"]
    tia = client_for(teen)
    assert tia.delete(f"/api/v1/conversations/{group_id}").status_code == 204
    refused(tia.get(f"/api/v1/conversations/{group_id}"), 404, "not_found")
    members = ok(client_for(ann).get(f"/api/v1/conversations/{group_id}"))["members"]
    assert [m["username"] for m in members] == ["ann", "bob"]


def test_15_year_olds_are_never_added(client_for, trio):
    ann, _bob, _ = trio
    kid = UserFactory(date_of_birth=years_ago(15))
    befriend(ann, kid)
    set_preference(kid, "friends")
    refused(create(client_for(ann), ["bob", kid.username]), 403, "recipient_not_accepting")


# Adding ------------------------------------------------------------------------------


def add(client, group_id, usernames):
    return client.post(
        f"/api/v1/conversations/{group_id}/members", {"usernames": usernames}, format="json"
    )


def test_any_member_adds_their_friends(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    dan = UserFactory(username="dan")
    befriend(bob, dan)  # bob's friend, not ann's
    data = ok(add(client_for(bob), group_id, ["dan"]))
    assert [m["username"] for m in data["members"]] == ["ann", "bob", "cat", "dan"]
    assert history(client_for(dan), group_id)[0]["body"] == "bob added dan"
    # The rules are from the adder's side: ann is no friend of eve.
    eve = UserFactory(username="eve")
    befriend(bob, eve)
    refused(add(client_for(ann), group_id, ["eve"]), 403, "recipient_not_accepting")


@pytest.mark.parametrize(
    ("usernames", "status", "code"),
    [
        (["bob"], 400, "invalid"),  # already in the group
        (["ann"], 400, "invalid"),  # myself
        (["dan", "DAN"], 400, "invalid"),
        ([], 400, "invalid"),
        ("dan", 400, "invalid"),
        (["nobody-x"], 404, "not_found"),
    ],
)
def test_bad_additions(client_for, trio, usernames, status, code):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    dan = UserFactory(username="dan")
    befriend(ann, dan)
    before = snapshot()
    refused(add(client_for(ann), group_id, usernames), status, code)
    assert snapshot() == before


def test_adding_the_33rd_is_group_full(client_for, settings):
    owner = UserFactory()
    others = friends_of(owner, 32)
    group_id = ok(create(client_for(owner), [u.username for u in others[:30]]), 201)["id"]
    ok(add(client_for(owner), group_id, [others[30].username]))
    before = snapshot()
    refused(add(client_for(owner), group_id, [others[31].username]), 409, "group_full")
    assert snapshot() == before


def test_an_invitation_takes_a_seat(client_for, settings, trio, teen):
    settings.GROUP_MAX_MEMBERS = 4
    ann, bob, _cat = trio
    group_id = group_of(client_for, ann, [bob, teen])["id"]
    ok(add(client_for(ann), group_id, ["cat"]))
    dan = UserFactory()
    befriend(ann, dan)
    refused(add(client_for(ann), group_id, [dan.username]), 409, "group_full")


def test_adding_to_a_direct_conversation_or_a_group_im_not_in(client_for, trio, pair):
    ann, bob, cat = trio
    direct = send(ann, bob).conversation_id
    refused(add(client_for(ann), direct, ["cat"]), 404, "not_found")
    me, _ = pair
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    refused(add(client_for(me), group_id, ["cat"]), 404, "not_found")
    refused(add(client_for(ann), 10**30, ["cat"]), 404, "not_found")


# Removing and leaving ----------------------------------------------------------------


def remove(client, group_id, username):
    return client.delete(f"/api/v1/conversations/{group_id}/members/{username}")


def test_the_owner_removes_a_member_who_keeps_history_up_to_then(client_for, trio):
    ann, bob, cat = trio
    group = group_of(client_for, ann, [bob, cat])
    conversation = Conversation.objects.get(pk=group["id"])
    send(cat, None, "before", conversation=conversation)
    assert remove(client_for(ann), group["id"], "CAT").status_code == 204
    send(ann, None, "after", conversation=conversation)

    kept = history(client_for(cat), group["id"])
    assert [m["body"] for m in kept][-2:] == ["before", "ann removed cat"]
    mine = ok(client_for(cat).get(f"/api/v1/conversations/{group['id']}"))
    assert mine["can_send"] is False
    assert mine["last_message"] is None  # the group went on without her
    assert [m["username"] for m in mine["members"]] == ["ann", "bob"]
    refused(
        client_for(cat).post(
            f"/api/v1/conversations/{group['id']}/messages", {"body": "hey"}, format="json"
        ),
        404,
        "not_found",
    )
    refused(add(client_for(cat), group["id"], ["bob"]), 404, "not_found")
    # Her unread count does not grow.
    assert Participant.objects.get(conversation=conversation, user=cat).unread_count == 0
    assert ok(client_for(bob).get(f"/api/v1/conversations/{group['id']}"))["unread_count"] == 2


def test_only_the_owner_removes_others(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    before = snapshot()
    refused(remove(client_for(bob), group_id, "cat"), 403, "permission_denied")
    refused(remove(client_for(bob), group_id, "ann"), 403, "permission_denied")
    refused(remove(client_for(ann), group_id, "nobody-x"), 404, "not_found")
    assert snapshot() == before


def test_the_owner_leaves_and_the_earliest_member_takes_over(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    assert remove(client_for(ann), group_id, "ann").status_code == 204
    members = ok(client_for(cat).get(f"/api/v1/conversations/{group_id}"))["members"]
    assert [(m["username"], m["role"]) for m in members] == [("bob", "owner"), ("cat", "member")]
    assert history(client_for(cat), group_id)[-1]["body"] == "ann left"
    # The new owner may now remove; the old one is out.
    assert remove(client_for(bob), group_id, "cat").status_code == 204
    refused(remove(client_for(ann), group_id, "bob"), 404, "not_found")


def test_the_last_member_leaves(client_for, trio, teen):
    ann, bob, _cat = trio
    group_id = group_of(client_for, ann, [bob, teen])["id"]
    assert remove(client_for(bob), group_id, "bob").status_code == 204
    assert remove(client_for(ann), group_id, "ann").status_code == 204
    # Nobody is left to join: the invitation lapsed.
    assert ok(client_for(teen).get("/api/v1/conversations?folder=requests"))["results"] == []
    refused(client_for(teen).post(f"/api/v1/conversations/{group_id}/accept"), 404, "not_found")
    refused(remove(client_for(ann), group_id, "ann"), 404, "not_found")


def test_the_owner_withdraws_an_invitation(client_for, trio, teen):
    ann, bob, _ = trio
    group_id = group_of(client_for, ann, [bob, teen])["id"]
    assert remove(client_for(ann), group_id, "tia").status_code == 204
    assert ok(client_for(teen).get("/api/v1/conversations?folder=requests"))["results"] == []


def test_a_former_member_can_be_added_again(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    remove(client_for(cat), group_id, "cat")
    data = ok(add(client_for(ann), group_id, ["cat"]))
    assert data["member_count"] == 3
    assert history(client_for(cat), group_id)[0]["body"] == "ann added cat"


# Renaming ---------------------------------------------------------------------------


def test_any_member_renames(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    client = client_for(bob)
    data = ok(
        client.patch(f"/api/v1/conversations/{group_id}", {"title": "  Ski  "}, format="json")
    )
    assert data["title"] == "Ski"
    ok(client.patch(f"/api/v1/conversations/{group_id}", {"title": ""}, format="json"))
    assert [m["body"] for m in history(client_for(cat), group_id)][-2:] == [
        'bob named the group "Ski"',
        "bob removed the group name",
    ]


@pytest.mark.parametrize("title", ["x" * 51, "a\nb", "\x00", 3, None])
def test_bad_titles(client_for, trio, title):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat], title="Old")["id"]
    before = snapshot()
    refused(
        client_for(ann).patch(f"/api/v1/conversations/{group_id}", {"title": title}, format="json"),
        400,
        "invalid",
    )
    assert snapshot() == before


def test_a_direct_conversation_has_no_title(client_for, trio):
    ann, bob, _ = trio
    direct = send(ann, bob).conversation_id
    refused(
        client_for(ann).patch(f"/api/v1/conversations/{direct}", {"title": "x"}, format="json"),
        400,
        "invalid",
    )


def test_a_removed_member_cannot_rename(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    remove(client_for(ann), group_id, "cat")
    refused(
        client_for(cat).patch(f"/api/v1/conversations/{group_id}", {"title": "x"}, format="json"),
        404,
        "not_found",
    )
    # Her own side she still controls.
    ok(client_for(cat).patch(f"/api/v1/conversations/{group_id}", {"muted": True}, format="json"))


# Sending ----------------------------------------------------------------------------


def post(client, group_id, body="hi", **extra):
    return client.post(
        f"/api/v1/conversations/{group_id}/messages", {"body": body, **extra}, format="json"
    )


def test_send_unread_mute_pin_hide(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    message = ok(post(client_for(bob), group_id, "hello all"), 201)
    assert (message["kind"], message["sender"], message["seq"]) == ("text", "bob", 3)
    assert "seen" not in message
    for user, unread in ((ann, 1), (cat, 1), (bob, 0)):
        assert (
            ok(client_for(user).get(f"/api/v1/conversations/{group_id}"))["unread_count"] == unread
        )
        assert ok(client_for(user).get("/api/v1/me"))["unread_total"] == unread
    cat_client = client_for(cat)
    ok(cat_client.patch(f"/api/v1/conversations/{group_id}", {"muted": True}, format="json"))
    assert ok(cat_client.get("/api/v1/me"))["unread_total"] == 0
    ok(
        cat_client.post(
            f"/api/v1/conversations/{group_id}/read", {"up_to": message["id"]}, format="json"
        )
    )
    assert ok(cat_client.get(f"/api/v1/conversations/{group_id}"))["unread_count"] == 0
    assert cat_client.delete(f"/api/v1/conversations/{group_id}").status_code == 204
    assert ok(cat_client.get("/api/v1/conversations"))["results"] == []
    ok(post(client_for(ann), group_id, "back"), 201)
    assert [c["id"] for c in ok(cat_client.get("/api/v1/conversations"))["results"]] == [group_id]


def test_group_counts_as_one_recipient(client_for, trio, settings):
    from dmsite.env import Rate
    from tests.messaging.state import windows

    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    ok(post(client_for(ann), group_id, "one"), 201)
    ok(post(client_for(ann), group_id, "two"), 201)
    messages, recipients = windows(ann)
    assert len(messages) == 2
    assert recipients == frozenset({f"group:{group_id}"})
    settings.RATE_MESSAGES = Rate(2, 60)
    before = snapshot()
    refused(post(client_for(ann), group_id, "three"), 429, "rate_limited")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [(_suspend, 403, "account_suspended"), (_no_phone, 403, "phone_required")],
)
def test_sender_rules_apply_in_groups(client_for, trio, make, status, code):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    make(bob)
    before = snapshot()
    refused(post(client_for(bob), group_id), status, code)
    assert snapshot() == before


def test_preferences_do_not_apply_inside_a_group(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    set_preference(cat, "no_one")
    privacy_services.follow_delete(follower=cat, followee=bob)
    ok(post(client_for(bob), group_id), 201)


def test_bad_bodies_in_a_group(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    before = snapshot()
    refused(post(client_for(ann), group_id, "   "), 400, "empty_message")
    refused(post(client_for(ann), group_id, "x" * 2001), 400, "message_too_long")
    refused(post(client_for(ann), group_id, 5), 400, "invalid")
    assert snapshot() == before


def test_client_id_across_a_direct_chat_and_a_group(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    client = client_for(ann)
    first = ok(post(client, group_id, "g", client_id="same"), 201)
    assert ok(post(client, group_id, "g", client_id="same"), 200)["id"] == first["id"]
    before = snapshot()
    refused(
        client.post(
            "/api/v1/messages", {"to": "bob", "body": "d", "client_id": "same"}, format="json"
        ),
        400,
        "invalid",
    )
    assert snapshot() == before
    ok(
        client.post(
            "/api/v1/messages", {"to": "bob", "body": "d", "client_id": "other"}, format="json"
        ),
        201,
    )
    refused(post(client, group_id, "g", client_id="other"), 400, "invalid")
    assert snapshot()[2] == before[2] + 1


def test_a_blocked_senders_messages_are_placeholders(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    privacy_services.block_create(blocker=cat, blocked=bob)
    message = ok(post(client_for(bob), group_id, "secret"), 201)
    seen_by_cat = history(client_for(cat), group_id)[-1]
    assert seen_by_cat == {**message, "body": "", "attachments": [], "blocked": True}
    assert history(client_for(ann), group_id)[-1]["body"] == "secret"
    # Not counted as unread, and the inbox row shows the placeholder.
    row = ok(client_for(cat).get(f"/api/v1/conversations/{group_id}"))
    assert (row["unread_count"], row["last_message"]["blocked"]) == (0, True)
    # Neither can add the other.
    remove(client_for(ann), group_id, "bob")
    refused(add(client_for(cat), group_id, ["bob"]), 403, "you_blocked_user")


def test_unsend_in_a_group(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    message = ok(post(client_for(bob), group_id, "oops"), 201)
    assert client_for(bob).delete(f"/api/v1/messages/{message['id']}").status_code == 204
    assert history(client_for(cat), group_id)[-1]["unsent"] is True
    assert ok(client_for(cat).get(f"/api/v1/conversations/{group_id}"))["unread_count"] == 0


def test_direct_list_with_groups_in_it(client_for, trio):
    ann, bob, cat = trio
    send(bob, ann, "direct")
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    inbox = ok(client_for(ann).get("/api/v1/conversations"))["results"]
    assert [(c["kind"], c["member_count"]) for c in inbox] == [("group", 3), ("direct", 2)]
    assert inbox[0]["id"] == group_id
    assert inbox[1]["other_user"]["username"] == "bob"


def test_reactions_in_a_group(client_for, trio):
    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat])["id"]
    message = ok(post(client_for(bob), group_id, "react to me"), 201)
    url = f"/api/v1/messages/{message['id']}/reaction"
    ok(client_for(cat).put(url, {"emoji": "👍"}, format="json"))
    ok(client_for(bob).put(url, {"emoji": "😂"}, format="json"))  # my own message
    assert history(client_for(ann), group_id)[-1]["reactions"] == [
        {"user": "cat", "emoji": "👍"},
        {"user": "bob", "emoji": "😂"},
    ]
    system_line = history(client_for(ann), group_id)[0]
    refused(
        client_for(ann).put(
            f"/api/v1/messages/{system_line['id']}/reaction", {"emoji": "👍"}, format="json"
        ),
        403,
        "permission_denied",
    )
    privacy_services.block_create(blocker=ann, blocked=bob)
    refused(client_for(ann).put(url, {"emoji": "👍"}, format="json"), 403, "you_blocked_user")
    # A removed member can no longer react there.
    remove(client_for(ann), group_id, "cat")
    refused(client_for(cat).put(url, {"emoji": "🔥"}, format="json"), 404, "not_found")


def test_attachments_in_a_group_reach_members_of_their_window_only(client_for, trio, teen):
    from tests.attachments import samples
    from tests.attachments.conftest import upload

    ann, bob, cat = trio
    group_id = group_of(client_for, ann, [bob, cat, teen])["id"]
    remove(client_for(ann), group_id, "cat")
    photo = ok(upload(client_for(bob), samples.image_bytes()), 201)["id"]
    message = ok(post(client_for(bob), group_id, "", attachments=[photo]), 201)
    assert [a["id"] for a in message["attachments"]] == [photo]
    url = message["attachments"][0]["url"]
    assert client_for(ann).get(url).status_code == 200
    assert client_for(cat).get(url).status_code == 404  # sent after she was removed
    assert client_for(teen).get(url).status_code == 404  # not joined yet
    assert history(client_for(ann), group_id)[-1]["attachments"][0]["id"] == photo
