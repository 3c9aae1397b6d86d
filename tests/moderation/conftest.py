"""Fixtures of the moderation suite: users who talk, a moderator, and clients for each."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from messaging import services as messaging_services
from messaging.models import Message
from privacy import services as privacy_services
from tests.factories import UserFactory, admin_client_for, totp_device_for


def befriend(a: User, b: User) -> None:
    """Friends are a mutual follow."""
    privacy_services.follow_create(follower=a, followee=b)
    privacy_services.follow_create(follower=b, followee=a)


def send(sender: User, recipient: User, body: str = "hello") -> Message:
    message, created = messaging_services.message_send(
        sender=sender, recipient=recipient, body=body
    )
    assert created
    return message


@pytest.fixture
def pair():
    """Two friends, `reporter` and `offender`, and the one message the offender sent."""
    reporter = UserFactory(username="reporter")
    offender = UserFactory(username="offender")
    befriend(reporter, offender)
    send(reporter, offender, "hi there")
    message = send(offender, reporter, "you are awful")
    return reporter, offender, message


@pytest.fixture
def moderator() -> User:
    """Staff in the Moderators group the migration made: no other permission."""
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    totp_device_for(user)  # staff need a second factor for the admin
    return user


@pytest.fixture
def moderator_client(moderator) -> Client:
    return admin_client_for(moderator)
