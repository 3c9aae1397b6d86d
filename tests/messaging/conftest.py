"""Fixtures of the messaging suites."""

import pytest

from tests.factories import UserFactory
from tests.messaging.state import befriend


@pytest.fixture
def pair():
    """Two friends: (me, friend)."""
    me, friend = UserFactory.create_batch(2)
    befriend(me, friend)
    return me, friend
