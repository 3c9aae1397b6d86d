"""Reactions (SPEC section 11): my one emoji on a message I can see.

The writes of reactions, beside `services.py`'s: they check blocks with the
one DM policy (`reaction_decision`), count towards `RATE_REACTIONS`, and tell
every participant's sockets after commit.
"""

import emoji as emoji_data
from django.db import transaction

from accounts.models import User
from dmsite.errors import InvalidInput, NotFound, PermissionDeniedError
from dmsite.fields import MAX_DB_ID
from messaging import events
from messaging.models import Message, MessageKind, Participant, Reaction
from messaging.policy import reaction_decision, reactions_window


def emoji_clean(value) -> str:
    """One emoji, as the `emoji` library's Unicode data knows them, or 400 `invalid`."""
    if not isinstance(value, str) or not emoji_data.is_emoji(value):
        message = "Choose one emoji."
        raise InvalidInput(message, fields={"emoji": [message]})
    return value


def _message_to_react_on(user: User, message_id: int) -> Message:
    """A message of a conversation I am in, once the policy lets me act in it."""
    participant = (
        Participant.objects.filter(user=user, conversation__messages__pk=message_id).select_related(
            "other"
        )
        if message_id <= MAX_DB_ID  # a larger id would overflow the query, and matches nothing
        else Participant.objects.none()
    ).first()
    if participant is None:
        raise NotFound("No such message.")
    if participant.other_id is not None:
        reaction_decision(user, participant.other).raise_if_denied()
        return Message.objects.get(pk=message_id)
    # A group: a current member, on a message of their history, blocks as with its sender.
    message = Message.objects.select_related("sender").get(pk=message_id)
    if not participant.is_member or not participant.sees(message.pk):
        raise NotFound("No such message.")
    reaction_decision(
        user, message.sender if message.sender_id != user.pk else None
    ).raise_if_denied()
    return message


def reaction_set(*, user: User, message_id: int, emoji) -> Reaction:
    """Set or replace my reaction; the same emoji again changes nothing and counts nothing."""
    emoji = emoji_clean(emoji)
    message = _message_to_react_on(user, message_id)
    if message.unsent or message.kind == MessageKind.SYSTEM:
        raise PermissionDeniedError("You can't react to this message.")
    with transaction.atomic():
        reaction = Reaction.objects.select_for_update().filter(message=message, user=user).first()
        if reaction is not None and reaction.emoji == emoji:
            return reaction
        token = reactions_window().acquire(str(user.pk))
        try:
            reaction, _ = Reaction.objects.update_or_create(
                message=message, user=user, defaults={"emoji": emoji}
            )
        except BaseException:
            reactions_window().release(str(user.pk), token)
            raise
        events.reaction_on_commit(message=message, username=user.username, emoji=emoji)
    return reaction


def reaction_remove(*, user: User, message_id: int) -> None:
    """Remove my reaction; removing one that is not there is done already."""
    message = _message_to_react_on(user, message_id)
    deleted, _ = Reaction.objects.filter(message=message, user=user).delete()
    if deleted:
        events.reaction_on_commit(message=message, username=user.username, emoji=None)
