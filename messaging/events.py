"""Real-time events: what goes to users' sockets, and only after the data is committed.

Every socket of a user joins that user's group (`user_group`). The database is
the truth; these events are a best-effort notification, and a client that
missed one catches up with `sync`.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from dmsite.realtime import user_group
from messaging.models import Message, Participant
from messaging.shapes import message_shape


def _send(user_id: int, event: dict) -> None:
    _send_all([(user_id, event)])


def _send_all(deliveries: list[tuple[int, dict]]) -> None:
    """Every event to its user's group, in one hop from this thread to the event loop."""
    layer = get_channel_layer()
    if layer is None or not deliveries:
        return

    async def send_all() -> None:
        for user_id, event in deliveries:
            await layer.group_send(user_group(user_id), event)

    async_to_sync(send_all)()


def message_new_on_commit(message: Message, conversations: dict[int, dict]) -> None:
    """`message.new` to each user of `conversations` (user id → their conversation shape).

    Both shapes are built now, from what the send holds, so nothing is queried
    after commit.
    """
    payload = message_shape(message)
    deliveries = [
        (user_id, {"type": "message.new", "message": payload, "conversation": conversation})
        for user_id, conversation in conversations.items()
    ]
    transaction.on_commit(lambda: _send_all(deliveries))


def message_deleted_on_commit(message: Message, user_ids: list[int]) -> None:
    event = {"type": "message.deleted", "id": message.pk, "conversation": message.conversation_id}
    deliveries = [(user_id, event) for user_id in user_ids]
    transaction.on_commit(lambda: _send_all(deliveries))


def read_on_commit(participant: Participant, *, unread_total: int, receipts: bool) -> None:
    """My other sockets learn my new unread counts; the other side only with receipts on."""

    def publish() -> None:
        _send(
            participant.user_id,
            {
                "type": "read",
                "conversation": participant.conversation_id,
                "up_to": participant.last_read_message_id,
                "unread_count": participant.unread_count,
                "unread_total": unread_total,
            },
        )
        if receipts:
            _send(
                participant.other_id,
                {
                    "type": "read",
                    "conversation": participant.conversation_id,
                    "up_to": participant.last_read_message_id,
                    "user": participant.user.username,
                },
            )

    transaction.on_commit(publish)


def reaction_on_commit(*, message: Message, username: str, emoji: str | None) -> None:
    """Every participant's sockets learn that `username` set (or removed: None) a reaction."""

    def publish() -> None:
        event = {
            "type": "reaction",
            "message": message.pk,
            "conversation": message.conversation_id,
            "user": username,
            "emoji": emoji,
        }
        user_ids = Participant.objects.filter(conversation_id=message.conversation_id).values_list(
            "user_id", flat=True
        )
        _send_all([(user_id, event) for user_id in user_ids])

    transaction.on_commit(publish)
