"""Reads of the social graph as one user sees it: blocks and deactivation hide people."""

import re
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from accounts.age import local_date
from accounts.models import USERNAME_PATTERN, Follow, User
from dmsite.errors import NotFound
from privacy.models import Block, PrivacySettings, default_dm_preference


def blocked_viewer(viewer: User) -> Exists:
    """True for rows (users) who blocked `viewer`; use inside filters on User."""
    return Exists(Block.objects.filter(blocker=OuterRef("pk"), blocked=viewer))


def users_visible_to(viewer: User) -> QuerySet[User]:
    """Active users who have not blocked `viewer`: everyone else is `not_found` to them."""
    return User.objects.filter(is_active=True).exclude(blocked_viewer(viewer))


def _by_username(queryset: QuerySet[User], username: str) -> User:
    # A name that cannot exist is not looked up (and a NUL never reaches PostgreSQL).
    user = (
        queryset.filter(username__iexact=username).first()
        if re.match(USERNAME_PATTERN, username)
        else None
    )
    if user is None:
        raise NotFound("No such user.")
    return user


def user_get_visible(*, viewer: User, username: str) -> User:
    return _by_username(users_visible_to(viewer), username)


def user_get_blockable(*, viewer: User, username: str) -> User:
    """Someone `viewer` may block or unblock: a visible user, or one they already block.

    A user who blocked the viewer is `not_found` here as everywhere else, so blocking
    back cannot tell the viewer they were blocked (unless they blocked them first).
    """
    queryset = User.objects.filter(is_active=True).filter(
        ~blocked_viewer(viewer)
        | Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("pk")))
    )
    return _by_username(queryset, username)


def user_search(*, viewer: User, query: str) -> QuerySet[User]:
    """Exact username first, then username or display-name prefixes, then the rest.

    `search_position` is the rank's digit followed by the username: one unique key in that
    order, so that a cursor can page by it alone (ties in `rank` break cursor paging).
    """
    return (
        users_visible_to(viewer)
        .filter(Q(username__icontains=query) | Q(display_name__icontains=query))
        .annotate(
            rank=Case(
                When(username__iexact=query, then=Value(0)),
                When(Q(username__istartswith=query) | Q(display_name__istartswith=query), then=1),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .annotate(
            search_position=Concat(
                Cast("rank", output_field=CharField()), "username", output_field=CharField()
            )
        )
    )


def followers_of(*, viewer: User, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(
        followee=user, follower__in=users_visible_to(viewer)
    ).select_related("follower")


def following_of(*, viewer: User, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(
        follower=user, followee__in=users_visible_to(viewer)
    ).select_related("followee")


def friends_of(*, user: User) -> QuerySet[User]:
    """Mutual follows of `user` who are active."""
    return User.objects.filter(
        Exists(Follow.objects.filter(follower=user, followee=OuterRef("pk"))),
        Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=user)),
        is_active=True,
    )


def name_frozen_for(viewer_field: str, user_field: str) -> Subquery:
    """The display name a blocked viewer keeps seeing of a user who blocked them, or NULL.

    For annotations on rows that name a viewer (`viewer_field`) and a user (`user_field`).
    """
    return Subquery(
        Block.objects.filter(blocker=OuterRef(user_field), blocked=OuterRef(viewer_field)).values(
            "blocker_display_name"
        )[:1]
    )


def blocks_of(*, user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user, blocked__is_active=True).select_related("blocked")


def is_blocked(*, blocker: User, blocked: User) -> bool:
    return Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def follow_counts(*, viewer: User, user: User) -> dict[str, int]:
    """The lengths of the lists `viewer` would fetch: only users visible to them count."""
    return {
        "follower_count": followers_of(viewer=viewer, user=user).count(),
        "following_count": following_of(viewer=viewer, user=user).count(),
    }


@dataclass(frozen=True)
class Relationship:
    following: bool
    followed_by: bool
    blocked: bool

    @property
    def friends(self) -> bool:
        return self.following and self.followed_by

    @property
    def message_button(self) -> bool:
        """SPEC: the profile's Message button shows when friends (a block removes follows)."""
        return self.friends


def relationship_between(*, viewer: User, user: User) -> Relationship:
    """How `viewer` stands to `user`, in one query."""
    flags = (
        User.objects.filter(pk=user.pk)
        .annotate(
            following=Exists(Follow.objects.filter(follower=viewer, followee=user)),
            followed_by=Exists(Follow.objects.filter(follower=user, followee=viewer)),
            blocked=Exists(Block.objects.filter(blocker=viewer, blocked=user)),
        )
        .values("following", "followed_by", "blocked")
        .get()
    )
    return Relationship(**{name: bool(value) for name, value in flags.items()})


def privacy_settings_for(user: User) -> PrivacySettings:
    """The user's settings, or (unsaved) the defaults they have until they change them."""
    try:
        return user.privacy_settings
    except PrivacySettings.DoesNotExist:
        return PrivacySettings(user=user, dm_preference=default_dm_preference(user))


def request_contexts(*, viewer: User, senders: list[User]) -> dict[int, dict]:
    """What `viewer` may know of strangers who sent a request (SPEC 12), keyed by user id.

    `{sender_joined, follows_you, mutual_friends}` for every sender, in two queries
    whatever their number (none for an empty list). Mutual friends are people who
    are friends (mutual follows) with both.
    """
    if not senders:
        return {}
    ids = [sender.pk for sender in senders]
    follows_you = set(
        Follow.objects.filter(follower__in=ids, followee=viewer).values_list(
            "follower_id", flat=True
        )
    )
    my_friends = Follow.objects.filter(
        Exists(Follow.objects.filter(follower=OuterRef("followee"), followee=viewer)),
        follower=viewer,
        followee__is_active=True,
    ).values("followee")
    mutual = dict(
        Follow.objects.filter(
            Exists(
                Follow.objects.filter(follower=OuterRef("followee"), followee=OuterRef("follower"))
            ),
            follower__in=ids,
            followee__in=my_friends,
        )
        .values("follower")
        .annotate(count=Count("id"))
        .values_list("follower", "count")
    )
    return {
        sender.pk: {
            "sender_joined": local_date(sender.date_joined),
            "follows_you": sender.pk in follows_you,
            "mutual_friends": mutual.get(sender.pk, 0),
        }
        for sender in senders
    }
