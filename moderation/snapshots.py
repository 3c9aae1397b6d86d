"""Evidence for reports: what the reporter could see, frozen as JSON at report time."""

from accounts.models import User
from messaging.models import Conversation, Message
from messaging.shapes import message_shape

SNAPSHOT_MESSAGES = 20


def _recent_messages(conversation_id: int) -> list[dict]:
    recent = (
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("sender")
        .order_by("-id")[:SNAPSHOT_MESSAGES]
    )
    return [message_shape(message) for message in reversed(recent)]


def _user(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "bio": user.bio,
        "date_joined": user.date_joined.isoformat(),
    }


def _participants(conversation: Conversation) -> list[str]:
    return [conversation.user_low.username, conversation.user_high.username]


def message_snapshot(message: Message) -> dict:
    return {
        "message": message_shape(message),
        "conversation": message.conversation_id,
        "participants": _participants(message.conversation),
    }


def conversation_snapshot(conversation: Conversation) -> dict:
    return {
        "conversation": conversation.pk,
        "participants": _participants(conversation),
        "messages": _recent_messages(conversation.pk),
    }


def user_snapshot(user: User, conversation: Conversation | None) -> dict:
    """The profile, and the last messages between reporter and user if they have talked."""
    snapshot = {"user": _user(user)}
    if conversation is not None:
        snapshot["conversation"] = conversation.pk
        snapshot["messages"] = _recent_messages(conversation.pk)
    return snapshot
