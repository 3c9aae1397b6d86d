"""Real-time events: what goes to users' sockets, and only after the data is committed.

Every socket of a user joins that user's group (`user_group`). The database is
the truth; these events are a best-effort notification, and a client that
missed one catches up with `sync`.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Q

from messaging import selectors
from messaging.models import MemberState, Message, MessageKind, Participant
from privacy.models import Block


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


def blocked_placeholder(payload: dict) -> dict:
    """A group message from someone the viewer blocked: its place in `seq`, nothing of it."""
    return {**payload, "body": "", "attachments": [], "blocked": True}


def conversation_payload(participant: Participant) -> dict:
    """What a socket needs to place a message in its inbox without another request."""
    payload = {
        "id": participant.conversation_id,
        "folder": participant.folder,
        "unread_count": participant.unread_count,
    }
    if participant.other_id is None:
        payload["kind"] = participant.conversation.kind
        payload["title"] = participant.conversation.title
    else:
        payload["other_user"] = {
            "username": participant.other.username,
            "display_name": participant.other.display_name,
        }
    return payload


def _publish_message_new(message_id: int) -> None:
    message = Message.objects.select_related("sender", "conversation").get(pk=message_id)
    payload = message_payload(message)
    # Every current member of a group (a direct conversation's two sides always are).
    sides = list(
        Participant.objects.filter(
            conversation_id=message.conversation_id, state=MemberState.MEMBER
        ).select_related("other", "conversation")
    )
    hidden_from = set()
    if message.conversation.is_group and message.kind == MessageKind.TEXT:
        hidden_from = set(
            Block.objects.filter(
                blocked_id=message.sender_id, blocker_id__in=[side.user_id for side in sides]
            ).values_list("blocker_id", flat=True)
        )
    for side in sides:
        _send(
            side.user_id,
            {
                "type": "message.new",
                "message": blocked_placeholder(payload) if side.user_id in hidden_from else payload,
                "conversation": conversation_payload(side),
            },
        )


def _publish_message_deleted(message_id: int, conversation_id: int, user_ids: list[int]) -> None:
    for user_id in user_ids:
        _send(
            user_id,
            {"type": "message.deleted", "id": message_id, "conversation": conversation_id},
        )


def _publish_conversation_updated(conversation_id: int, also_user_ids: list[int]) -> None:
    sides = Participant.objects.filter(conversation_id=conversation_id).filter(
        Q(state__in=[MemberState.MEMBER, MemberState.INVITED]) | Q(user_id__in=also_user_ids)
    )
    told = {side.user_id: side for side in sides}
    view = selectors.group_view(conversation_id)
    for user_id in {*told, *also_user_ids}:
        side = told.get(user_id)
        _send(
            user_id,
            {
                "type": "conversation.updated",
                "conversation": {
                    **view,
                    "folder": side.folder if side else None,
                    "state": side.state if side else MemberState.LEFT,
                },
            },
        )


def conversation_updated_on_commit(conversation_id: int, *, also_user_ids=()) -> None:
    """A group's title or members changed: its members and invitees learn it.

    `also_user_ids` (someone removed, or who declined) hear of it this once, and
    nothing more of the group afterwards.
    """
    also = list(also_user_ids)
    transaction.on_commit(lambda: _publish_conversation_updated(conversation_id, also))


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
