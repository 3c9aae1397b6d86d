"""Follow and unfollow: defined answers, hidden users, the RATE_FOLLOWS limit, counts."""

import datetime
import os

import pytest
import time_machine

from accounts.models import Follow
from accounts.services import user_deactivate
from dmsite.env import Rate
from dmsite.errors import InvalidInput
from privacy import services
from tests.factories import UserFactory
from tests.privacy.graph import follow_pairs, graph_state

pytestmark = pytest.mark.django_db

# A fixed instant on a whole second, so that Retry-After arithmetic is exact.
T0 = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)


def url(username: str, action: str = "") -> str:
    return f"/api/v1/users/{username}" + (f"/{action}" if action else "")


# --- follow and unfollow ----------------------------------------------------------------


def test_follow_answers_201_then_200_without_a_duplicate(client_for):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    api = client_for(alice)

    first = api.post(url("bob", "follow"))
    assert first.status_code == 201, first.json()
    assert first.json()["relationship"]["following"] is True
    assert first.json()["follower_count"] == 1

    again = api.post(url("bob", "follow"))
    assert again.status_code == 200, again.json()
    assert again.json()["relationship"]["following"] is True
    assert again.json()["follower_count"] == 1
    assert Follow.objects.filter(follower=alice, followee=bob).count() == 1


def test_unfollow_answers_204_also_when_not_following(client_for):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    services.follow_create(follower=alice, followee=bob)
    services.follow_create(follower=bob, followee=alice)
    api = client_for(alice)

    response = api.delete(url("bob", "follow"))
    assert response.status_code == 204
    assert follow_pairs() == {("bob", "alice")}

    response = api.delete(url("bob", "follow"))
    assert response.status_code == 204
    assert follow_pairs() == {("bob", "alice")}


@pytest.mark.parametrize("spelling", ["alice", "ALICE", "Alice"])
def test_following_yourself_is_invalid(client_for, spelling):
    alice = UserFactory(username="alice")

    response = client_for(alice).post(url(spelling, "follow"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert follow_pairs() == set()


def test_follow_service_refuses_yourself():
    alice = UserFactory()
    with pytest.raises(InvalidInput, match="yourself"):
        services.follow_create(follower=alice, followee=alice)
    assert follow_pairs() == set()


@pytest.fixture(params=["unknown", "deactivated", "blocked_you"])
def hidden(request):
    """A viewer and the name of someone who is `not_found` to them, for each reason."""
    viewer = UserFactory(username="viewer")
    fan = UserFactory(username="fan")
    if request.param == "unknown":
        return viewer, "nobody"
    target = UserFactory(username="target")
    services.follow_create(follower=fan, followee=target)
    services.follow_create(follower=target, followee=fan)
    services.follow_create(follower=viewer, followee=target)
    if request.param == "deactivated":
        user_deactivate(user=target)
    else:
        services.block_create(blocker=target, blocked=viewer)
    return viewer, "target"


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("post", "follow"),
        ("delete", "follow"),
        ("get", ""),
        ("get", "followers"),
        ("get", "following"),
    ],
)
def test_hidden_users_are_not_found(client_for, hidden, method, action):
    viewer, username = hidden
    before = graph_state()

    response = getattr(client_for(viewer), method)(url(username, action))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such user."}
    assert graph_state() == before


def test_following_someone_you_blocked_is_refused(client_for):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    services.block_create(blocker=alice, blocked=bob)
    before = graph_state()

    response = client_for(alice).post(url("bob", "follow"))

    assert response.status_code == 403
    assert response.json()["code"] == "you_blocked_user"
    assert graph_state() == before


def test_username_lookup_ignores_case(client_for):
    alice = UserFactory(username="alice")
    UserFactory(username="Bob_Smith")
    api = client_for(alice)

    response = api.post(url("bOB_sMITH", "follow"))
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "Bob_Smith"
    assert follow_pairs() == {("alice", "Bob_Smith")}

    assert api.get(url("BOB_SMITH")).json()["relationship"]["following"] is True
    assert api.delete(url("bob_smith", "follow")).status_code == 204
    assert follow_pairs() == set()


JUNK_USERNAMES = [
    "a%00b",
    "%00",
    "alice%00",
    "%00alice",
    "alice%0A",
    "alice%20",
    "al%25ice",
    "%25",
    "%ff%fe",
    "%C0%AF",
    "%E2%80%AEalice",
    "ali%2Fce",
    "alice%5C",
    "a" * 300,
    "..",
]


@pytest.mark.parametrize("username", JUNK_USERNAMES)
@pytest.mark.parametrize(
    ("method", "action"), [("get", ""), ("post", "follow"), ("get", "followers"), ("post", "block")]
)
def test_junk_usernames_are_not_found(client_for, username, method, action):
    viewer = UserFactory(username="viewer")
    UserFactory(username="alice")
    before = graph_state()

    response = getattr(client_for(viewer), method)(url(username, action))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert graph_state() == before


@pytest.mark.parametrize("method", ["post", "delete"])
def test_follow_needs_authentication(api, method):
    UserFactory(username="bob")
    response = getattr(api, method)(url("bob", "follow"))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert follow_pairs() == set()


# --- follower and following counts -------------------------------------------------------


def test_profile_counts_followers_and_following(client_for):
    alice, bob, carol, dave = (
        UserFactory(username=name) for name in ["alice", "bob", "carol", "dave"]
    )
    for follower, followee in [(bob, alice), (carol, alice), (dave, alice), (alice, bob)]:
        services.follow_create(follower=follower, followee=followee)
    api = client_for(bob)

    profile = api.get(url("alice")).json()
    assert (profile["follower_count"], profile["following_count"]) == (3, 1)

    api.delete(url("alice", "follow"))
    user_deactivate(user=carol)  # deactivated accounts are not counted
    profile = api.get(url("alice")).json()
    assert (profile["follower_count"], profile["following_count"]) == (1, 1)


# --- RATE_FOLLOWS --------------------------------------------------------------------------


def test_follow_limit_defaults_to_30_per_600_seconds(settings):
    if os.environ.get("RATE_FOLLOWS"):
        pytest.skip("RATE_FOLLOWS is set in the environment")
    rate = settings.RATE_FOLLOWS
    assert (rate.count, rate.seconds) == (30, 600)


@pytest.fixture
def follow_limit(settings):
    """The SPEC default, pinned so that these tests do not depend on the environment."""
    settings.RATE_FOLLOWS = Rate(30, 600)


def assert_rate_limited(response, retry_after: int):
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert response["Retry-After"].isdigit()
    assert int(response["Retry-After"]) == retry_after


@pytest.mark.usefixtures("follow_limit")
def test_30th_new_follow_passes_and_31st_is_rate_limited(client_for):
    follower = UserFactory(username="eager")
    targets = [UserFactory(username=f"star{i:02d}") for i in range(31)]
    api = client_for(follower)
    with time_machine.travel(T0, tick=False) as clock:
        for target in targets[:29]:
            assert services.follow_create(follower=follower, followee=target) is True
        clock.shift(100)
        response = api.post(url("star29", "follow"))
        assert response.status_code == 201, response.json()

        clock.shift(50)
        before = graph_state()
        response = api.post(url("star30", "follow"))

    # The oldest of the 30 follows (at T0) leaves the window at T0 + 600: 450 s from now.
    assert_rate_limited(response, retry_after=450)
    assert graph_state() == before
    assert Follow.objects.filter(follower=follower).count() == 30


@pytest.mark.usefixtures("follow_limit")
def test_following_again_does_not_count(client_for):
    follower = UserFactory(username="eager")
    targets = [UserFactory(username=f"star{i:02d}") for i in range(31)]
    api = client_for(follower)
    for target in targets[:29]:
        services.follow_create(follower=follower, followee=target)
    for _ in range(3):
        assert api.post(url("star00", "follow")).status_code == 200

    assert api.post(url("star29", "follow")).status_code == 201
    # At the limit, a follow that already exists still answers 200, not 429.
    assert api.post(url("star05", "follow")).status_code == 200
    assert api.post(url("star30", "follow")).status_code == 429
    assert Follow.objects.filter(follower=follower).count() == 30


@pytest.mark.usefixtures("follow_limit")
def test_refused_follows_do_not_count(client_for):
    follower = UserFactory(username="eager")
    blocked = UserFactory(username="blocked")
    services.block_create(blocker=follower, blocked=blocked)
    targets = [UserFactory(username=f"star{i:02d}") for i in range(31)]
    api = client_for(follower)
    for _ in range(10):
        assert api.post(url("eager", "follow")).status_code == 400
        assert api.post(url("blocked", "follow")).status_code == 403
        assert api.post(url("nobody", "follow")).status_code == 404

    for target in targets[:30]:
        assert api.post(url(target.username, "follow")).status_code == 201
    assert api.post(url("star30", "follow")).status_code == 429


@pytest.mark.usefixtures("follow_limit")
def test_follows_work_again_once_the_window_has_passed(client_for):
    follower = UserFactory(username="eager")
    targets = [UserFactory(username=f"star{i:02d}") for i in range(61)]
    api = client_for(follower)
    with time_machine.travel(T0, tick=False) as clock:
        for target in targets[:29]:
            services.follow_create(follower=follower, followee=target)
        clock.shift(100)
        services.follow_create(follower=follower, followee=targets[29])
        clock.shift(200)
        assert_rate_limited(api.post(url("star30", "follow")), retry_after=300)

        # The 29 follows made at T0 have left the window; the one made at T0 + 100 has not.
        clock.move_to(T0 + datetime.timedelta(seconds=601))
        for target in targets[30:59]:
            response = api.post(url(target.username, "follow"))
            assert response.status_code == 201, response.json()
        assert_rate_limited(api.post(url("star59", "follow")), retry_after=99)

        clock.move_to(T0 + datetime.timedelta(seconds=700))
        assert api.post(url("star59", "follow")).status_code == 201
    assert Follow.objects.filter(follower=follower).count() == 60
