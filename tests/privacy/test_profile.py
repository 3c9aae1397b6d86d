"""The public profile: relationship flags, the Message button, and the README walkthrough."""

import pytest
from rest_framework.test import APIClient

from privacy import services
from tests.conftest import years_ago
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("setup", "relationship", "message_button", "can_message"),
    [
        ([], (False, False, False, False), False, "recipient_not_accepting"),
        (["follow"], (True, False, False, False), False, "recipient_not_accepting"),
        (["followed_by"], (False, True, False, False), False, "recipient_not_accepting"),
        (["follow", "followed_by"], (True, True, True, False), True, None),
        (
            ["follow", "followed_by", "block"],
            (False, False, False, True),
            False,
            "you_blocked_user",
        ),
        (
            ["follow", "followed_by", "unfollow"],
            (False, True, False, False),
            False,
            "recipient_not_accepting",
        ),
    ],
    ids=["strangers", "following", "followed_by", "friends", "blocked", "unfollowed"],
)
def test_relationship_and_message_button(
    client_for, setup, relationship, message_button, can_message
):
    viewer = UserFactory(username="viewer")
    user = UserFactory(username="Star", display_name="A Star", bio="Hello.")
    actions = {
        "follow": lambda: services.follow_create(follower=viewer, followee=user),
        "followed_by": lambda: services.follow_create(follower=user, followee=viewer),
        "block": lambda: services.block_create(blocker=viewer, blocked=user),
        "unfollow": lambda: services.follow_delete(follower=viewer, followee=user),
    }
    for step in setup:
        actions[step]()

    response = client_for(viewer).get("/api/v1/users/star")

    assert response.status_code == 200, response.json()
    following, followed_by, friends, blocked = relationship
    assert response.json() == {
        "username": "Star",
        "display_name": "A Star",
        "avatar_url": None,
        "bio": "Hello.",
        "follower_count": int(following),
        "following_count": int(followed_by),
        "relationship": {
            "following": following,
            "followed_by": followed_by,
            "friends": friends,
            "blocked": blocked,
        },
        "message_button": message_button,
        # Adults with verified phones and default (friends) preferences: only friends may DM.
        "can_message": {"allowed": can_message is None, "code": can_message},
    }


def test_own_profile_has_no_relationship(client_for):
    viewer = UserFactory(username="viewer")

    response = client_for(viewer).get("/api/v1/users/VIEWER")

    assert response.status_code == 200, response.json()
    assert response.json()["relationship"] == {
        "following": False,
        "followed_by": False,
        "friends": False,
        "blocked": False,
    }
    assert response.json()["message_button"] is False


def test_profile_needs_authentication(api):
    UserFactory(username="star")
    response = api.get("/api/v1/users/star")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def register(api: APIClient, username: str) -> APIClient:
    response = api.post(
        "/api/v1/auth/register",
        {
            "username": username,
            "password": "a-long-secret-9",
            "date_of_birth": years_ago(25).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_readme_walkthrough_two_users_become_friends(api):
    """README: register two users, make them follow each other, see the Message button."""
    alice = register(api, "alice")
    bob = register(api, "bob")

    assert alice.post("/api/v1/users/bob/follow").status_code == 201
    halfway = alice.get("/api/v1/users/bob").json()
    assert halfway["relationship"]["friends"] is False
    assert halfway["message_button"] is False

    assert bob.post("/api/v1/users/alice/follow").status_code == 201

    profile = alice.get("/api/v1/users/bob")
    assert profile.status_code == 200, profile.json()
    assert profile.json()["relationship"] == {
        "following": True,
        "followed_by": True,
        "friends": True,
        "blocked": False,
    }
    assert profile.json()["message_button"] is True
    assert bob.get("/api/v1/users/alice").json()["message_button"] is True
    assert [friend["username"] for friend in alice.get("/api/v1/me/friends").json()["results"]] == [
        "bob"
    ]
