"""User search: ranking, who never appears, what a query may be."""

import pytest

from accounts.services import user_deactivate
from privacy import services
from tests.factories import UserFactory
from tests.privacy.graph import usernames

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/users"


def test_exact_username_first_then_prefixes_then_the_rest(client_for):
    viewer = UserFactory(username="viewer", display_name="Viewer")
    # Alphabetical order would put every contains-match first: the ranks must win.
    UserFactory(username="aasam", display_name="Aa")  # username contains
    UserFactory(username="bob", display_name="Big Sam")  # display name contains
    UserFactory(username="samz", display_name="Zz")  # username prefix
    UserFactory(username="zed", display_name="Sammy Zed")  # display-name prefix
    UserFactory(username="qqq", display_name="sam")  # a display name equal to q is a prefix
    UserFactory(username="sam", display_name="Zz")  # exact username
    UserFactory(username="tom", display_name="Tom")  # no match

    for query in ["sam", "SAM", "sAm"]:
        found = usernames(client_for(viewer).get(SEARCH, {"search": query}))
        assert found == ["sam", "qqq", "samz", "zed", "aasam", "bob"], query


def test_exact_match_ignores_the_case_of_the_username(client_for):
    viewer = UserFactory(username="viewer")
    UserFactory(username="SamTheMan")
    UserFactory(username="samthemanly")
    UserFactory(username="asamtheman")

    found = usernames(client_for(viewer).get(SEARCH, {"search": "samtheman"}))

    assert found == ["SamTheMan", "samthemanly", "asamtheman"]


def test_deactivated_users_and_users_who_blocked_the_searcher_never_appear(client_for):
    viewer = UserFactory(username="viewer")
    other = UserFactory(username="other")
    UserFactory(username="kim")
    gone = UserFactory(username="kimgone")
    blocker = UserFactory(username="kimblock", display_name="Kim Block")
    blocked_by_viewer = UserFactory(username="kimblocked")
    user_deactivate(user=gone)
    services.block_create(blocker=blocker, blocked=viewer)
    services.block_create(blocker=viewer, blocked=blocked_by_viewer)

    for query in ["kim", "kimblock", "Kim Block", "kimgone"]:
        assert "kimgone" not in usernames(client_for(viewer).get(SEARCH, {"search": query}))
        assert "kimblock" not in usernames(client_for(viewer).get(SEARCH, {"search": query}))
    # Blocking is per pair: someone else still finds the blocker, nobody finds the deactivated.
    assert usernames(client_for(other).get(SEARCH, {"search": "kim"})) == [
        "kim",
        "kimblock",
        "kimblocked",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a_b", ["a_b"]),
        ("_", ["a_b"]),
        ("0%", ["pct"]),
        ("%", ["pct"]),
        ("100% sure", ["pct"]),
        ("\\", ["slash"]),
        ("[a]", ["brackets"]),
    ],
)
def test_percent_underscore_and_backslash_are_literal(client_for, query, expected):
    viewer = UserFactory(username="viewer", display_name="Viewer")
    UserFactory(username="a_b", display_name="Ab")
    UserFactory(username="axb", display_name="Axb")
    UserFactory(username="pct", display_name="100% sure")
    UserFactory(username="nopct", display_name="1000 sure")
    UserFactory(username="slash", display_name="back\\slash")
    UserFactory(username="brackets", display_name="[a]")
    UserFactory(username="plain", display_name="a")

    assert usernames(client_for(viewer).get(SEARCH, {"search": query})) == expected


def test_search_finds_non_ascii_display_names(client_for):
    viewer = UserFactory(username="viewer")
    UserFactory(username="zoe", display_name="Zoë Ångström")

    assert usernames(client_for(viewer).get(SEARCH, {"search": "ngstr"})) == ["zoe"]
    assert usernames(client_for(viewer).get(SEARCH, {"search": "Zoë"})) == ["zoe"]


def test_a_query_of_50_characters_is_accepted(client_for):
    viewer = UserFactory(username="viewer")
    UserFactory(username="long", display_name="x" * 50)

    assert usernames(client_for(viewer).get(SEARCH, {"search": "x" * 50})) == ["long"]


@pytest.mark.parametrize(
    "query",
    [None, "", "   ", "x" * 51, "a\x00b", "\x00", "a\x1fb", "a\x7fb", "a\nb", "a\tb", "\x08"],
)
def test_bad_queries_are_invalid(client_for, query):
    viewer = UserFactory(username="viewer")
    params = {} if query is None else {"search": query}

    response = client_for(viewer).get(SEARCH, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "search" in response.json()["fields"]


@pytest.mark.parametrize("raw", ["search=%ff%fe", "search=%C0%AF", "search=a%00", "search=%E2%80"])
def test_undecodable_queries_never_fail_the_server(client_for, raw):
    viewer = UserFactory(username="viewer")

    response = client_for(viewer).get(f"{SEARCH}?{raw}")

    if raw == "search=a%00":
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
    else:  # undecodable bytes arrive as U+FFFD: a query that matches nobody
        assert response.status_code == 200, response.json()
        assert response.json()["results"] == []


def test_search_needs_authentication(api):
    response = api.get(SEARCH, {"search": "sam"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
