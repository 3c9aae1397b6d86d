"""The groups migration carries every direct conversation over unchanged.

The database is migrated back to the schema before groups, seeded through the
historical models, migrated forward again, and read back.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("messaging", "0002_drop_prefix_indexes"), ("moderation", "0002_moderators_group")]
AT = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _seed(apps) -> dict:
    User = apps.get_model("accounts", "User")
    Conversation = apps.get_model("messaging", "Conversation")
    Participant = apps.get_model("messaging", "Participant")
    Message = apps.get_model("messaging", "Message")
    Report = apps.get_model("moderation", "Report")
    ann, ben = (
        User.objects.create(
            username=name, display_name=name.title(), date_of_birth=datetime.date(1990, 1, 1)
        )
        for name in ("ann", "ben")
    )
    conversation = Conversation.objects.create(user_low=ann, user_high=ben, created_at=AT)
    first = Message.objects.create(
        conversation=conversation, seq=1, sender=ann, body="hi", client_id="c-1", created_at=AT
    )
    second = Message.objects.create(
        conversation=conversation, seq=2, sender=ben, body="", created_at=AT, unsent_at=AT
    )
    conversation.last_seq, conversation.last_message, conversation.last_message_at = 2, second, AT
    conversation.save()
    Participant.objects.create(
        conversation=conversation,
        user=ann,
        other=ben,
        folder="inbox",
        hidden=False,
        pinned=True,
        last_read_message_id=first.pk,
        unread_count=0,
        activity_at=AT,
        inbox_key="1:x",
    )
    Participant.objects.create(
        conversation=conversation,
        user=ben,
        other=ann,
        folder="requests",
        hidden=False,
        muted=True,
        last_read_message_id=0,
        unread_count=1,
        activity_at=AT,
        inbox_key="0:y",
    )
    Report.objects.create(
        reporter=ben,
        target_type="conversation",
        target_id=conversation.pk,
        offender=ann,
        reason="spam",
        snapshot={"messages": [{"id": first.pk, "body": "hi"}]},
    )
    return {"conversation": conversation.pk, "ann": ann.pk, "ben": ben.pk, "first": first.pk}


def test_direct_conversations_survive_the_groups_migration():
    seeded = _seed(_migrate(BEFORE))
    apps = _migrate(_latest())
    Conversation = apps.get_model("messaging", "Conversation")
    Participant = apps.get_model("messaging", "Participant")
    Message = apps.get_model("messaging", "Message")
    Report = apps.get_model("moderation", "Report")

    conversation = Conversation.objects.get(pk=seeded["conversation"])
    assert (conversation.kind, conversation.title) == ("direct", "")
    assert (conversation.user_low_id, conversation.user_high_id) == (seeded["ann"], seeded["ben"])
    assert (conversation.last_seq, conversation.last_message_at) == (2, AT)
    assert list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "kind", "sender_id", "body", "client_id", "unsent_at")
    ) == [(1, "text", seeded["ann"], "hi", "c-1", None), (2, "text", seeded["ben"], "", "", AT)]
    assert conversation.last_message.seq == 2
    sides = list(
        Participant.objects.filter(conversation=conversation)
        .order_by("user_id")
        .values_list(
            "user_id",
            "other_id",
            "folder",
            "hidden",
            "muted",
            "pinned",
            "last_read_message_id",
            "unread_count",
            "activity_at",
            "inbox_key",
            "role",
            "state",
            "history_from_id",
            "history_until_id",
        )
    )
    assert sides == [
        (
            seeded["ann"],
            seeded["ben"],
            "inbox",
            False,
            False,
            True,
            seeded["first"],
            0,
            AT,
            "1:x",
            "member",
            "member",
            0,
            None,
        ),
        (
            seeded["ben"],
            seeded["ann"],
            "requests",
            False,
            True,
            False,
            0,
            1,
            AT,
            "0:y",
            "member",
            "member",
            0,
            None,
        ),
    ]
    report = Report.objects.get()
    assert (report.target_type, report.target_id, report.offender_id) == (
        "conversation",
        seeded["conversation"],
        seeded["ann"],
    )
    assert report.snapshot == {"messages": [{"id": seeded["first"], "body": "hi"}]}


def test_one_direct_conversation_per_pair_after_the_migration():
    from django.db import IntegrityError, transaction

    from messaging.models import Conversation
    from tests.factories import UserFactory

    ann, ben = sorted(UserFactory.create_batch(2), key=lambda user: user.pk)
    Conversation.objects.create(user_low=ann, user_high=ben)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(user_low=ann, user_high=ben)
    # A direct conversation needs its pair, in order; a group has none.
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(user_low=ben, user_high=ann)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(kind="direct")
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(kind="direct", user_low=ann)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(kind="group", user_low=ann, user_high=ben)
    Conversation.objects.create(kind="group")
    Conversation.objects.create(kind="group")
    assert Conversation.objects.filter(kind="group").count() == 2
