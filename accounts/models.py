import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from accounts.age import age_today
from accounts.phone import region_of

USERNAME_PATTERN = r"^[A-Za-z0-9_.]{2,24}\Z"
username_validator = RegexValidator(
    USERNAME_PATTERN,
    "Use 2 to 24 letters, digits, underscores and dots.",
    code="invalid",
)


def avatar_name(instance=None, filename: str = "") -> str:
    """A fresh random storage name for a profile photo, so each new one has a new URL."""
    return f"avatars/{uuid.uuid4().hex}.webp"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def create_user(self, username, password=None, **fields):
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def lock_rows(self, *users) -> None:
        """Lock these users' rows until the transaction ends, always in id order (no deadlock).

        Follows and blocks of a pair, and sends between two users, serialize on them.
        """
        list(self.select_for_update().filter(pk__in=[user.pk for user in users]).order_by("pk"))

    def create_superuser(self, username, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=24, unique=True, validators=[username_validator])
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField()
    # E.164; verified when phone_verified_at is set. A pending number is not yet verified.
    phone_number = models.CharField(max_length=16, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    messaging_suspended_until = models.DateTimeField(null=True, blank=True)
    # The moderator's reason, as written for the user: the refusal of a send says it.
    # db_default: rows written by code that predates the column still insert.
    messaging_suspension_reason = models.TextField(blank=True, default="", db_default="")
    # The profile photo (square WebP, written by `attachments.services.avatar_set`).
    # db_default: rows written by code that predates the column still insert.
    avatar = models.FileField(upload_to=avatar_name, max_length=200, blank=True, db_default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["date_of_birth"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                fields=["phone_number"],
                condition=models.Q(phone_verified_at__isnull=False),
                name="user_verified_phone_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None and bool(self.phone_number)

    @property
    def avatar_url(self) -> str | None:
        """Where the profile photo is served, behind the viewer check; None without one."""
        if not self.avatar:
            return None
        version = self.avatar.name.rsplit("/", 1)[-1].split(".")[0][:12]
        return reverse("avatar", kwargs={"username": self.username, "version": version})

    @property
    def region(self) -> str | None:
        """ISO region of the verified phone number, or None without one."""
        if not self.phone_verified:
            return None
        return region_of(self.phone_number)

    @property
    def age(self) -> int:
        return age_today(self.date_of_birth)

    def is_messaging_suspended(self, now=None) -> bool:
        until = self.messaging_suspended_until
        return until is not None and until > (now or timezone.now())


class PhoneVerification(models.Model):
    """The one pending code of a user: only its hash is stored."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="phone_verification")
    phone_number = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user} → {self.phone_number}"


class PhoneRelease(models.Model):
    """A verified number its account gave up: no other account may verify it for a while.

    Otherwise whoever gets a recycled or released number takes over what it verified
    (PHONE_REUSE_DAYS, default 30).
    """

    phone_number = models.CharField(max_length=16)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["phone_number", "-released_at"], name="phone_release")]

    def __str__(self) -> str:
        return f"{self.phone_number} released by {self.user_id}"


class Follow(models.Model):
    """`follower` follows `followee`; two follows in opposite directions make friends."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="follow_not_self"
            ),
        ]
        indexes = [
            # followers of a user, newest first (the pair index above serves "following")
            models.Index(fields=["followee", "-id"], name="follow_followee_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.followee_id}"


class DeviceToken(AbstractAuthToken):
    """One signed-in device's API token (django-rest-knox): only its hash is stored.

    `Authorization: Token <key>` (and a socket's `?token=`) authenticates with it until
    `expiry`; each device logs out, or is revoked from `me/sessions`, on its own.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    # What the device said it was (its User-Agent) when it logged in, to tell them apart.
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created"], name="devicetoken_user_newest")]

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user_id}"
