"""The one home of the message's shape (SPEC section 5), and of a conversation's in events.

REST (`MessageSerializer`), every socket frame (`messaging/events.py`, the
consumer's ack and `sync.batch`) and the moderation snapshots build a message
here, from the objects the caller already holds: no query. Plain dicts, not a
DRF serializer, because the send path builds one per message and a serializer
instance costs more than the rest of the shape together.

Fields added to the message (`kind`, `attachments`, `reply_to`, `reactions`)
go in `message_shape`, and nowhere else.
"""

from datetime import UTC, datetime

from accounts.models import User
from attachments.selectors import message_attachments
from messaging.models import Message


def iso_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as DRF writes it."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


QUOTE_MAX_CHARACTERS = 100  # of the quoted message's body in `reply_to` (SPEC section 11)


def quote_shape(quoted: Message) -> dict:
    """`reply_to`: the quoted message's start, or its tombstone once unsent."""
    return {
        "id": quoted.pk,
        "seq": quoted.seq,
        "sender": quoted.sender.username,
        "body": quoted.body[:QUOTE_MAX_CHARACTERS],
        "unsent": quoted.unsent_at is not None,
    }


def reactions_shape(message: Message) -> list[dict]:
    """`reactions`, from `reaction_list`: prefetched by lists, empty on a message just sent."""
    reactions = getattr(message, "reaction_list", None)
    if reactions is None:  # one message on its own (a retry, a snapshot): one query
        reactions = message.reactions.select_related("user").order_by("id")
    return [{"user": reaction.user.username, "emoji": reaction.emoji} for reaction in reactions]


def message_shape(
    message: Message, *, viewer_id: int | None = None, seen_up_to: int | None = None
) -> dict:
    """A message as every client sees it; `message.sender` must be loaded, and for a
    reply `message.reply_to.sender` (`selectors.messages_shaped` loads them all).

    `seen` appears on the viewer's own messages only when `seen_up_to` is given,
    that is where both participants turned read receipts on.
    """
    data = {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender.username,
        "body": message.body,
        "client_id": message.client_id,
        "created_at": iso_datetime(message.created_at),
        "unsent": message.unsent_at is not None,
        "attachments": message_attachments(message),
        "kind": message.kind,
        "reply_to": quote_shape(message.reply_to) if message.reply_to_id else None,
        "reactions": reactions_shape(message),
    }
    if seen_up_to is not None and message.sender_id == viewer_id:
        data["seen"] = message.pk <= seen_up_to
    return data


def blocked_placeholder(data: dict) -> dict:
    """A group message from someone the viewer blocked: its place in `seq`, nothing of it."""
    return {**data, "body": "", "attachments": [], "blocked": True}


def group_event_shape(*, conversation, folder: str, unread_count: int) -> dict:
    """`conversation_event_shape` for a group: its title instead of the other user."""
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "folder": folder,
        "unread_count": unread_count,
    }


def conversation_event_shape(
    *, conversation_id: int, folder: str, unread_count: int, other: User, muted: bool = False
) -> dict:
    """What a socket needs to place a message in its inbox without another request.

    `muted`: the page notifies of nothing from a muted conversation.
    """
    return {
        "id": conversation_id,
        "folder": folder,
        "unread_count": unread_count,
        "muted": muted,
        "other_user": {
            "username": other.username,
            "display_name": other.display_name,
            "avatar_url": other.avatar_url,
        },
    }
