"""Real-time events: what goes to users' sockets, and only after the data is committed.

Every socket of a user joins that user's group (`user_group`). The database is
the truth; these events are a best-effort notification, and a client that
missed one catches up with `sync`.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Q

from dmsite.realtime import user_group
from messaging import selectors
from messaging.models import MemberState, Message, Participant
from messaging.shapes import blocked_placeholder, message_shape

logger = logging.getLogger(__name__)


def _send(user_id: int, event: dict) -> None:
    _send_all([(user_id, event)])


def _send_all(deliveries: list[tuple[int, dict]]) -> None:
    """Every event to its user's group, in one hop from this thread to the event loop.

    Each user's events go out in order; different users' at once, so a group's 32
    members or a direct send's two sides wait for one Redis round trip, not one each.
    Best effort: it runs after commit, so the write it tells of has happened whatever
    happens here. A channel layer that is down (Redis unreachable) is logged, never
    raised: the send answers success, and the clients catch up with `sync`.
    """
    layer = get_channel_layer()
    if layer is None or not deliveries:
        return
    by_user: dict[int, list[dict]] = {}
    for user_id, event in deliveries:
        by_user.setdefault(user_id, []).append(event)

    async def send_in_order(user_id: int, events: list[dict]) -> None:
        for event in events:
            await layer.group_send(user_group(user_id), event)

    async def send_all() -> None:
        await asyncio.gather(*(send_in_order(user, events) for user, events in by_user.items()))

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.exception(
            "Could not publish %d %s event(s) after commit",
            len(deliveries),
            deliveries[0][1].get("type"),
        )


def message_new_on_commit(
    message: Message, conversations: dict[int, dict], *, hidden_from=frozenset()
) -> None:
    """`message.new` to each user of `conversations` (user id → their conversation shape).

    Both shapes are built now, from what the send holds, so nothing is queried
    after commit. Users in `hidden_from` (they blocked the sender of a group
    message) get its placeholder.
    """
    payload = message_shape(message)
    placeholder = blocked_placeholder(payload) if hidden_from else None
    deliveries = [
        (
            user_id,
            {
                "type": "message.new",
                "message": placeholder if user_id in hidden_from else payload,
                "conversation": conversation,
            },
        )
        for user_id, conversation in conversations.items()
    ]
    transaction.on_commit(lambda: _send_all(deliveries), robust=True)


def _publish_conversation_updated(conversation_id: int, also_user_ids: list[int]) -> None:
    sides = Participant.objects.filter(conversation_id=conversation_id).filter(
        Q(state__in=[MemberState.MEMBER, MemberState.INVITED]) | Q(user_id__in=also_user_ids)
    )
    told = {side.user_id: side for side in sides}
    view = selectors.group_view(conversation_id)
    deliveries = []
    for user_id in {*told, *also_user_ids}:
        side = told.get(user_id)
        conversation = {
            **view,
            "folder": side.folder if side else None,
            "state": side.state if side else MemberState.LEFT,
        }
        deliveries.append((user_id, {"type": "conversation.updated", "conversation": conversation}))
    _send_all(deliveries)


def conversation_updated_on_commit(conversation_id: int, *, also_user_ids=()) -> None:
    """A group's title or members changed: its members and invitees learn it after commit.

    `also_user_ids` (someone removed, or who declined) hear of it this once, and
    nothing more of the group afterwards.
    """
    also = list(also_user_ids)
    transaction.on_commit(lambda: _publish_conversation_updated(conversation_id, also), robust=True)


def message_deleted_on_commit(message: Message, user_ids: list[int]) -> None:
    event = {"type": "message.deleted", "id": message.pk, "conversation": message.conversation_id}
    deliveries = [(user_id, event) for user_id in user_ids]
    transaction.on_commit(lambda: _send_all(deliveries), robust=True)


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

    transaction.on_commit(publish, robust=True)


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
        user_ids = Participant.objects.filter(
            conversation_id=message.conversation_id, state=MemberState.MEMBER
        ).values_list("user_id", flat=True)
        _send_all([(user_id, event) for user_id in user_ids])

    transaction.on_commit(publish, robust=True)
