"""Create the demo users of the README (idempotent: running it again changes nothing)."""

import datetime

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Follow, User

DEMO_PASSWORD = "dmsite-demo-2026"  # noqa: S105 - published in the README on purpose
# The demo moderator's TOTP key (hex), also published in the README: the admin asks
# staff for a code after the password. Base32, for an authenticator app:
# GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ (the RFC 6238 test key).
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"

# username, display name, date of birth, verified phone number (fictional ranges)
DEMO_USERS = [
    ("alice", "Alice Demo", datetime.date(1995, 4, 12), "+14155550101"),
    ("bob", "Bob Demo", datetime.date(1992, 9, 3), "+14155550102"),
    ("carol", "Carol Demo", datetime.date(1999, 1, 27), "+14155550103"),
    ("dave", "Dave (no phone)", datetime.date(1990, 6, 30), ""),
]


class Command(BaseCommand):
    help = "Create the demo users alice, bob, carol, dave and mod (password in the README)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for username, display_name, date_of_birth, phone in DEMO_USERS:
            if User.objects.filter(username__iexact=username).exists():
                continue
            User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                display_name=display_name,
                date_of_birth=date_of_birth,
                phone_number=phone,
                phone_verified_at=timezone.now() if phone else None,
            )
            created += 1
        # A moderator for the admin panel (staff, in the Moderators group).
        moderator = User.objects.filter(username__iexact="mod").first()
        if moderator is None:
            moderator = User.objects.create_user(
                username="mod",
                password=DEMO_PASSWORD,
                display_name="Moderator",
                date_of_birth=datetime.date(1988, 2, 2),
                is_staff=True,
            )
            created += 1
        TOTPDevice.objects.get_or_create(
            user=moderator, name="demo authenticator", defaults={"key": DEMO_TOTP_KEY}
        )
        moderators = Group.objects.filter(name="Moderators").first()
        if moderators is not None:
            moderator.groups.add(moderators)
        # alice, bob and carol follow each other: they are friends and can message.
        friends = User.objects.filter(username__in=["alice", "bob", "carol"])
        for follower in friends:
            for followee in friends:
                if follower != followee:
                    Follow.objects.get_or_create(follower=follower, followee=followee)
        self.stdout.write(
            f"Demo users: {created} created, {len(DEMO_USERS) + 1 - created} existed."
        )
