"""Messaging state built through the real services, and snapshots of what a request wrote."""

from accounts.models import User
from messaging import services
from messaging.models import Conversation, Message, Participant
from messaging.policy import messages_window, recipients_window
from privacy import services as privacy_services

# The status of each denial code of the DM policy (SPEC section 4).
STATUS = {
    "account_suspended": 403,
    "cannot_message_self": 403,
    "not_found": 404,
    "you_blocked_user": 403,
    "phone_required": 403,
    "age_restricted": 403,
    "recipient_not_accepting": 403,
    "request_pending": 403,
    "rate_limited": 429,
}


def befriend(a: User, b: User) -> None:
    """Friends are a mutual follow."""
    privacy_services.follow_create(follower=a, followee=b)
    privacy_services.follow_create(follower=b, followee=a)


def set_preference(user: User, dm_preference: str, **changes) -> None:
    privacy_services.privacy_settings_update(user=user, dm_preference=dm_preference, **changes)


def send(sender: User, recipient: User, body: str = "hello", **kwargs) -> Message:
    message, created = services.message_send(
        sender=sender, recipient=recipient, body=body, **kwargs
    )
    assert created
    return message


def windows(user: User) -> tuple[frozenset, frozenset]:
    """What the user's two send limits hold now."""
    key = str(user.pk)
    return messages_window().state(key).members, recipients_window().state(key).members


def written(*users: User) -> tuple:
    """Everything a send could write: rows, each side's state, and the users' rate windows."""
    return (
        Message.objects.count(),
        Conversation.objects.count(),
        Participant.objects.count(),
        list(Conversation.objects.order_by("pk").values_list("pk", "last_seq", "last_message")),
        list(
            Participant.objects.order_by("pk").values_list(
                "pk", "folder", "hidden", "unread_count", "last_read_message_id", "inbox_key"
            )
        ),
        [windows(user) for user in users],
    )


def ok(response, status: int = 200) -> dict:
    """The response's JSON, after checking its status."""
    assert response.status_code == status, response.content
    return response.json()


def refused(response, status: int, code: str) -> None:
    """The response is the SPEC error `code` with `status`."""
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
