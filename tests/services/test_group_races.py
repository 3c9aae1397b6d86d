"""Group writes racing each other on PostgreSQL: the group's lock settles them.

Two members adding the 32nd member at the same moment: exactly one wins, the
other gets 409 `group_full`; parallel sends get gap-free `seq`s.
"""

import threading

import pytest
from django.db import connection, connections

from dmsite.env import Rate
from messaging import groups
from messaging.errors import GroupFull
from messaging.models import Conversation, MemberState, Message, Participant
from messaging.services import message_send
from privacy.services import follow_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def befriend(a, b):
    follow_create(follower=a, followee=b)
    follow_create(follower=b, followee=a)


@pytest.fixture(autouse=True)
def _postgresql(settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serializes every write anyway)")
    settings.RATE_FOLLOWS = Rate(1000, 600)


def _together(*jobs):
    """Run the jobs in threads released at the same instant; their results or errors."""
    start = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            start.wait(10)
            results[index] = job()
        except Exception as error:  # the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_members_add_the_32nd_member_at_the_same_moment():
    owner = UserFactory()
    members = UserFactory.create_batch(30)
    for member in members:
        befriend(owner, member)
    group_id = groups.group_create(
        creator=owner, usernames=[m.username for m in members]
    ).conversation_id
    adder_a, adder_b = members[0], members[1]
    late_a, late_b = UserFactory(), UserFactory()
    befriend(adder_a, late_a)
    befriend(adder_b, late_b)

    for _ in range(3):  # several rounds: the race goes either way
        results = _together(
            lambda: groups.group_members_add(
                adder=adder_a, conversation_id=group_id, usernames=[late_a.username]
            ),
            lambda: groups.group_members_add(
                adder=adder_b, conversation_id=group_id, usernames=[late_b.username]
            ),
        )
        failures = [result for result in results if isinstance(result, Exception)]
        assert len(failures) == 1, results
        assert isinstance(failures[0], GroupFull)
        assert failures[0].status_code == 409
        seated = Participant.objects.filter(conversation_id=group_id).exclude(
            state=MemberState.LEFT
        )
        assert seated.count() == 32
        winner = late_a if not isinstance(results[0], Exception) else late_b
        loser = late_b if winner is late_a else late_a
        assert seated.filter(user=winner).exists()
        assert not seated.filter(user=loser).exists()
        # Seq has no gap and one "added" line was written.
        seqs = list(
            Message.objects.filter(conversation_id=group_id)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        assert seqs == list(range(1, len(seqs) + 1))
        groups.group_member_remove(actor=owner, conversation_id=group_id, username=winner.username)


def test_parallel_sends_in_a_group_get_every_seq_once(settings):
    settings.RATE_MESSAGES = Rate(1000, 60)
    owner, *others = UserFactory.create_batch(4)
    for other in others:
        befriend(owner, other)
    group_id = groups.group_create(
        creator=owner, usernames=[u.username for u in others]
    ).conversation_id
    conversation = Conversation.objects.get(pk=group_id)
    senders = [owner, *others]

    def sends(sender):
        return lambda: [
            message_send(sender=sender, conversation=conversation, body=f"{sender.pk}-{n}")[0].seq
            for n in range(5)
        ]

    results = _together(*(sends(sender) for sender in senders))
    assert not any(isinstance(result, Exception) for result in results), results
    seqs = sorted(seq for result in results for seq in result)
    assert seqs == list(range(3, 3 + 20))  # after the two system lines
    # Ids follow seq: commit order is id order within the group, so sync misses nothing.
    rows = list(Message.objects.filter(conversation_id=group_id).order_by("id"))
    assert [row.seq for row in rows] == list(range(1, 23))
    unread = Participant.objects.get(conversation_id=group_id, user=owner).unread_count
    assert unread == 15
