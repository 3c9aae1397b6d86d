"""`sync` pages: the PostgreSQL rewrite (LATERAL, conversation by conversation) answers
exactly what messages_visible_to(synced=True) answers, and it reads by index.

The rows are written directly: every window and folder a side can be in, messages of
several conversations interleaved, one conversation whose last message is gone.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging import selectors
from messaging.models import (
    Conversation,
    ConversationKind,
    Folder,
    MemberState,
    Message,
    Participant,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _direct(one, two, *, folders=(Folder.INBOX, Folder.INBOX)):
    low, high = sorted([one, two], key=lambda user: user.pk)
    conversation = Conversation.objects.create(user_low=low, user_high=high)
    for user, other, folder in ((one, two, folders[0]), (two, one, folders[1])):
        Participant.objects.create(
            conversation=conversation, user=user, other=other, folder=folder, hidden=False
        )
    return conversation


def _group(*members):
    conversation = Conversation.objects.create(kind=ConversationKind.GROUP, title="g")
    sides = [
        Participant.objects.create(conversation=conversation, user=user, hidden=False)
        for user in members
    ]
    return conversation, sides


def _world():
    """Who sees what; returns the users and every message id, oldest first."""
    ann, ben, cat, dan, eve = UserFactory.create_batch(5)
    friends = _direct(ann, ben)
    filtered = _direct(eve, ann, folders=(Folder.INBOX, Folder.FILTERED))  # ann's is filtered
    requested = _direct(cat, ann, folders=(Folder.INBOX, Folder.REQUESTS))
    elsewhere = _direct(ben, cat)
    orphan = _direct(ann, dan)  # its last message is gone (SET_NULL), older ones stay
    joined_late, (_, late_side, _) = _group(ben, ann, cat)
    left, (left_side, _, _) = _group(ann, ben, dan)
    invited, (invited_side, _, _) = _group(ann, cat, dan)
    plan = [
        (friends, ann), (friends, ben), (filtered, eve), (filtered, ann), (joined_late, ben),
        (requested, cat), (left, ben), (elsewhere, cat), (orphan, dan), (invited, cat),
        (joined_late, cat), (left, ann), (filtered, eve), (friends, ben), (joined_late, ann),
        (left, dan), (orphan, ann), (requested, ann), (elsewhere, ben), (left, ben),
        (invited, dan), (joined_late, ben), (friends, ann), (orphan, dan),
    ]  # fmt: skip
    seqs: dict[int, int] = {}
    ids = []
    for conversation, sender in plan:
        seqs[conversation.pk] = seqs.get(conversation.pk, 0) + 1
        message = Message.objects.create(
            conversation=conversation, seq=seqs[conversation.pk], sender=sender, body="x"
        )
        ids.append(message.pk)
        Conversation.objects.filter(pk=conversation.pk).update(last_message=message)
    in_joined_late = list(joined_late.messages.order_by("id").values_list("id", flat=True))
    late_side.history_from_id = in_joined_late[2]  # ann was added after two lines
    late_side.save()
    in_left = list(left.messages.order_by("id").values_list("id", flat=True))
    left_side.state, left_side.history_until_id = MemberState.LEFT, in_left[2]
    left_side.save()
    invited_side.state = MemberState.INVITED
    invited_side.save()
    Conversation.objects.filter(pk=orphan.pk).update(last_message=None)
    return (ann, ben, cat, dan, eve), ids


def _reference(user_id: int, after: int, size: int) -> list[int]:
    visible = selectors.messages_visible_to(user_id=user_id, synced=True)
    return list(visible.filter(id__gt=after).order_by("id").values_list("id", flat=True)[:size])


def test_a_sync_page_holds_what_the_user_sees_from_any_position_at_any_size():
    users, ids = _world()
    ann = users[0]
    seen_by_ann = _reference(ann.pk, 0, 100)
    # The world covers each case: ann sees her own line in the filtered chat but not
    # eve's, the late group from her joining on, the left one up to her leaving, no
    # invitation's, nothing of ben and cat's chat, the orphaned chat's older lines.
    assert 0 < len(seen_by_ann) < len(ids)

    for user in users:
        for after in [0, *ids]:
            for size in (1, 2, 5, 100):
                page = selectors.messages_to_sync(user_id=user.pk, after=after, size=size)
                assert [message.pk for message in page] == _reference(user.pk, after, size), (
                    user.username,
                    after,
                    size,
                )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the LATERAL rewrite is PostgreSQL's only"
)
def test_a_sync_page_is_read_conversation_by_conversation_through_message_history():
    (ann, *_), _ = _world()
    page = selectors.messages_to_sync(user_id=ann.pk, after=0, size=100)
    with CaptureQueriesContext(connection) as queries:
        list(page)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "CROSS JOIN LATERAL" in sql

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: a scan is cheapest
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")

    # The planner walks message_history (either way, or index-only) or reads a bitmap of
    # it, by the statistics of the database at hand (CI's differs from a fresh one).
    by_index = r"Index (Only )?Scan( Backward)? using message_history on messaging_message"
    by_bitmap = r"Bitmap Index Scan on message_history"
    assert re.search(f"{by_index}|{by_bitmap}", plan), plan
    assert "Seq Scan on messaging_message" not in plan, plan
