"""Evidence for reports: what the reporter could see, frozen as JSON at report time."""

from accounts.models import User
from messaging.models import Conversation, Message
from messaging.selectors import group_members
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
    if conversation.is_group:
        return [member["username"] for member in _members(conversation)]
    return [conversation.user_low.username, conversation.user_high.username]


def _members(conversation: Conversation) -> list[dict]:
    """A group's members and invitees (username, display name, role, state) right now."""
    return group_members([conversation.pk])[conversation.pk]


def message_snapshot(message: Message) -> dict:
    return {
        "message": message_shape(message),
        "conversation": message.conversation_id,
        "participants": _participants(message.conversation),
    }


def conversation_snapshot(conversation: Conversation) -> dict:
    """The last messages; for a group also its kind, title and member list."""
    snapshot = {
        "conversation": conversation.pk,
        "participants": _participants(conversation),
        "messages": _recent_messages(conversation.pk),
    }
    if conversation.is_group:
        snapshot.update(kind=conversation.kind, title=conversation.title)
        snapshot["members"] = _members(conversation)
    return snapshot


def user_snapshot(user: User, conversation: Conversation | None) -> dict:
    """The profile, and the last messages between reporter and user if they have talked."""
    snapshot = {"user": _user(user)}
    if conversation is not None:
        snapshot["conversation"] = conversation.pk
        snapshot["messages"] = _recent_messages(conversation.pk)
    return snapshot
