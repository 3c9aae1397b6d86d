"""Real-time events: what goes to users' sockets, and only after the data is committed.

Every socket of a user joins that user's group (`user_group`). The database is
the truth; these events are a best-effort notification, and a client that
missed one catches up with `sync`.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from messaging.models import Folder, Message, Participant


def user_group(user_id: int) -> str:
    """The one group every socket of this user joins."""
    return f"user.{user_id}"


def _send(user_id: int, event: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(user_group(user_id), event)


def message_payload(message: Message) -> dict:
    from messaging.api.serializers import MessageSerializer

    return MessageSerializer(message, context={"viewer_id": message.sender_id}).data


def conversation_payload(participant: Participant) -> dict:
    """What a socket needs to place a message in its inbox without another request."""
    return {
        "id": participant.conversation_id,
        "folder": participant.folder,
        "unread_count": participant.unread_count,
        "other_user": {
            "username": participant.other.username,
            "display_name": participant.other.display_name,
        },
    }


def _publish_message_new(message_id: int) -> None:
    message = Message.objects.select_related("sender").get(pk=message_id)
    payload = message_payload(message)
    sides = Participant.objects.filter(conversation_id=message.conversation_id).select_related(
        "other"
    )
    for side in sides:
        if side.folder == Folder.FILTERED and side.user_id != message.sender_id:
            # Filtered requests arrive silently: nothing reaches the recipient's sockets
            # (no alert, no badge); the message is in `conversations?folder=filtered`.
            continue
        _send(
            side.user_id,
            {
                "type": "message.new",
                "message": payload,
                "conversation": conversation_payload(side),
            },
        )


def _publish_message_deleted(message_id: int, conversation_id: int, user_ids: list[int]) -> None:
    for user_id in user_ids:
        _send(
            user_id,
            {"type": "message.deleted", "id": message_id, "conversation": conversation_id},
        )


def message_new_on_commit(message: Message) -> None:
    transaction.on_commit(lambda: _publish_message_new(message.pk))


def message_deleted_on_commit(message: Message, user_ids: list[int]) -> None:
    transaction.on_commit(
        lambda: _publish_message_deleted(message.pk, message.conversation_id, user_ids)
    )


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
