"""Every write of the social graph and privacy settings: follows, blocks, preferences."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Follow, User
from dmsite.errors import InvalidInput, NotFound
from dmsite.ratelimit import SlidingWindow
from privacy.errors import YouBlockedUser
from privacy.models import Block, PrivacySettings
from privacy.selectors import is_blocked, privacy_settings_for


def follow_create(*, follower: User, followee: User) -> bool:
    """Follow `followee`; True when a new follow was made, False when it already existed.

    Only new follows count towards RATE_FOLLOWS.
    """
    if follower.pk == followee.pk:
        raise InvalidInput("You cannot follow yourself.")
    window = SlidingWindow("follow", settings.RATE_FOLLOWS)
    with transaction.atomic():
        # Checked under the pair's lock: a block made at the same moment cannot be missed.
        User.objects.lock_rows(follower, followee)
        if not followee.is_active or is_blocked(blocker=followee, blocked=follower):
            raise NotFound("No such user.")
        if is_blocked(blocker=follower, blocked=followee):
            raise YouBlockedUser()
        if Follow.objects.filter(follower=follower, followee=followee).exists():
            return False
        slot = window.acquire(str(follower.pk))
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:  # a parallel request made the same follow first
            window.release(str(follower.pk), slot)
            return False
    return True


def follow_delete(*, follower: User, followee: User) -> None:
    """Stop following; not following already is fine (the outcome is the same)."""
    Follow.objects.filter(follower=follower, followee=followee).delete()


def block_create(*, blocker: User, blocked: User) -> bool:
    """Block `blocked` and remove follows both ways; True when the block is new."""
    if blocker.pk == blocked.pk:
        raise InvalidInput("You cannot block yourself.")
    with transaction.atomic():
        User.objects.lock_rows(blocker, blocked)
        _, created = Block.objects.get_or_create(
            blocker=blocker,
            blocked=blocked,
            defaults={"blocker_display_name": blocker.display_name},
        )
        Follow.objects.filter(
            Q(follower=blocker, followee=blocked) | Q(follower=blocked, followee=blocker)
        ).delete()
    return created


def block_delete(*, blocker: User, blocked: User) -> None:
    """Unblock; follows removed by the block are not restored."""
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def privacy_settings_update(
    *, user: User, dm_preference: str | None = None, read_receipts: bool | None = None
) -> PrivacySettings:
    current = privacy_settings_for(user)
    if dm_preference is not None:
        current.dm_preference = dm_preference
    if read_receipts is not None:
        current.read_receipts = read_receipts
    PrivacySettings.objects.update_or_create(
        user=user,
        defaults={"dm_preference": current.dm_preference, "read_receipts": current.read_receipts},
    )
    return current
