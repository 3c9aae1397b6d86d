"""Group membership writes (SPEC section 9): create, add, remove, leave, rename, join, decline.

Who may add whom is the DM policy's (`check_can_add_to_group`); sending in a
group is `services.message_send`, the one send path. Every change here holds
`services.group_lock`, writes a `system` message with the group's next `seq`
and tells every socket concerned after commit (`conversation.updated`).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from dmsite.errors import InvalidInput, NotFound, PermissionDeniedError
from dmsite.fields import text_problem
from dmsite.ratelimit import SlidingWindow
from messaging import events
from messaging.errors import GroupFull
from messaging.models import (
    Conversation,
    ConversationKind,
    Folder,
    MemberState,
    Message,
    MessageKind,
    Participant,
    Role,
)
from messaging.policy import GroupAddition, check_can_add_to_group
from messaging.services import group_lock, group_sides_touch, message_insert
from messaging.shapes import group_event_shape

TITLE_MAX_LENGTH = 50


def groups_window() -> SlidingWindow:
    return SlidingWindow("groups_created", settings.RATE_GROUPS)


def group_title_clean(title) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        raise InvalidInput("The title must be text.", fields={"title": ["Must be text."]})
    problem = text_problem(title, multiline=False)
    if problem is None and len(title.strip()) > TITLE_MAX_LENGTH:
        problem = f"Ensure this field has no more than {TITLE_MAX_LENGTH} characters."
    if problem:
        raise InvalidInput(problem, fields={"title": [problem]})
    return title.strip()


def usernames_clean(usernames, *, adder: User, minimum: int, room: int) -> list[str]:
    """Distinct usernames, not the adder's; more than `room` of them is `group_full`."""
    if not isinstance(usernames, list) or not all(isinstance(name, str) for name in usernames):
        raise InvalidInput(
            "usernames must be a list of usernames.", fields={"usernames": ["Must be a list."]}
        )
    lowered = [name.lower() for name in usernames]
    problem = None
    if len(usernames) < minimum:
        problem = f"Name at least {minimum} other {'people' if minimum > 1 else 'person'}."
    elif len(set(lowered)) != len(lowered):
        problem = "A username is given twice."
    elif adder.username.lower() in lowered:
        problem = "Don't name yourself: you are in the group already."
    if problem:
        raise InvalidInput(problem, fields={"usernames": [problem]})
    if len(usernames) > room:
        raise GroupFull(f"A group has at most {settings.GROUP_MAX_MEMBERS} members.")
    return usernames


def _names(users) -> str:
    names = [user.username for user in users]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _system(conversation, actor: User, body: str, now):
    return message_insert(conversation, actor, body, kind=MessageKind.SYSTEM, now=now)


def _announce(conversation, after_id: int, *, also_user_ids=()) -> None:
    """Tell of a change: `message.new` for its system lines (ids past `after_id`) to the
    members after the change, and `conversation.updated` (see `events`)."""
    sides = list(Participant.objects.filter(conversation=conversation, state=MemberState.MEMBER))
    shapes = {
        side.user_id: group_event_shape(
            conversation=conversation, folder=side.folder, unread_count=side.unread_count
        )
        for side in sides
    }
    lines = Message.objects.filter(conversation=conversation, id__gt=after_id).select_related(
        "sender"
    )
    for line in lines.order_by("id"):
        events.message_new_on_commit(line, shapes)
    events.conversation_updated_on_commit(conversation.pk, also_user_ids=also_user_ids)


def _seat(
    conversation, addition: GroupAddition, existing: dict, now, joined_message, since=None
) -> None:
    """A new member (history from `since`, else its joining) or invitee; or one back."""
    user, invited = addition.user, addition.decision.folder == Folder.REQUESTS
    side = existing.get(user.pk) or Participant(conversation=conversation, user=user)
    side.role = Role.MEMBER
    side.state = MemberState.INVITED if invited else MemberState.MEMBER
    side.folder = Folder.REQUESTS if invited else Folder.INBOX
    side.hidden, side.activity_at, side.joined_at = False, now, None if invited else now
    side.history_from_id = 0 if invited else (since or joined_message).pk
    side.history_until_id = None
    side.unread_count, side.last_read_message_id = 0, joined_message.pk
    side.refresh_inbox_key()
    side.save()


def _add(
    conversation, adder: User, additions: list[GroupAddition], existing: dict, now, since=None
):
    """Seat each addition: adults join (one system line), minors are invited (another).

    Joiners see the history from their joining, or from `since` (the group's creation).
    """
    joining = [a for a in additions if a.decision.folder == Folder.INBOX]
    invited = [a for a in additions if a.decision.folder == Folder.REQUESTS]
    if joining:
        line = _system(
            conversation, adder, f"{adder.username} added {_names(a.user for a in joining)}", now
        )
        for addition in joining:
            _seat(conversation, addition, existing, now, line, since)
    if invited:
        line = _system(
            conversation,
            adder,
            f"{adder.username} invited {_names(a.user for a in invited)}",
            now,
        )
        for addition in invited:
            _seat(conversation, addition, existing, now, line)


def group_create(*, creator: User, usernames, title=None) -> Participant:
    """A new group of the creator (its owner) and 2 or more others; the creator's side."""
    names = usernames_clean(
        usernames, adder=creator, minimum=2, room=settings.GROUP_MAX_MEMBERS - 1
    )
    title = group_title_clean(title)
    additions = check_can_add_to_group(creator, names)
    key = str(creator.pk)
    token = groups_window().acquire(key)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(kind=ConversationKind.GROUP, title=title)
            User.objects.lock_rows(creator, *(addition.user for addition in additions))
            now = timezone.now()
            line = _system(conversation, creator, f"{creator.username} created the group", now)
            mine = Participant(
                conversation=conversation,
                user=creator,
                role=Role.OWNER,
                joined_at=now,
                hidden=False,
                activity_at=now,
                history_from_id=line.pk,
                last_read_message_id=line.pk,
            )
            mine.refresh_inbox_key()
            mine.save()
            _add(conversation, creator, additions, {}, now, since=line)
            _announce(conversation, 0)
    except BaseException:
        groups_window().release(key, token)
        raise
    return mine


def _my_side(members: list[Participant], user: User) -> Participant:
    mine = next((member for member in members if member.user_id == user.pk), None)
    if mine is None:
        raise NotFound("No such conversation.")
    return mine


def _group_sides(conversation) -> dict[int, Participant]:
    return {
        side.user_id: side
        for side in Participant.objects.filter(conversation=conversation).select_related("user")
    }


def _must_be_group(conversation_id: int) -> None:
    if not Conversation.objects.filter(pk=conversation_id, kind=ConversationKind.GROUP).exists():
        raise NotFound("No such group.")


def group_members_add(*, adder: User, conversation_id: int, usernames) -> Participant:
    """Add people to a group the adder is a member of; the adder's side."""
    _must_be_group(conversation_id)
    if not Participant.objects.filter(
        conversation_id=conversation_id, user=adder, state=MemberState.MEMBER
    ).exists():
        raise NotFound("No such conversation.")
    names = usernames_clean(usernames, adder=adder, minimum=1, room=settings.GROUP_MAX_MEMBERS - 1)
    additions = check_can_add_to_group(adder, names)
    with transaction.atomic():
        # The seats are counted under the group's lock: of two people adding the last
        # member at the same moment, the second finds the group full.
        conversation, members = group_lock(
            conversation_id, also=[addition.user for addition in additions]
        )
        mine = _my_side(members, adder)
        sides = _group_sides(conversation)
        for addition in additions:
            side = sides.get(addition.user.pk)
            if side is not None and side.state != MemberState.LEFT:
                problem = f"{addition.username} is already in this group."
                raise InvalidInput(problem, fields={"usernames": [problem]})
        seated = sum(side.state != MemberState.LEFT for side in sides.values())
        if seated + len(additions) > settings.GROUP_MAX_MEMBERS:
            raise GroupFull(f"A group has at most {settings.GROUP_MAX_MEMBERS} members.")
        now, after = timezone.now(), conversation.last_message_id or 0
        _add(conversation, adder, additions, sides, now)
        group_sides_touch(conversation, now)
        _announce(conversation, after)
    mine.refresh_from_db()
    return mine


def group_member_remove(*, actor: User, conversation_id: int, username: str) -> None:
    """The owner removes a member (or withdraws an invitation); anyone may remove themselves."""
    _must_be_group(conversation_id)
    with transaction.atomic():
        conversation, members = group_lock(conversation_id)
        mine = _my_side(members, actor)
        target = next(
            (
                side
                for side in _group_sides(conversation).values()
                if side.user.username.lower() == username.lower() and side.state != MemberState.LEFT
            ),
            None,
        )
        if target is None:
            raise NotFound("No such member.")
        leaving = target.user_id == actor.pk
        if not leaving and mine.role != Role.OWNER:
            raise PermissionDeniedError("Only the group's owner can remove people.")
        now = timezone.now()
        body = (
            f"{actor.username} left"
            if leaving
            else f"{actor.username} removed {target.user.username}"
        )
        after = conversation.last_message_id or 0
        line = _system(conversation, actor, body, now)
        was_member = target.state == MemberState.MEMBER
        remaining = [member for member in members if member.user_id != target.user_id]
        target.state, target.role = MemberState.LEFT, Role.MEMBER
        # They keep the history up to their leaving, this line included; an invitee saw none.
        target.history_until_id = line.pk if was_member else 0
        target.hidden = target.hidden or not was_member
        target.save(update_fields=["state", "role", "history_until_id", "hidden"])
        if leaving and mine.role == Role.OWNER and remaining:
            # The member who joined earliest (group_lock orders them so) takes over.
            Participant.objects.filter(pk=remaining[0].pk).update(role=Role.OWNER)
        if not remaining:
            # Nobody left to join: pending invitations lapse.
            Participant.objects.filter(conversation=conversation, state=MemberState.INVITED).update(
                state=MemberState.LEFT, history_until_id=0, hidden=True
            )
        group_sides_touch(conversation, now)
        _announce(conversation, after, also_user_ids=[target.user_id])


def group_rename(*, actor: User, participant: Participant, title) -> Participant:
    """Any member may rename the group; an empty title shows the members' names."""
    title = group_title_clean(title)
    with transaction.atomic():
        conversation, members = group_lock(participant.conversation_id)
        _my_side(members, actor)
        if title != conversation.title:
            now = timezone.now()
            conversation.title = title
            conversation.save(update_fields=["title"])
            body = (
                f'{actor.username} named the group "{title}"'
                if title
                else f"{actor.username} removed the group name"
            )
            after = conversation.last_message_id or 0
            _system(conversation, actor, body, now)
            group_sides_touch(conversation, now)
            _announce(conversation, after)
    participant.refresh_from_db()
    return participant


def group_invitation_accept(*, participant: Participant) -> Participant:
    """An invitee joins: the group moves to their inbox, with history from their joining.

    A member accepting again changes nothing.
    """
    user = participant.user
    with transaction.atomic():
        conversation, _ = group_lock(participant.conversation_id, also=[user])
        side = Participant.objects.get(pk=participant.pk)
        if side.state == MemberState.LEFT:  # removed, or an invitation that lapsed
            raise NotFound("No such invitation.")
        if side.state == MemberState.INVITED:
            now = timezone.now()
            after = conversation.last_message_id or 0
            line = _system(conversation, user, f"{user.username} joined", now)
            side.state, side.folder, side.joined_at = MemberState.MEMBER, Folder.INBOX, now
            side.history_from_id = side.last_read_message_id = line.pk
            side.save()
            group_sides_touch(conversation, now)
            _announce(conversation, after)
    participant.refresh_from_db()
    return participant


def group_invitation_decline(*, participant: Participant) -> None:
    """An invitee says no: the invitation is gone, and so is the group for them."""
    with transaction.atomic():
        conversation, _ = group_lock(participant.conversation_id)
        deleted, _ = Participant.objects.filter(
            pk=participant.pk, state=MemberState.INVITED
        ).delete()
        if deleted:
            events.conversation_updated_on_commit(
                conversation.pk, also_user_ids=[participant.user_id]
            )
