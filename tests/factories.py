"""factory-boy factories: users are made through the model manager, like sign-up does."""

import datetime

import factory
from django.utils import timezone

from accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    """An adult with a verified phone number; `phone_verified=False` for one without."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        phone_verified = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda user: user.username.title())
    date_of_birth = datetime.date(1995, 6, 15)
    phone_number = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    phone_verified_at = factory.Maybe(
        "phone_verified", yes_declaration=factory.LazyFunction(timezone.now), no_declaration=None
    )
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(user, create, extracted, **kwargs):
        if create:
            user.save()


def token_for(user: User) -> str:
    """An API token of `user`: its key (one per user object).

    Without an expiry, so that tests that move the clock years ahead keep their users
    logged in; tests of expiry make their tokens through log-in.
    """
    from accounts.tokens import token_create

    if getattr(user, "_test_token_key", None) is None:
        user._test_token_key = token_create(user=user, expiry=None)[1]
    return user._test_token_key


def totp_device_for(user: User):
    """The TOTP device (django-otp) a staff member needs for the admin's second factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_code(device) -> str:
    """The code the device's authenticator app shows now."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def admin_client_for(user: User):
    """A browser logged in to the admin as `user`, second factor included."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    device = user.totpdevice_set.first() or totp_device_for(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
