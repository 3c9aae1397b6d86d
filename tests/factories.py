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
