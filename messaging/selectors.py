"""Reads of messaging shaped for their callers, each a fixed number of queries."""

from django.db import connection
from django.db.models import F, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from accounts.models import User
from dmsite.errors import NotFound
from dmsite.fields import MAX_DB_ID
from messaging.models import Conversation, Folder, MemberState, Message, Participant, Reaction
from privacy.models import Block, PrivacySettings
from privacy.selectors import name_frozen_for


class ParticipantsAsSeen(QuerySet):
    """Participants whose `other` shows what the owner may see of them.

    Someone who blocked the owner keeps the display name they had at the block: a
    later change must not reach the user they blocked (annotated, so no extra query).
    """

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if not fresh:
            return
        for participant in self._result_cache:
            frozen = getattr(participant, "other_name_frozen", None)
            if isinstance(participant, Participant) and frozen is not None:
                participant.other.display_name = frozen
                # Nor their profile photo, which `/media/avatars/…` refuses them anyway.
                participant.other.avatar = ""


def _participants_as_seen() -> QuerySet[Participant]:
    return ParticipantsAsSeen(Participant).annotate(
        other_name_frozen=name_frozen_for("user", "other")
    )


# What the message shape needs beyond the row: one join and one prefetch for a whole page.
MESSAGE_RELATED = ("sender", "reply_to__sender")


def message_reactions(prefix: str = "") -> Prefetch:
    """The reactions of messages (at `prefix`, e.g. "conversation__last_message__") in one query."""
    return Prefetch(
        f"{prefix}reactions",
        queryset=Reaction.objects.select_related("user").order_by("id"),
        to_attr="reaction_list",
    )


def messages_shaped(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Messages with everything their shape shows, in a fixed number of queries."""
    return messages.select_related(*MESSAGE_RELATED).prefetch_related(message_reactions())


def conversation_list_for_user(*, user: User, folder: str) -> QuerySet[Participant]:
    """My visible conversations in one folder, pinned first then newest activity."""
    return (
        _participants_as_seen()
        .filter(user=user, folder=folder, hidden=False)
        .select_related(
            "other", *(f"conversation__last_message__{name}" for name in MESSAGE_RELATED)
        )
        .prefetch_related(message_reactions("conversation__last_message__"))
        .order_by("-inbox_key")
    )


def recipient_by_username(username: str) -> User | None:
    """Any user by name, or None; the DM policy decides what the sender may learn."""
    return User.objects.filter(username__iexact=username).first()


def participant_get(*, user: User, conversation_id: int) -> Participant:
    """My side of a conversation I am in; `not_found` for any other."""
    participant = (
        None
        if conversation_id > MAX_DB_ID
        else (
            _participants_as_seen()
            .filter(user=user, conversation_id=conversation_id)
            .select_related("other", "conversation__last_message__sender")
            .first()
        )
    )
    if participant is None:
        raise NotFound("No such conversation.")
    return participant


def message_history(*, participant: Participant) -> QuerySet[Message]:
    """The messages this side sees: in a group, those of its history window."""
    messages = Message.objects.filter(conversation_id=participant.conversation_id)
    if participant.other_id is None:
        messages = messages.filter(id__gte=participant.history_from_id)
        if participant.history_until_id is not None:
            messages = messages.filter(id__lte=participant.history_until_id)
    return messages_shaped(messages)


def messages_visible_to(*, user_id: int, synced: bool = False) -> QuerySet[Message]:
    """Every message of every conversation the user sees, within each side's window.

    `synced`: what `sync` sends, without the filtered requests the user received (they
    are never pushed either: no alert); their own messages always.
    """
    side = Q(
        conversation__participants__user_id=user_id,
        conversation__participants__state__in=[MemberState.MEMBER, MemberState.LEFT],
        id__gte=F("conversation__participants__history_from_id"),
    ) & (
        Q(conversation__participants__history_until_id__isnull=True)
        | Q(id__lte=F("conversation__participants__history_until_id"))
    )
    if synced:  # in the same filter(), so on the user's own participant row
        side &= Q(conversation__participants__folder__in=[Folder.INBOX, Folder.REQUESTS]) | Q(
            sender_id=user_id
        )
    return Message.objects.filter(side)


# The ids of the first `size` messages after `after` that `messages_visible_to(synced=True)`
# holds, read conversation by conversation: at most `size` index entries from each of the
# user's conversations (docs/query-plans.md). Written as a plain join, PostgreSQL either
# walks the message table in id order or reads and sorts every message of the user's
# conversations (1.6 s for a 170,000-message chat); the ORM cannot write LATERAL. This
# costs one index descent per conversation of the user's plus the rows it returns,
# whatever the table holds. The same conditions as messages_visible_to(synced=True):
# tests/messaging/test_sync_plan.py holds the two to the same answers.
_SYNC_IDS = """
SELECT page.id FROM messaging_participant p
CROSS JOIN LATERAL (
    (SELECT m.id FROM messaging_message m
     WHERE p.folder IN (%s, %s) AND m.conversation_id = p.conversation_id
       AND m.id > %s AND m.id >= p.history_from_id
       AND (p.history_until_id IS NULL OR m.id <= p.history_until_id)
     ORDER BY m.id LIMIT %s)
    UNION ALL
    (SELECT m.id FROM messaging_message m
     WHERE p.folder NOT IN (%s, %s) AND m.conversation_id = p.conversation_id
       AND m.sender_id = %s AND m.id > %s AND m.id >= p.history_from_id
       AND (p.history_until_id IS NULL OR m.id <= p.history_until_id)
     ORDER BY m.id LIMIT %s)
) page
WHERE p.user_id = %s AND p.state IN (%s, %s)
ORDER BY page.id LIMIT %s
"""
_SYNC_PARAMS = (
    "inbox",
    "requests",
    "after",
    "size",
    "inbox",
    "requests",
    "user",
    "after",
    "size",
    "user",
    "member",
    "left",
    "size",
)  # the order of its placeholders


def messages_to_sync(*, user_id: int, after: int, size: int) -> QuerySet[Message]:
    """What `sync` sends after `after`, oldest first, at most `size`; one query.

    On PostgreSQL the page's ids come from `_SYNC_IDS` and the messages by primary key:
    joined to the participants as in messages_visible_to, the planner reads every
    message of the user's conversations again. Elsewhere messages_visible_to itself.
    """
    if connection.vendor != "postgresql":
        return (
            messages_visible_to(user_id=user_id, synced=True)
            .filter(id__gt=after)
            .order_by("id")[:size]
        )
    params = {
        "user": user_id,
        "after": after,
        "size": size,
        "inbox": Folder.INBOX.value,
        "requests": Folder.REQUESTS.value,
        "member": MemberState.MEMBER.value,
        "left": MemberState.LEFT.value,
    }
    # Bound parameters, never text in the SQL.
    ids = RawSQL(_SYNC_IDS, [params[name] for name in _SYNC_PARAMS])  # noqa: S611
    return Message.objects.filter(id__in=ids).order_by("id")[:size]


def group_typing_targets(*, participant: Participant) -> list[int]:
    """Every other current member, except where a block stands between us (either way)."""
    me = participant.user_id
    return list(
        Participant.objects.filter(
            conversation_id=participant.conversation_id, state=MemberState.MEMBER, hidden=False
        )
        .exclude(user_id=me)
        .exclude(user_id__in=Block.objects.filter(blocked_id=me).values("blocker_id"))
        .exclude(user_id__in=Block.objects.filter(blocker_id=me).values("blocked_id"))
        .values_list("user_id", flat=True)
    )


def blocked_ids(*, user: User) -> set[int]:
    """The users this user blocked: their group messages reach them as placeholders."""
    return set(Block.objects.filter(blocker=user).values_list("blocked_id", flat=True))


def group_members(conversation_ids) -> dict[int, list[dict]]:
    """The members and invitees of these groups, owner first then by joining; one query."""
    members: dict[int, list[dict]] = {conversation_id: [] for conversation_id in conversation_ids}
    if not members:
        return members
    sides = (
        Participant.objects.filter(
            conversation_id__in=list(members),
            state__in=[MemberState.MEMBER, MemberState.INVITED],
        )
        .select_related("user")
        .order_by("conversation_id", "-role", "joined_at", "pk")
    )
    for side in sides:
        members[side.conversation_id].append(
            {
                "username": side.user.username,
                "display_name": side.user.display_name,
                "role": side.role,
                "state": side.state,
            }
        )
    return members


def member_count(members: list[dict]) -> int:
    return sum(member["state"] == MemberState.MEMBER for member in members)


def group_view(conversation_id: int) -> dict:
    """A group as every member sees it: what `conversation.updated` carries."""
    conversation = Conversation.objects.get(pk=conversation_id)
    members = group_members([conversation_id])[conversation_id]
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "members": members,
        "member_count": member_count(members),
    }


def unread_total(*, user: User) -> int:
    """Unread messages in my inbox; muted conversations and requests don't count."""
    total = Participant.objects.filter(
        user=user, folder=Folder.INBOX, hidden=False, muted=False
    ).aggregate(total=Sum("unread_count"))["total"]
    return total or 0


def last_message_id(*, user: User) -> int:
    """The newest message id in any of my conversations: where a page's socket starts `sync`."""
    last = Participant.objects.filter(user=user).aggregate(
        last=Max("conversation__last_message_id")
    )["last"]
    return last or 0


def read_receipts_on(*, participant: Participant) -> bool:
    """Both participants turned read receipts on (off by default, as on TikTok); never in groups."""
    if participant.other_id is None:
        return False
    return (
        PrivacySettings.objects.filter(
            user__in=[participant.user_id, participant.other_id], read_receipts=True
        ).count()
        == 2
    )


def seen_up_to(*, participant: Participant) -> int | None:
    """The other side's read position, when both turned read receipts on; else None."""
    if not read_receipts_on(participant=participant):
        return None
    theirs = Participant.objects.filter(
        conversation_id=participant.conversation_id, user_id=participant.other_id
    ).first()
    return theirs.read_shown_message_id if theirs else 0
