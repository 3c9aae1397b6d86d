"""Every write of messaging: opening conversations, sending, reading, hiding, unsending.

`message_send` is the one send path of every entry point (REST, WebSocket, HTML).
"""

import functools
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, When
from django.utils import timezone

from accounts.models import DeviceToken, User
from accounts.sessions import Credential, CredentialEnded, credential_user
from attachments.services import (
    attachment_ids_clean,
    attachments_attach,
    attachments_delete_for_message,
    attachments_for_send,
)
from dmsite import rows
from dmsite.errors import ApiError, InvalidInput, NotFound, PermissionDeniedError
from dmsite.fields import MAX_DB_ID, text_problem
from messaging import events, policy, selectors
from messaging.errors import CannotMessageSelf, EmptyMessage, MessageTooLong
from messaging.models import (
    Conversation,
    Folder,
    MemberState,
    Message,
    MessageKind,
    Participant,
    Reaction,
)
from messaging.policy import group_send_decision
from messaging.shapes import conversation_event_shape, group_event_shape
from privacy.models import Block
from privacy.selectors import is_blocked

CLIENT_ID_MAX_LENGTH = 64


def message_body_clean(body, *, optional: bool = False) -> str:
    """The body as it will be stored, or the SPEC error for a body that cannot be sent.

    `optional`: the message carries attachments, so it may have no text.
    """
    if body is None:
        if optional:
            return ""
        problem = "Write a message or attach something."
        raise InvalidInput(f"body: {problem}", fields={"body": [problem]})
    if not isinstance(body, str):
        raise InvalidInput("The message body must be text.", fields={"body": ["Must be text."]})
    problem = text_problem(body, multiline=True)
    if problem:
        raise InvalidInput(problem, fields={"body": [problem]})
    text = body.strip()
    if not text and not optional:
        raise EmptyMessage()
    if len(text) > settings.DM_MAX_LENGTH:
        raise MessageTooLong(f"Messages can be at most {settings.DM_MAX_LENGTH} characters.")
    return text


def client_id_clean(client_id) -> str:
    if client_id is None or client_id == "":
        return ""
    if (
        not isinstance(client_id, str)
        or len(client_id) > CLIENT_ID_MAX_LENGTH
        or not client_id.isascii()
        or not client_id.isprintable()
    ):
        message = f"client_id must be printable ASCII of at most {CLIENT_ID_MAX_LENGTH} characters."
        raise InvalidInput(message, fields={"client_id": [message]})
    return client_id


def reply_to_clean(reply_to) -> int | None:
    """The id of the message a send quotes, or None; whether it may be quoted is for the send."""
    if reply_to is None:
        return None
    if isinstance(reply_to, bool) or not isinstance(reply_to, int) or not 0 < reply_to <= MAX_DB_ID:
        message = "reply_to must be the id of a message."
        raise InvalidInput(message, fields={"reply_to": [message]})
    return reply_to


def _quoted_message(
    conversation_id: int | None, reply_to: int | None, *, side: Participant | None = None
) -> Message | None:
    """The message `reply_to` names, of this conversation (and, in a group, of `side`'s
    history window); one statement. A conversation not yet made has none to quote."""
    if reply_to is None:
        return None
    quoted = (
        Message.objects.filter(pk=reply_to, conversation_id=conversation_id)
        .select_related("sender")
        .first()
    )
    if quoted is None or (side is not None and not side.sees(quoted.pk)):
        message = "reply_to must name a message of this conversation."
        raise InvalidInput(message, fields={"reply_to": [message]})
    return quoted


def _pair(a: User, b: User) -> tuple[User, User]:
    return (a, b) if a.pk < b.pk else (b, a)


def _participant_for(conversation: Conversation, user: User, other: User, **defaults):
    participant, _ = Participant.objects.get_or_create(
        conversation=conversation, user=user, defaults={"other": other, **defaults}
    )
    return participant


def conversation_open(*, user: User, other: User) -> tuple[Participant, bool]:
    """The user's side of their conversation with `other`, made if needed; sends nothing."""
    if user.pk == other.pk:
        raise CannotMessageSelf()
    low, high = _pair(user, other)
    with transaction.atomic():
        # The same locks as a send: a first send cannot race to create the same rows.
        User.objects.lock_rows(user, other)
        conversation, created = Conversation.objects.get_or_create(user_low=low, user_high=high)
        participant = _participant_for(conversation, user, other)
    return participant, created


def message_send(
    *,
    sender: User,
    recipient: User | None = None,
    to: str | None = None,
    body,
    client_id=None,
    reply_to=None,
    attachments=None,
    conversation: Conversation | None = None,
    token_id: int | None = None,
) -> tuple[Message, bool]:
    """Send `body` to `recipient` (or the user named `to`), or into a group; (message, created).

    A group is named by `conversation`; a direct conversation by its `recipient` (None,
    and no `to`: no such user). `reply_to` quotes a message of the same conversation.
    `attachments` are ids of the sender's own unsent uploads (SPEC section 10); with them
    the body may be empty. The same `client_id` from the same sender returns the stored
    message with created False: a retry never makes a duplicate. A denied or invalid send
    writes nothing and counts nothing towards the rate limits. The message comes back
    with `seen_up_to` set for the sender's view (`message_shape`): the recipient's read
    position where both turned receipts on.

    A steady direct send is five statements whatever the history's length: lock both
    users (finding the recipient by name), the pair's facts, the message, the
    conversation, both participants; plus one cache round trip for both rate windows. A
    reply adds the quoted message, attachments their lookup and attaching.

    `token_id`: the sender is a socket's, authenticated by that device token; the send
    raises CredentialEnded, writing nothing, unless it still holds. For a direct send
    the lock statement checks it (nothing more to run); the sender needs only its `pk`.
    """
    attachment_ids = attachment_ids_clean(attachments)
    text = message_body_clean(body, optional=bool(attachment_ids))
    client_id = client_id_clean(client_id)
    reply_to = reply_to_clean(reply_to)
    group = conversation if conversation is not None and conversation.is_group else None
    if group is not None and token_id is not None:
        sender = credential_user(Credential("token", str(token_id)), sender.pk)
        if sender is None:
            raise CredentialEnded()
    try:
        if group is not None:
            return _group_send(sender, group, text, client_id, reply_to, attachment_ids), True
        with transaction.atomic():
            # Both users' rows stay locked until commit. So every message a user can see
            # gets its id in commit order, and `sync {after: id}` can never skip one
            # committed late; and parallel sends cannot pass a message-request limit together.
            sender, recipient = _lock_pair(sender, recipient, to, token_id)
            facts = (
                policy.pair_facts(sender, [recipient]).get(recipient.pk, policy.PairFacts())
                if recipient is not None and recipient.pk != sender.pk
                else policy.PairFacts()
            )
            decision = policy.send_decision(
                sender, recipient, facts, body=text, with_media=bool(attachment_ids)
            )
            quoted = _quoted_message(facts.conversation_id, reply_to)
            uploads = attachments_for_send(sender=sender, ids=attachment_ids)
            acquired = policy.acquire_send_limits(sender, recipient, decision)
            try:
                message = _write_message(
                    sender, recipient, facts, decision, text, client_id, quoted, uploads
                )
            except BaseException:
                acquired.release()
                raise
    except (ApiError, IntegrityError):
        # The one way a retry is settled, direct or group: answered with the stored
        # message whatever the policy says now. A client_id already stored fails the
        # insert (the whole send rolls back), so no send looks it up beforehand.
        stored = _stored_retry(sender, recipient, client_id, group=group) if client_id else None
        if stored is None:
            raise
        return stored, False
    return message, True


@functools.cache
def _lock_sql(by_name: bool, for_update: bool, with_token: bool) -> str:
    """The lock statement of a direct send: the users' columns (and whether the token holds).

    Plain SQL: it runs on every send, where the ORM's compile work (the lock, the
    case-insensitive name) cost more than the statement. With `with_token`, the same
    statement says whether the socket's device token still holds (unexpired, its user's).
    """
    tokens = DeviceToken._meta.db_table
    token = (
        f", EXISTS(SELECT 1 FROM {tokens} t WHERE t.id = %(token)s AND t.user_id = u.id"  # noqa: S608
        " AND (t.expiry IS NULL OR t.expiry > %(now)s))"
        if with_token
        else ""
    )
    match = (
        "u.id = %(s)s OR LOWER(u.username) = LOWER(%(to)s)" if by_name else "u.id IN (%(s)s, %(r)s)"
    )
    lock = " FOR UPDATE" if for_update else ""
    columns = rows.select_columns(User, "u")
    # Only column and table names of our models and placeholders go into the text.
    return f"SELECT {columns}{token} FROM {User._meta.db_table} u WHERE {match} ORDER BY u.id{lock}"  # noqa: S608


def _lock_pair(
    sender: User, recipient: User | None, to: str | None, token_id: int | None = None
) -> tuple[User, User | None]:
    """Lock the sender's and the recipient's rows, in id order, and read both afresh.

    A suspension or deactivation applies at once. With `to`, the same statement finds
    the recipient by name (case-insensitively, on the `user_username_ci_unique` index).
    With `token_id` (a socket's device token), raises CredentialEnded unless that token
    still authenticates the sender, an active user.
    """
    with_token = token_id is not None
    sql = _lock_sql(to is not None, connection.features.has_select_for_update, with_token)
    params = {"s": sender.pk, "to": to, "r": recipient.pk if recipient else sender.pk}
    if with_token:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params |= {"token": token_id, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    count = rows.column_count(User)
    users = [rows.instance(User, row[:count]) for row in found]
    fresh = next((user for user in users if user.pk == sender.pk), None)
    if with_token:
        holds = next((row[count] for row in found if row[0] == sender.pk), False)
        if fresh is None or not holds or not fresh.is_active:
            raise CredentialEnded()
    fresh = fresh or sender
    others = [user for user in users if user.pk != sender.pk]
    if others:
        return fresh, others[0]
    if to is not None:
        return fresh, fresh if fresh.username.lower() == to.lower() else None
    return fresh, fresh if recipient is not None else None


def _conversation_key(conversation: Conversation) -> tuple:
    """What a conversation is between: a group itself, or a pair of users."""
    if conversation.is_group:
        return ("group", conversation.pk)
    return ("pair", frozenset((conversation.user_low_id, conversation.user_high_id)))


def _stored_retry(
    sender: User, recipient: User | None, client_id: str, *, group: Conversation | None = None
) -> Message | None:
    """The message this sender already stored with `client_id`, if this send repeats it.

    InvalidInput when that client_id went to another conversation than this send's.
    """
    stored = (
        Message.objects.filter(sender=sender, client_id=client_id)
        .select_related("sender", "conversation", "reply_to__sender")
        .first()
    )
    if stored is None:
        return None
    if group is not None:
        target = _conversation_key(group)
    else:
        target = ("pair", frozenset((sender.pk, recipient.pk))) if recipient else None
    if _conversation_key(stored.conversation) != target:
        raise InvalidInput(
            "This client_id was already used for another conversation.",
            fields={"client_id": ["Already used for another conversation."]},
        )
    if group is not None:
        stored.seen_up_to = None  # no read receipts in groups
        return stored
    mine = Participant.objects.select_related("other").get(
        conversation_id=stored.conversation_id, user=sender
    )
    stored.seen_up_to = selectors.seen_up_to(participant=mine)
    return stored


def _new_message(conversation_id, seq, sender, text, client_id, now, quoted, uploads) -> Message:
    """The row of a message about to be written (not saved)."""
    return Message(
        conversation_id=conversation_id,
        seq=seq,
        sender=sender,
        body=text,
        client_id=client_id,
        created_at=now,
        attachment_count=len(uploads),
        reply_to=quoted,
    )


def _attach(message: Message, uploads) -> None:
    """A stored message takes its uploads; its shape then needs no query for attachments
    or reactions (a new message has none)."""
    if uploads:
        attachments_attach(message=message, attachments=uploads)
    else:
        message.attachment_list = []
    message.reaction_list = []


def message_insert(
    conversation,
    sender,
    text,
    *,
    client_id="",
    kind=MessageKind.TEXT,
    now=None,
    quoted=None,
    uploads=(),
) -> Message:
    """Append a message with the conversation's next `seq`.

    The caller holds the lock that serializes the conversation's writes. A `client_id`
    already stored fails the insert with IntegrityError (`message_send` settles it).
    """
    now = now or timezone.now()
    message = _new_message(
        conversation.pk, conversation.last_seq + 1, sender, text, client_id, now, quoted, uploads
    )
    message.conversation, message.kind = conversation, kind
    message.save(force_insert=True)
    _attach(message, uploads)
    conversation.last_seq = message.seq
    conversation.last_message = message
    conversation.last_message_at = now
    conversation.save(update_fields=["last_seq", "last_message", "last_message_at"])
    return message


def _write_message(sender, recipient, facts, decision, text, client_id, quoted, uploads) -> Message:
    """The message and both sides of the conversation, in a fixed number of statements."""
    now = timezone.now()
    conversation_id = facts.conversation_id
    if conversation_id is None:
        low, high = _pair(sender, recipient)
        conversation_id = Conversation.objects.create(user_low=low, user_high=high).pk
    message = _new_message(
        conversation_id,
        facts.conversation_messages + 1,
        sender,
        text,
        client_id,
        now,
        quoted,
        uploads,
    )
    # Writing back is a reply: the sender's side is in their inbox, visible again.
    # A filtered request has no unread count and reaches none of the recipient's
    # sockets (no alert, no badge): it waits in `conversations?folder=filtered`.
    filtered = decision.folder == Folder.FILTERED
    update = _sides_update(conversation_id, recipient, facts, decision.folder, now, not filtered)
    _rows_write(message, now, update)
    _attach(message, uploads)
    _sides_insert_missing(
        conversation_id, sender, recipient, facts, decision.folder, now, not filtered
    )
    message.seen_up_to = facts.recipient_read_up_to if facts.read_receipts_both else None
    sides = {
        sender.pk: conversation_event_shape(
            conversation_id=conversation_id,
            folder=Folder.INBOX,
            unread_count=facts.sender_unread,
            other=recipient,
            muted=facts.sender_muted,
        )
    }
    if not filtered:
        sides[recipient.pk] = conversation_event_shape(
            conversation_id=conversation_id,
            folder=decision.folder,
            unread_count=facts.recipient_unread + 1,
            other=sender,
            muted=facts.recipient_muted,
        )
    events.message_new_on_commit(message, sides)
    return message


def group_lock(conversation_id: int, also=()) -> tuple[Conversation, list[Participant]]:
    """Lock a group, then its current members' rows and `also`'s; (group, current members).

    Every write of a group (sends, joins, removals, renames) holds this lock, so its
    `seq` has no gaps; and, as for direct sends, the members' user rows, so the ids of
    the messages a user can see are handed out in commit order (`sync` is exact). The
    users are locked in one statement, in id order, so no two writers deadlock.
    """
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    members = list(
        Participant.objects.filter(conversation=conversation, state=MemberState.MEMBER)
        .select_related("user")
        .order_by("joined_at", "pk")
    )
    User.objects.lock_rows(*(member.user for member in members), *also)
    return conversation, members


def group_sides_touch(conversation: Conversation, now, **changes) -> None:
    """The group rises to the top of its current members' lists, visible again; one UPDATE."""
    Participant.objects.filter(conversation=conversation, state=MemberState.MEMBER).update(
        hidden=False,
        activity_at=now,
        inbox_key=Participant.inbox_key_expression(conversation.pk, now),
        **changes,
    )


def _group_send(sender: User, group: Conversation, text, client_id, reply_to, attachment_ids):
    with transaction.atomic():
        conversation, members = group_lock(group.pk)
        mine = next((member for member in members if member.user_id == sender.pk), None)
        group_send_decision(sender, mine).raise_if_denied()
        quoted = _quoted_message(conversation.pk, reply_to, side=mine)
        uploads = attachments_for_send(sender=sender, ids=attachment_ids)
        acquired = policy.acquire_send_limits(sender, conversation)
        try:
            now = timezone.now()
            message = message_insert(
                conversation,
                sender,
                text,
                client_id=client_id,
                now=now,
                quoted=quoted,
                uploads=uploads,
            )
            _group_fan_out(conversation, message, members, now)
        except BaseException:
            acquired.release()
            raise
    message.seen_up_to = None  # no read receipts in groups
    return message


def _group_fan_out(conversation, message, members, now) -> None:
    """Every member's side rises and counts it unread (the sender's and blockers' do not).

    Members who blocked the sender get a placeholder, so their `seq` has no gap.
    """
    hidden_from = set(
        Block.objects.filter(
            blocked_id=message.sender_id, blocker_id__in=[member.user_id for member in members]
        ).values_list("blocker_id", flat=True)
    )
    counted = {
        member.user_id
        for member in members
        if member.user_id != message.sender_id and member.user_id not in hidden_from
    }
    group_sides_touch(
        conversation,
        now,
        unread_count=Case(
            When(user_id__in=counted, then=F("unread_count") + 1),
            default=F("unread_count"),
            output_field=Participant._meta.get_field("unread_count"),
        ),
    )
    events.message_new_on_commit(
        message,
        {
            member.user_id: group_event_shape(
                conversation=conversation,
                folder=member.folder,
                unread_count=member.unread_count + (member.user_id in counted),
            )
            for member in members
        },
        hidden_from=hidden_from,
    )


# Plain SQL: the ORM's Case/When/Concat update cost more to compile than to run, on
# every send. Portable to SQLite and PostgreSQL.
_SIDES_UPDATE_SQL = f"""
UPDATE {Participant._meta.db_table} SET
  folder = CASE WHEN user_id = %s THEN %s ELSE %s END,
  hidden = %s,
  activity_at = %s,
  inbox_key = (CASE WHEN pinned THEN '1' ELSE '0' END) || %s,
  unread_count = unread_count + CASE WHEN user_id = %s THEN %s ELSE 0 END
WHERE id IN ({{ids}})
"""  # noqa: S608 - a table name and placeholders only


@functools.cache
def _message_insert_sql(returning: bool) -> tuple[str, tuple]:
    """A message's INSERT (returning its id), and the fields whose values it takes."""
    fields = tuple(field for field in Message._meta.concrete_fields if not field.primary_key)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    tail = f" RETURNING {connection.ops.quote_name(Message._meta.pk.column)}" if returning else ""
    sql = f"INSERT INTO {Message._meta.db_table} ({columns}) VALUES ({values}){tail}"  # noqa: S608
    return sql, fields


_CONVERSATION_UPDATE_SQL = f"""
UPDATE {Conversation._meta.db_table}
SET last_seq = %s, last_message_id = {{message}}, last_message_at = %s WHERE id = %s
"""  # noqa: S608 - a table name and placeholders only


def _rows_write(message: Message, now, sides: tuple[str, list] | None) -> None:
    """The message, its conversation's last message and the existing sides' UPDATE.

    Plain SQL: the ORM's insert and update cost more to compile than to run. On
    PostgreSQL one statement writes all three (data-modifying CTEs, in one round trip);
    elsewhere three statements, in process.
    """
    returning = connection.features.can_return_columns_from_insert
    insert, fields = _message_insert_sql(returning)
    values = [
        field.get_db_prep_save(getattr(message, field.attname), connection) for field in fields
    ]
    at = connection.ops.adapt_datetimefield_value(now)
    conversation = [message.seq, at, message.conversation_id]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            update = _CONVERSATION_UPDATE_SQL.format(message="(SELECT id FROM m)")
            parts = [f"m AS ({insert})", f"c AS ({update})"]
            params = values + conversation
            if sides is not None:
                parts.append(f"p AS ({sides[0]})")
                params += sides[1]
            cursor.execute(f"WITH {', '.join(parts)} SELECT id FROM m", params)  # noqa: S608
            message.pk = cursor.fetchone()[0]
        else:
            cursor.execute(insert, values)
            message.pk = (
                cursor.fetchone()[0]
                if returning
                else connection.ops.last_insert_id(cursor, Message._meta.db_table, "id")
            )
            cursor.execute(
                _CONVERSATION_UPDATE_SQL.format(message="%s"),
                [message.seq, message.pk, at, message.conversation_id],
            )
            if sides is not None:
                cursor.execute(*sides)
    message._state.adding, message._state.db = False, connection.alias


def _key_tail(conversation_id: int, now) -> str:
    return f":{now:%Y%m%d%H%M%S%f}:{conversation_id:020d}"


def _sides_update(
    conversation_id, recipient, facts, folder, now, counted=True
) -> tuple[str, list] | None:
    """The UPDATE of the sides that exist (None: neither does yet): both visible, with
    the new activity; the recipient has one more unread (unless not `counted`: a
    filtered request)."""
    existing = [pk for pk in (facts.sender_side_id, facts.recipient_side_id) if pk is not None]
    if not existing:
        return None
    # The inbox key (pinned first, then activity) is computed by the database from each
    # row's own `pinned`, so a pin changed meanwhile is kept.
    return (
        _SIDES_UPDATE_SQL.format(ids=", ".join(["%s"] * len(existing))),
        [
            recipient.pk,
            folder,
            Folder.INBOX,
            False,
            connection.ops.adapt_datetimefield_value(now),
            _key_tail(conversation_id, now),
            recipient.pk,
            int(counted),
            *existing,
        ],
    )


def _sides_insert_missing(conversation_id, sender, recipient, facts, folder, now, counted=True):
    """The sides that do not exist yet (a first send): one INSERT."""
    missing = []
    if facts.sender_side_id is None:
        missing.append(
            Participant(user=sender, other=recipient, folder=Folder.INBOX, unread_count=0)
        )
    if facts.recipient_side_id is None:
        missing.append(
            Participant(user=recipient, other=sender, folder=folder, unread_count=int(counted))
        )
    for side in missing:
        side.conversation_id, side.hidden, side.activity_at = conversation_id, False, now
        side.inbox_key = f"0{_key_tail(conversation_id, now)}"
    if missing:
        Participant.objects.bulk_create(missing)


def conversation_accept(*, participant: Participant) -> Participant:
    """Move a message request (or a filtered one) into the inbox."""
    if participant.folder == Folder.FILTERED:
        # Filtered messages were never counted as unread: from now on they are.
        participant.unread_count = _unread_after(participant, participant.last_read_message_id)
    if participant.folder != Folder.INBOX:
        participant.folder = Folder.INBOX
        participant.save(update_fields=["folder", "unread_count"])
    return participant


def _unread_after(participant: Participant, read_up_to: int) -> int:
    return (
        Message.objects.filter(
            conversation_id=participant.conversation_id,
            id__gt=read_up_to,
            unsent_at__isnull=True,  # a tombstone is nothing to read
        )
        .exclude(sender_id=participant.user_id)
        .count()
    )


def _blocks_other(participant: Participant) -> bool:
    """In a direct conversation, whether its owner blocks the other side."""
    return participant.other_id is not None and is_blocked(
        blocker=participant.user, blocked=participant.other
    )


def conversation_mark_read(*, participant: Participant, up_to: int) -> Participant:
    """Read everything up to message `up_to`; my unread count drops accordingly."""
    last_message_id = participant.conversation.last_message_id or 0
    read_up_to = max(participant.last_read_message_id, min(up_to, last_message_id))
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        read_up_to = max(locked.last_read_message_id, read_up_to)
        unread = (
            selectors.message_history(participant=locked)
            .filter(
                id__gt=read_up_to,
                kind=MessageKind.TEXT,  # system lines are not counted
                unsent_at__isnull=True,  # a tombstone is nothing to read
            )
            .exclude(sender_id=participant.user_id)
        )
        if participant.other_id is None:  # a blocked sender's placeholders are not counted
            unread = unread.exclude(
                sender_id__in=Block.objects.filter(blocker_id=participant.user_id).values(
                    "blocked_id"
                )
            )
        # A filtered request has no unread count until it is accepted.
        unread = 0 if locked.folder == Folder.FILTERED else unread.count()
        # A user I blocked keeps seeing my read position as it was before the block.
        shown = not _blocks_other(participant)
        position = {"read_shown_message_id": read_up_to} if shown else {}
        Participant.objects.filter(pk=participant.pk).update(
            last_read_message_id=read_up_to, unread_count=unread, **position
        )
        participant.last_read_message_id, participant.unread_count = read_up_to, unread
        events.read_on_commit(
            participant,
            unread_total=selectors.unread_total(user=participant.user),
            receipts=shown and selectors.read_receipts_on(participant=participant),
        )
    return participant


def conversation_update(
    *, participant: Participant, muted: bool | None = None, pinned: bool | None = None
) -> Participant:
    if muted is not None:
        participant.muted = muted
    if pinned is not None:
        participant.pinned = pinned
    participant.refresh_inbox_key()
    participant.save(update_fields=["muted", "pinned", "inbox_key"])
    return participant


def conversation_hide(*, participant: Participant) -> None:
    """Delete for me: out of my inbox, read, until a new message arrives."""
    participant.hidden = True
    participant.unread_count = 0
    participant.last_read_message_id = participant.conversation.last_message_id or 0
    fields = ["hidden", "unread_count", "last_read_message_id"]
    if not _blocks_other(participant):
        participant.read_shown_message_id = participant.last_read_message_id
        fields.append("read_shown_message_id")
    participant.save(update_fields=fields)


def message_unsend(*, user: User, message_id: int) -> Message:
    """Erase my own message's text within DM_UNSEND_SECONDS; it stays as a tombstone."""
    message = (
        Message.objects.filter(pk=message_id, conversation__participants__user=user)
        .select_related("conversation")
        .first()
        if message_id <= MAX_DB_ID  # a larger id would overflow the query, and matches nothing
        else None
    )
    if message is None:
        raise NotFound("No such message.")
    if message.sender_id != user.pk:
        raise PermissionDeniedError("You can only unsend your own messages.")
    if message.unsent:
        return message
    if timezone.now() - message.created_at > timedelta(seconds=settings.DM_UNSEND_SECONDS):
        raise PermissionDeniedError("This message is too old to unsend.")
    return message_erase(message=message)


def message_erase(*, message: Message) -> Message:
    """Erase a message's text for both sides, leaving a tombstone so `seq` has no gap.

    The unsend of its sender, and a moderator's removal, both end here.
    """
    if message.unsent:
        return message
    message.body = ""
    message.unsent_at = timezone.now()
    message.save(update_fields=["body", "unsent_at"])
    if message.attachment_count:
        attachments_delete_for_message(message=message)
    # A tombstone has nothing to react to: reactions go with the text.
    Reaction.objects.filter(message=message).delete()
    # Not yet read by the recipient: it no longer counts as unread.
    Participant.objects.filter(
        conversation_id=message.conversation_id,
        last_read_message_id__lt=message.pk,
        unread_count__gt=0,
    ).exclude(user_id=message.sender_id).update(unread_count=F("unread_count") - 1)
    conversation = message.conversation
    if conversation.is_group:
        told = list(
            Participant.objects.filter(
                conversation=conversation, state=MemberState.MEMBER
            ).values_list("user_id", flat=True)
        )
    else:
        told = [conversation.user_low_id, conversation.user_high_id]
    events.message_deleted_on_commit(message, told)
    return message
