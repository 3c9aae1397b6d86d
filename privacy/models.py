from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.age import age_on, local_date

ADULT_AGE = 18


class DmPreference(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    FRIENDS = "friends", "Friends"
    NO_ONE = "no_one", "No one"


def filters_requests(user, stored: bool) -> bool:
    """Whether requests to `user` are filtered: their choice, and always under 18."""
    return stored or user.age < ADULT_AGE


def default_dm_preference(user) -> str:
    """Friends for adults, no one for minors: decided by age when the account was created."""
    age_at_sign_up = age_on(user.date_of_birth, local_date(user.date_joined))
    return DmPreference.FRIENDS if age_at_sign_up >= ADULT_AGE else DmPreference.NO_ONE


class PrivacySettings(models.Model):
    """A user's choices; a user without a row has the defaults of `default_dm_preference`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="privacy_settings",
    )
    dm_preference = models.CharField(max_length=8, choices=DmPreference.choices)
    read_receipts = models.BooleanField(default=False)
    # Requests matching the built-in list or my hidden words go to `filtered` (SPEC 12).
    # Always on under 18, whatever is stored: see `filters_requests`.
    filter_requests = models.BooleanField(default=True)
    hidden_words = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "privacy settings"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.dm_preference}"


class Block(models.Model):
    """`blocker` blocked `blocked`."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The blocker's display name when the block was made: what the blocked user keeps
    # seeing in old conversations, so a later change of name does not reach them.
    blocker_display_name = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_by_blocked")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocked {self.blocked_id}"
