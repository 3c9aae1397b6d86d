"""Blocks: every effect of SPEC section 2, with each of two friends as the blocker."""

from types import SimpleNamespace

import pytest

from accounts.services import user_deactivate
from dmsite.errors import NotFound
from privacy import services
from privacy.models import Block
from tests.factories import UserFactory
from tests.privacy.graph import block_pairs, follow_pairs, graph_state, usernames

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["anna_blocks_boris", "boris_blocks_anna"])
def pair(request):
    """Anna and Boris are friends, and both are friends with Cleo; then one blocks the other."""
    anna = UserFactory(username="anna", display_name="Anna Karenina")
    boris = UserFactory(username="boris", display_name="Boris Godunov")
    cleo = UserFactory(username="cleo", display_name="Cleo")
    for one, other in [(anna, boris), (anna, cleo), (boris, cleo)]:
        services.follow_create(follower=one, followee=other)
        services.follow_create(follower=other, followee=one)
    blocker, blocked = (anna, boris) if request.param == "anna_blocks_boris" else (boris, anna)
    return SimpleNamespace(blocker=blocker, blocked=blocked, third=cleo)


@pytest.fixture
def blocked_pair(pair):
    services.block_create(blocker=pair.blocker, blocked=pair.blocked)
    return pair


def users_url(username: str, action: str = "") -> str:
    return f"/api/v1/users/{username}" + (f"/{action}" if action else "")


# --- making a block ----------------------------------------------------------------------


def test_block_removes_follows_both_ways_and_nothing_else(client_for, pair):
    a, b = pair.blocker.username, pair.blocked.username

    response = client_for(pair.blocker).post(users_url(b, "block"))

    assert response.status_code == 201, response.json()
    assert response.json() == {"username": b, "blocked": True}
    assert block_pairs() == {(a, b)}
    assert follow_pairs() == {(a, "cleo"), ("cleo", a), (b, "cleo"), ("cleo", b)}


def test_blocking_again_answers_200_and_keeps_one_block(client_for, blocked_pair):
    before = graph_state()

    response = client_for(blocked_pair.blocker).post(
        users_url(blocked_pair.blocked.username.upper(), "block")
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {"username": blocked_pair.blocked.username, "blocked": True}
    assert graph_state() == before
    assert Block.objects.count() == 1


# --- what the blocked user can no longer do ----------------------------------------------


def test_blocked_user_cannot_follow_the_blocker(client_for, blocked_pair):
    before = graph_state()

    response = client_for(blocked_pair.blocked).post(
        users_url(blocked_pair.blocker.username, "follow")
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert graph_state() == before


def test_follow_service_hides_the_blocker_from_the_blocked_user(blocked_pair):
    before = graph_state()
    with pytest.raises(NotFound):
        services.follow_create(follower=blocked_pair.blocked, followee=blocked_pair.blocker)
    assert graph_state() == before


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", ""),
        ("get", "followers"),
        ("get", "following"),
        ("post", "follow"),
        ("delete", "follow"),
    ],
)
def test_blocker_is_not_found_for_the_blocked_user(client_for, blocked_pair, method, action):
    api = client_for(blocked_pair.blocked)
    before = graph_state()

    response = getattr(api, method)(users_url(blocked_pair.blocker.username, action))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such user."}
    assert graph_state() == before


@pytest.mark.parametrize("query", ["username", "prefix", "display_name", "display_word"])
def test_blocker_never_appears_in_the_blocked_users_search(client_for, blocked_pair, query):
    blocker = blocked_pair.blocker
    search = {
        "username": blocker.username,
        "prefix": blocker.username[:2],
        "display_name": blocker.display_name,
        "display_word": blocker.display_name.split()[1][:4],
    }[query]

    seen_by_blocked = usernames(
        client_for(blocked_pair.blocked).get("/api/v1/users", {"search": search})
    )
    seen_by_third = usernames(
        client_for(blocked_pair.third).get("/api/v1/users", {"search": search})
    )

    assert blocker.username not in seen_by_blocked
    assert blocker.username in seen_by_third


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/cleo/followers",
        "/api/v1/users/cleo/following",
        "/api/v1/me/friends",
        "/api/v1/me/blocks",
        "/api/v1/users/{blocked}/followers",
        "/api/v1/users/{blocked}/following",
    ],
)
def test_blocker_never_appears_in_lists_the_blocked_user_fetches(client_for, blocked_pair, path):
    blocker, blocked = blocked_pair.blocker, blocked_pair.blocked
    path = path.format(blocked=blocked.username)
    # Following again, so that the blocked user's own lists are not empty for another reason.
    services.follow_create(follower=blocked_pair.third, followee=blocked)

    listed = usernames(client_for(blocked).get(path))

    assert blocker.username not in listed
    if "cleo" in path:  # Cleo's lists still show the blocker to everyone else
        assert blocker.username in usernames(client_for(blocked_pair.third).get(path))


# --- what the blocker still sees and cannot do -------------------------------------------


def test_blocker_still_sees_the_blocked_profile(client_for, blocked_pair):
    response = client_for(blocked_pair.blocker).get(users_url(blocked_pair.blocked.username))

    assert response.status_code == 200, response.json()
    assert response.json()["relationship"] == {
        "following": False,
        "followed_by": False,
        "friends": False,
        "blocked": True,
    }
    assert response.json()["message_button"] is False


def test_blocker_cannot_follow_the_blocked_user(client_for, blocked_pair):
    before = graph_state()

    response = client_for(blocked_pair.blocker).post(
        users_url(blocked_pair.blocked.username, "follow")
    )

    assert response.status_code == 403
    assert response.json()["code"] == "you_blocked_user"
    assert graph_state() == before


def test_my_blocks_lists_the_blocked_user_to_the_blocker_only(client_for, blocked_pair):
    blocker, blocked = blocked_pair.blocker, blocked_pair.blocked

    assert usernames(client_for(blocker).get("/api/v1/me/blocks")) == [blocked.username]
    assert usernames(client_for(blocked).get("/api/v1/me/blocks")) == []


def test_blocking_someone_who_blocked_you_is_not_found_like_no_such_user(client_for, blocked_pair):
    """Finding 6: a 201 here while the profile says 404 told the user they were blocked."""
    blocker, blocked = blocked_pair.blocker, blocked_pair.blocked
    before = graph_state()
    api = client_for(blocked)

    for method in ("post", "delete"):
        response = getattr(api, method)(users_url(blocker.username, "block"))
        unknown = getattr(api, method)(users_url("no_such_user", "block"))
        assert response.status_code == unknown.status_code == 404
        assert response.json() == unknown.json() == {"code": "not_found", "detail": "No such user."}
    assert graph_state() == before


def test_who_blocked_first_may_still_unblock_after_being_blocked_back(client_for, blocked_pair):
    blocker, blocked = blocked_pair.blocker, blocked_pair.blocked
    services.block_create(blocker=blocked, blocked=blocker)  # both ways, made by the services
    # Each knows of their own block: it stays listed, and it can be lifted.
    for viewer, other in [(blocker, blocked), (blocked, blocker)]:
        api = client_for(viewer)
        assert api.get(users_url(other.username)).status_code == 404
        assert usernames(api.get("/api/v1/me/blocks")) == [other.username]
        assert api.post(users_url(other.username, "block")).status_code == 200
    assert client_for(blocked).delete(users_url(blocker.username, "block")).status_code == 204
    assert block_pairs() == {(blocker.username, blocked.username)}


# --- unblocking ---------------------------------------------------------------------------


def test_unblock_answers_204_and_restores_no_follow(client_for, blocked_pair):
    blocker, blocked = blocked_pair.blocker, blocked_pair.blocked
    follows_during_block = follow_pairs()
    api = client_for(blocker)

    response = api.delete(users_url(blocked.username, "block"))

    assert response.status_code == 204
    assert block_pairs() == set()
    assert follow_pairs() == follows_during_block
    assert api.get(users_url(blocked.username)).json()["relationship"] == {
        "following": False,
        "followed_by": False,
        "friends": False,
        "blocked": False,
    }
    assert usernames(api.get("/api/v1/me/blocks")) == []

    # Both may see and follow each other again, from scratch.
    other = client_for(blocked)
    assert other.get(users_url(blocker.username)).status_code == 200
    assert other.post(users_url(blocker.username, "follow")).status_code == 201
    assert api.post(users_url(blocked.username, "follow")).status_code == 201
    assert api.get(users_url(blocked.username)).json()["message_button"] is True


def test_unblocking_someone_not_blocked_answers_204(client_for, pair):
    before = graph_state()

    response = client_for(pair.blocker).delete(users_url(pair.blocked.username, "block"))

    assert response.status_code == 204
    assert graph_state() == before


# --- refused blocks -------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["anna", "ANNA"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_blocking_yourself_is_invalid(client_for, method, spelling):
    anna = UserFactory(username="anna")

    response = getattr(client_for(anna), method)(users_url(spelling, "block"))

    if method == "post":
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
    else:  # nothing to undo: the outcome (not blocking yourself) already holds
        assert response.status_code == 204
    assert block_pairs() == set()


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("who", ["nobody", "gone"])
def test_blocking_an_unknown_or_deactivated_user_is_not_found(client_for, method, who):
    anna = UserFactory(username="anna")
    gone = UserFactory(username="gone")
    services.follow_create(follower=gone, followee=anna)
    user_deactivate(user=gone)
    before = graph_state()

    response = getattr(client_for(anna), method)(users_url(who, "block"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert graph_state() == before


@pytest.mark.parametrize("method", ["post", "delete"])
def test_blocking_needs_authentication(api, method):
    UserFactory(username="anna")
    response = getattr(api, method)(users_url("anna", "block"))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert block_pairs() == set()


def test_my_blocks_needs_authentication(api):
    response = api.get("/api/v1/me/blocks")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_my_blocks_leaves_out_deactivated_users(client_for):
    anna, boris, gone = (UserFactory(username=name) for name in ["anna", "boris", "gone"])
    services.block_create(blocker=anna, blocked=boris)
    services.block_create(blocker=anna, blocked=gone)
    user_deactivate(user=gone)

    assert usernames(client_for(anna).get("/api/v1/me/blocks")) == ["boris"]
