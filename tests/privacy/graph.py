"""Snapshots of the social graph and a walker for cursor-paginated lists."""

from accounts.models import Follow
from privacy.models import Block, PrivacySettings


def follow_pairs() -> set[tuple[str, str]]:
    return set(Follow.objects.values_list("follower__username", "followee__username"))


def block_pairs() -> set[tuple[str, str]]:
    return set(Block.objects.values_list("blocker__username", "blocked__username"))


def graph_state() -> tuple:
    """Everything a privacy request could write, to show that a refused one wrote nothing."""
    return (
        follow_pairs(),
        block_pairs(),
        set(
            PrivacySettings.objects.values_list("user__username", "dm_preference", "read_receipts")
        ),
    )


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["username"] for item in response.json()["results"]]


def walk(client, url: str, *, direction: str = "next") -> list[list[str]]:
    """Follow `direction` links from `url` to the end; the usernames of each page."""
    pages = []
    while url:
        response = client.get(url)
        pages.append(usernames(response))
        url = response.json()[direction]
    return pages
