"""Every write of the social graph and privacy settings: follows, blocks, preferences."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Follow, User
from dmsite.errors import InvalidInput, NotFound
from dmsite.fields import text_problem
from dmsite.ratelimit import SlidingWindow
from privacy.errors import YouBlockedUser
from privacy.models import ADULT_AGE, Block, PrivacySettings
from privacy.selectors import is_blocked, privacy_settings_for
from privacy.word_filter import hidden_word_key

HIDDEN_WORDS_MAX = 100
HIDDEN_WORD_MAX_LENGTH = 50


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


def hidden_words_clean(words) -> list[str]:
    """The hidden words as stored (trimmed), or 400 `invalid` naming what is wrong.

    Each is literal text: `.*` or `(` is matched as written, never as a pattern.
    Two words that match the same text (`Spam`, `SPAM`) are duplicates.
    """

    def refuse(problem: str):
        raise InvalidInput(problem, fields={"hidden_words": [problem]})

    if not isinstance(words, list):
        refuse("Hidden words must be a list of words or phrases.")
    if len(words) > HIDDEN_WORDS_MAX:
        refuse(f"You can hide at most {HIDDEN_WORDS_MAX} words or phrases.")
    cleaned: list[str] = []
    seen: dict[str, str] = {}
    for number, word in enumerate(words, start=1):
        if not isinstance(word, str):
            refuse(f"Hidden word {number} must be text.")
        problem = text_problem(word, multiline=False)
        if problem:
            refuse(f"Hidden word {number}: {problem}")
        word = word.strip()
        if not word:
            refuse(f"Hidden word {number} is empty.")
        if len(word) > HIDDEN_WORD_MAX_LENGTH:
            refuse(f"Hidden word {number} is longer than {HIDDEN_WORD_MAX_LENGTH} characters.")
        key = hidden_word_key(word)
        if key in seen:
            refuse(f"Hidden word {number} repeats “{seen[key]}”.")
        seen[key] = word
        cleaned.append(word)
    return cleaned


def privacy_settings_update(
    *,
    user: User,
    dm_preference: str | None = None,
    read_receipts: bool | None = None,
    filter_requests: bool | None = None,
    hidden_words: list | None = None,
) -> PrivacySettings:
    current = privacy_settings_for(user)
    if filter_requests is False and user.age < ADULT_AGE:
        problem = "Filtering message requests is always on under 18."
        raise InvalidInput(problem, fields={"filter_requests": [problem]})
    if hidden_words is not None:
        current.hidden_words = hidden_words_clean(hidden_words)
    if dm_preference is not None:
        current.dm_preference = dm_preference
    if read_receipts is not None:
        current.read_receipts = read_receipts
    if filter_requests is not None:
        current.filter_requests = filter_requests
    PrivacySettings.objects.update_or_create(
        user=user,
        defaults={
            "dm_preference": current.dm_preference,
            "read_receipts": current.read_receipts,
            "filter_requests": current.filter_requests,
            "hidden_words": current.hidden_words,
        },
    )
    return current
