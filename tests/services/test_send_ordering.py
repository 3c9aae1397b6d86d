"""Sends involving a user serialize on that user's row (PostgreSQL).

That is what makes `sync {after: id}` exact: every message a user can see gets
its id while both participants' rows are locked, so ids of one user's messages
are handed out in commit order and no message can commit "behind" an id the
client has already seen.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from messaging.services import message_send
from privacy.services import follow_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def befriend(a, b):
    follow_create(follower=a, followee=b)
    follow_create(follower=b, followee=a)


def test_a_send_waits_while_the_recipients_row_is_locked():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serializes every write anyway)")
    alice, bob, carol = (UserFactory(username=name) for name in ["alice", "bob", "carol"])
    befriend(alice, bob)
    befriend(carol, bob)
    locked, release = threading.Event(), threading.Event()
    sent: dict = {}

    def another_send_to_bob_in_flight():
        try:
            with transaction.atomic():
                User.objects.lock_rows(bob)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def carol_sends():
        try:
            sent["message"], _ = message_send(sender=carol, recipient=bob, body="hi Bob")
        finally:
            connections.close_all()

    holder = threading.Thread(target=another_send_to_bob_in_flight)
    holder.start()
    assert locked.wait(10)
    sender = threading.Thread(target=carol_sends)
    sender.start()
    sender.join(0.5)
    assert sender.is_alive(), "the send did not wait for Bob's row"
    assert "message" not in sent

    release.set()
    holder.join(10)
    sender.join(10)
    assert not sender.is_alive()
    assert sent["message"].body == "hi Bob"
    assert sent["message"].seq == 1

    # A send between two other users is not held up by Bob's lock.
    dave, erin = UserFactory(username="dave"), UserFactory(username="erin")
    befriend(dave, erin)

    def dave_sends():
        try:
            message_send(sender=dave, recipient=erin, body="yo")
        finally:
            connections.close_all()

    with transaction.atomic():
        User.objects.lock_rows(bob)
        free = threading.Thread(target=dave_sends)
        free.start()
        free.join(5)
        assert not free.is_alive()
