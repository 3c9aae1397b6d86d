"""Fixtures of the messaging suites."""

import pytest

from tests.factories import UserFactory
from tests.messaging.state import befriend

# The socket fixtures, for every socket suite of this folder.
from tests.messaging.test_consumers import connect, sockets  # noqa: F401


@pytest.fixture
def pair():
    """Two friends: (me, friend)."""
    me, friend = UserFactory.create_batch(2)
    befriend(me, friend)
    return me, friend
