"""Lists: friends, cursor pagination, bad paging parameters, and a fixed number of queries."""

import base64

import pytest

from accounts.services import user_deactivate
from dmsite.env import Rate
from privacy import services
from tests.factories import UserFactory
from tests.privacy.graph import usernames, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def generous_follow_limit(settings):
    # These tests build long lists, not bursts of follows worth limiting.
    settings.RATE_FOLLOWS = Rate(1000, 600)


# --- friends -----------------------------------------------------------------------------


def test_my_friends_lists_only_mutual_follows(client_for):
    me = UserFactory(username="me")
    names = ["zara", "bob", "fan", "idol", "gone", "exfriend"]
    zara, bob, fan, idol, gone, exfriend = (UserFactory(username=name) for name in names)
    for other in [zara, bob, gone, exfriend]:
        services.follow_create(follower=me, followee=other)
        services.follow_create(follower=other, followee=me)
    services.follow_create(follower=fan, followee=me)
    services.follow_create(follower=me, followee=idol)
    user_deactivate(user=gone)
    services.follow_delete(follower=exfriend, followee=me)

    assert usernames(client_for(me).get("/api/v1/me/friends")) == ["bob", "zara"]
    assert usernames(client_for(fan).get("/api/v1/me/friends")) == []


def test_my_friends_needs_authentication(api):
    response = api.get("/api/v1/me/friends")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- cursor pagination over 45 items ---------------------------------------------------------


def build_list(kind: str, owner) -> tuple[str, list[str]]:
    """Make `owner` a list of 45 people; return its URL and the usernames in list order."""
    # A search also finds "al", "alba" and "alto": 42 more make 45.
    people = [UserFactory(username=f"pal{i:02d}") for i in range(42 if kind == "search" else 45)]
    names = [person.username for person in people]
    if kind == "followers":
        for person in people:
            services.follow_create(follower=person, followee=owner)
        return f"/api/v1/users/{owner.username}/followers", names[::-1]  # newest first
    if kind == "following":
        for person in people:
            services.follow_create(follower=owner, followee=person)
        return f"/api/v1/users/{owner.username}/following", names[::-1]
    if kind == "friends":
        for person in reversed(people):  # the list is by username, not by age
            services.follow_create(follower=owner, followee=person)
            services.follow_create(follower=person, followee=owner)
        return "/api/v1/me/friends", names
    if kind == "blocks":
        for person in people:
            services.block_create(blocker=owner, blocked=person)
        return "/api/v1/me/blocks", names[::-1]
    # search: an exact match and two prefix matches, then 42 contains-matches tied in rank
    for name in ["al", "alba", "alto"]:
        UserFactory(username=name)
    return "/api/v1/users?search=al", ["al", "alba", "alto", *names]


LISTS = ["followers", "following", "friends", "blocks", "search"]


@pytest.mark.usefixtures("generous_follow_limit")
@pytest.mark.parametrize("kind", LISTS)
def test_next_links_visit_every_item_once_in_order(client_for, kind):
    owner = UserFactory(username="owner")
    url, expected = build_list(kind, owner)
    api = client_for(owner)
    first_url = url + ("&" if "?" in url else "?") + "limit=20"

    pages = walk(api, first_url)

    assert [len(page) for page in pages] == [20, 20, 5]
    assert [name for page in pages for name in page] == expected
    first = api.get(first_url).json()
    assert first["previous"] is None
    assert set(first) == {"next", "previous", "results"}
    # And back again from the last page through the `previous` links.
    last = api.get(api.get(first["next"]).json()["next"]).json()
    assert last["next"] is None
    backwards = walk(api, last["previous"], direction="previous")
    assert backwards == pages[1::-1]


@pytest.mark.usefixtures("generous_follow_limit")
def test_default_page_is_20(client_for):
    owner = UserFactory(username="owner")
    url, expected = build_list("followers", owner)

    body = client_for(owner).get(url).json()

    assert [item["username"] for item in body["results"]] == expected[:20]
    assert body["next"] is not None


PATHS = [
    "/api/v1/users/owner/followers",
    "/api/v1/users/owner/following",
    "/api/v1/me/friends",
    "/api/v1/me/blocks",
    "/api/v1/users?search=pal",
]


def with_param(path: str, param: str) -> str:
    return path + ("&" if "?" in path else "?") + param


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "param",
    [
        "limit=0",
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "limit=",
        "limit=%00",
        "limit=%D9%A3",
        "cursor=garbage",
        "cursor=bz0tMQ%3D%3D",
        "cursor=cj14",
        "cursor=%C3%A9",
    ],
)
def test_bad_limit_or_cursor_is_invalid(client_for, path, param):
    owner = UserFactory(username="owner")
    pal = UserFactory(username="pal")
    services.follow_create(follower=owner, followee=pal)
    services.follow_create(follower=pal, followee=owner)

    response = client_for(owner).get(with_param(path, param))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def forged_cursor(query: str) -> str:
    return "cursor=" + base64.urlsafe_b64encode(query.encode()).decode()


# A cursor whose position does not fit the ordering must never reach the database (a 500
# for an id, and for NUL on PostgreSQL); one that decodes to nothing is not a first page.
@pytest.mark.parametrize(
    ("path", "cursor"),
    [(path, forged_cursor("p=abc")) for path in PATHS if "friends" not in path and "?" not in path]
    + [(path, forged_cursor("p=\x00")) for path in PATHS]
    + [(path, "cursor=%00") for path in PATHS]
    + [(PATHS[0], "cursor=" + "A" * 5000)],
)
def test_forged_cursor_is_invalid(client_for, path, cursor):
    owner = UserFactory(username="owner")
    pal = UserFactory(username="pal")
    services.follow_create(follower=owner, followee=pal)
    services.follow_create(follower=pal, followee=owner)

    response = client_for(owner).get(with_param(path, cursor))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- a fixed number of SQL queries whatever the length -------------------------------------

# One query for the page (users joined in), plus one to look up the user whose list it is;
# token authentication adds one more to each.
MAX_QUERIES = {"followers": 2, "following": 2, "friends": 1, "blocks": 1, "search": 1}


@pytest.mark.usefixtures("generous_follow_limit")
@pytest.mark.parametrize("size", [1, 50])
@pytest.mark.parametrize("kind", LISTS)
def test_lists_cost_a_fixed_number_of_queries(
    client_for, django_assert_max_num_queries, kind, size
):
    owner = UserFactory(username="owner")
    people = [UserFactory(username=f"pal{i:02d}") for i in range(size)]
    for person in people:
        if kind in ("followers", "friends"):
            services.follow_create(follower=person, followee=owner)
        if kind in ("following", "friends"):
            services.follow_create(follower=owner, followee=person)
        if kind == "blocks":
            services.block_create(blocker=owner, blocked=person)
    # Noise every query must filter out: a blocker, a deactivated friend, a one-way follow.
    blocker, gone, fan = (
        UserFactory(username=name) for name in ["palblocker", "palgone", "palfan"]
    )
    services.follow_create(follower=fan, followee=owner)
    for other in [blocker, gone]:
        services.follow_create(follower=other, followee=owner)
        services.follow_create(follower=owner, followee=other)
    services.block_create(blocker=blocker, blocked=owner)
    user_deactivate(user=gone)
    path = dict(zip(LISTS, PATHS, strict=True))[kind]
    api = client_for(owner)

    with django_assert_max_num_queries(MAX_QUERIES[kind] + 1):
        response = api.get(with_param(path, "limit=100"))

    listed = usernames(response)
    expected = {person.username for person in people}
    if kind in ("followers", "search"):
        expected.add("palfan")
    assert set(listed) == expected
    assert len(listed) == len(expected)
