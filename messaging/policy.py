"""The DM policy: the one home of the rules of SPEC section 2.

`dm_decisions(sender, recipients)` decides for many recipients in a fixed
number of queries; `dm_decision` and `check_can_dm` are its one-recipient
forms. Every entry point (REST, WebSocket, HTML, the profile's `can_message`,
the conversation's `can_send`) asks here. Read-only: the send service records
the rate limits with `acquire_send_limits` once it is about to write.
"""

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Follow, User
from dmsite.errors import RateLimited
from dmsite.ratelimit import Acquired, Claim, SlidingWindow, acquire_together
from messaging.errors import DENIAL_ERRORS, suspension_detail
from messaging.models import Conversation, Folder, Message, Participant
from privacy.models import (
    ADULT_AGE,
    Block,
    DmPreference,
    PrivacySettings,
    default_dm_preference,
    filters_requests,
)
from privacy.word_filter import PreparedText, matcher_for


@dataclass(frozen=True)
class DmDecision:
    allowed: bool
    code: str | None = None  # the SPEC error code of a denial
    folder: str | None = None  # where an allowed message lands for the recipient
    retry_after: float | None = None  # for `rate_limited`
    # This message would start a new request: it counts towards RATE_REQUESTS.
    starts_request: bool = False
    detail: str | None = None  # a denial's own sentence (a suspension's end and reason)

    def raise_if_denied(self) -> "DmDecision":
        if self.allowed:
            return self
        error_class = DENIAL_ERRORS[self.code]
        if issubclass(error_class, RateLimited):
            raise error_class(self.retry_after)
        raise error_class(self.detail)


def _deny(code: str, retry_after: float | None = None) -> DmDecision:
    return DmDecision(allowed=False, code=code, retry_after=retry_after)


def _deny_sender(sender: User, code: str) -> DmDecision:
    """A denial of the sender's own rules; a suspension says until when and why."""
    if code == "account_suspended":
        return DmDecision(allowed=False, code=code, detail=suspension_detail(sender))
    return _deny(code)


@dataclass(frozen=True)
class PairFacts:
    """What the rules need to know about one sender → recipient pair.

    Also the state of their direct conversation that a send writes on (ids, unread
    counts, read positions), read by the same statement.
    """

    recipient_blocked_sender: bool = False
    sender_blocked_recipient: bool = False
    friends: bool = False
    recipient_has_written: bool = False  # "previously interacted"
    recipient_folder: str | None = None
    conversation_messages: int = 0
    recipient_preference: str = DmPreference.FRIENDS
    conversation_id: int | None = None
    sender_side_id: int | None = None
    sender_unread: int = 0
    sender_muted: bool = False
    recipient_side_id: int | None = None
    recipient_unread: int = 0
    recipient_muted: bool = False
    recipient_read_up_to: int = 0
    read_receipts_both: bool = False
    recipient_filters_requests: bool = True
    recipient_hidden_words: tuple[str, ...] = ()


def min_dm_age(region: str | None) -> int:
    return settings.DM_MIN_AGE_BY_REGION.get(region or "", settings.DM_MIN_AGE)


def messages_window() -> SlidingWindow:
    return SlidingWindow("dm_messages", settings.RATE_MESSAGES)


def recipients_window() -> SlidingWindow:
    return SlidingWindow("dm_recipients", settings.RATE_RECIPIENTS)


def requests_window(sender: User) -> SlidingWindow:
    """New requests a sender starts: fewer while the account is younger than NEW_ACCOUNT_DAYS.

    One window for both rates, so requests started while new still count once older.
    """
    new = sender.date_joined > timezone.now() - timedelta(days=settings.NEW_ACCOUNT_DAYS)
    rate = settings.RATE_REQUESTS_NEW_ACCOUNT if new else settings.RATE_REQUESTS
    return SlidingWindow("dm_requests", rate)


def request_is_filtered(facts: "PairFacts", body: str) -> bool:
    """Section 12: a request's text matches the built-in list or the recipient's hidden words."""
    if not facts.recipient_filters_requests:
        return False
    text = PreparedText(body)  # normalised once for both matchers
    if matcher_for(settings.DM_FILTER_WORDS).matches(text):
        return True
    hidden = facts.recipient_hidden_words
    return bool(hidden) and matcher_for(hidden).matches(text)


def reactions_window() -> SlidingWindow:
    return SlidingWindow("reactions", settings.RATE_REACTIONS)


def reaction_decision(user: User, other: User | None) -> DmDecision:
    """May `user` react in a conversation with `other`? Blocks decide as for sending.

    Rules 1, 3 and 4 of section 2 in their order (SPEC section 11); preferences and
    requests do not apply: the message is already in the conversation. In a group
    `other` is the message's sender (None: my own message).
    """
    if not user.is_active or user.is_messaging_suspended():
        return _deny_sender(user, "account_suspended")
    if other is None:
        return DmDecision(allowed=True)
    blockers = set(
        Block.objects.filter(
            Q(blocker=user, blocked=other) | Q(blocker=other, blocked=user)
        ).values_list("blocker_id", flat=True)
    )
    if not other.is_active or other.pk in blockers:
        return _deny("not_found")
    if user.pk in blockers:
        return _deny("you_blocked_user")
    return DmDecision(allowed=True)


def sender_denial(sender: User) -> str | None:
    """The sender's own checks (rules 1, 5, 6): why this user cannot message anyone."""
    if not sender.is_active or sender.is_messaging_suspended():
        return "account_suspended"
    if not sender.phone_verified:
        return "phone_required"
    if sender.age < min_dm_age(sender.region):
        return "age_restricted"
    return None


def sender_decision(sender: User) -> DmDecision:
    """`sender_denial` as a decision, with the denial's sentence."""
    code = sender_denial(sender)
    return DmDecision(allowed=True) if code is None else _deny_sender(sender, code)


@functools.cache
def _facts_sql(count: int) -> str:
    """One statement for every fact of the pairs (sender, recipient) of `count` recipients.

    Plain SQL, not the ORM: it runs on every send, where compiling the same query with
    a dozen subqueries each time cost more than running it. Portable to SQLite and
    PostgreSQL; each subquery is one index probe (the pair constraints of blocks,
    follows and conversations, `participant_once`, `message_by_sender`).
    """
    table = {
        model: model._meta.db_table
        for model in (User, Block, Follow, PrivacySettings, Conversation, Participant, Message)
    }
    # Only table names of our models and placeholders go into the text: no input.
    return f"""
SELECT u.id,
  EXISTS(SELECT 1 FROM {table[Block]} b WHERE b.blocker_id = u.id AND b.blocked_id = %(s)s),
  EXISTS(SELECT 1 FROM {table[Block]} b WHERE b.blocker_id = %(s)s AND b.blocked_id = u.id),
  EXISTS(SELECT 1 FROM {table[Follow]} f WHERE f.follower_id = %(s)s AND f.followee_id = u.id)
  AND EXISTS(SELECT 1 FROM {table[Follow]} f WHERE f.follower_id = u.id AND f.followee_id = %(s)s),
  EXISTS(SELECT 1 FROM {table[Message]} w WHERE w.conversation_id = c.id AND w.sender_id = u.id),
  theirs.folder, c.last_seq, rp.dm_preference, c.id,
  mine.id, mine.unread_count, mine.muted, theirs.id, theirs.unread_count, theirs.muted,
  theirs.read_shown_message_id,
  rp.read_receipts AND (
    SELECT sp.read_receipts FROM {table[PrivacySettings]} sp WHERE sp.user_id = %(s)s
  ),
  rp.filter_requests, rp.hidden_words
FROM {table[User]} u
LEFT JOIN {table[PrivacySettings]} rp ON rp.user_id = u.id
LEFT JOIN {table[Conversation]} c
  ON c.user_low_id = CASE WHEN u.id < %(s)s THEN u.id ELSE %(s)s END
  AND c.user_high_id = CASE WHEN u.id < %(s)s THEN %(s)s ELSE u.id END
LEFT JOIN {table[Participant]} theirs ON theirs.conversation_id = c.id AND theirs.user_id = u.id
LEFT JOIN {table[Participant]} mine ON mine.conversation_id = c.id AND mine.user_id = %(s)s
WHERE u.id IN ({", ".join(f"%(r{number})s" for number in range(count))})
"""  # noqa: S608


def pair_facts(sender: User, recipients: list[User]) -> dict[int, PairFacts]:
    """The facts of each pair (sender, recipient), keyed by recipient id: one statement."""
    ids = list(dict.fromkeys(user.pk for user in recipients if user.pk != sender.pk))
    if not ids:
        return {}
    params = {"s": sender.pk, **{f"r{number}": pk for number, pk in enumerate(ids)}}
    with connection.cursor() as cursor:
        cursor.execute(_facts_sql(len(ids)), params)
        rows = {row[0]: row for row in cursor.fetchall()}
    by_id = {user.pk: user for user in recipients}
    facts = {}
    for pk, row in rows.items():
        (
            _,
            blocked_me,
            i_blocked,
            friends,
            has_written,
            folder,
            last_seq,
            preference,
            conversation_id,
            mine_id,
            mine_unread,
            mine_muted,
            theirs_id,
            theirs_unread,
            theirs_muted,
            theirs_read,
            receipts,
            filter_requests,
            hidden_words,
        ) = row
        if isinstance(hidden_words, str):  # SQLite hands JSON back as text
            hidden_words = json.loads(hidden_words)
        facts[pk] = PairFacts(
            recipient_blocked_sender=bool(blocked_me),
            sender_blocked_recipient=bool(i_blocked),
            friends=bool(friends),
            recipient_has_written=bool(has_written),
            recipient_folder=folder,
            conversation_messages=last_seq or 0,
            recipient_preference=preference or default_dm_preference(by_id[pk]),
            conversation_id=conversation_id,
            sender_side_id=mine_id,
            sender_unread=mine_unread or 0,
            sender_muted=bool(mine_muted),
            recipient_side_id=theirs_id,
            recipient_unread=theirs_unread or 0,
            recipient_muted=bool(theirs_muted),
            recipient_read_up_to=theirs_read or 0,
            read_receipts_both=bool(receipts),
            recipient_filters_requests=filters_requests(
                by_id[pk], True if filter_requests is None else bool(filter_requests)
            ),
            recipient_hidden_words=tuple(hidden_words or ()),
        )
    return facts


def _preference_outcome(facts: PairFacts, body: str | None) -> DmDecision:
    """Rule 8: does the recipient's DM preference admit the sender, and into which folder.

    With the `body` about to be sent, a request whose text is filtered lands in the
    recipient's `filtered` folder, and once there stays there until accepted.
    """
    if facts.recipient_has_written:
        return DmDecision(allowed=True, folder=Folder.INBOX)
    preference = facts.recipient_preference
    if preference == DmPreference.EVERYONE:
        # An inbox side counts as accepted only once messages exist: opening a chat
        # (an empty conversation) is neither a reply nor an acceptance.
        accepted = facts.recipient_folder == Folder.INBOX and facts.conversation_messages > 0
        if facts.friends or accepted:
            return DmDecision(allowed=True, folder=Folder.INBOX)
        # A request: the recipient has not written, so every message so far is the sender's.
        if facts.conversation_messages >= settings.DM_REQUEST_MAX_MESSAGES:
            return _deny("request_pending")
        filtered = facts.recipient_folder == Folder.FILTERED or (
            body is not None and request_is_filtered(facts, body)
        )
        return DmDecision(
            allowed=True,
            folder=Folder.FILTERED if filtered else Folder.REQUESTS,
            starts_request=facts.conversation_messages == 0,
        )
    if preference == DmPreference.FRIENDS and facts.friends:
        return DmDecision(allowed=True, folder=Folder.INBOX)
    return _deny("recipient_not_accepting")


def _decide(
    sender: User,
    recipient: User | None,
    facts: PairFacts,
    rate_wait: Callable[[User, bool], float],
    body: str | None = None,
    with_media: bool = False,
) -> DmDecision:
    """Rules 1 to 9 in the SPEC's order: the first that fails decides."""
    if not sender.is_active or sender.is_messaging_suspended():
        return _deny_sender(sender, "account_suspended")
    if recipient is not None and recipient.pk == sender.pk:
        return _deny("cannot_message_self")
    if recipient is None or not recipient.is_active or facts.recipient_blocked_sender:
        return _deny("not_found")
    if facts.sender_blocked_recipient:
        return _deny("you_blocked_user")
    if not sender.phone_verified:
        return _deny("phone_required")
    if sender.age < min_dm_age(sender.region):
        return _deny("age_restricted")
    if recipient.age < min_dm_age(recipient.region):
        return _deny("recipient_not_accepting")
    outcome = _preference_outcome(facts, body)
    if not outcome.allowed:
        return outcome
    # Requests are text only until accepted (SPEC section 10), whichever folder holds them.
    if with_media and outcome.folder != Folder.INBOX:
        return _deny("media_not_in_requests")
    wait = rate_wait(recipient, outcome.starts_request)
    if wait > 0:
        return _deny("rate_limited", wait)
    return outcome


def dm_decisions(
    sender: User,
    recipients: Iterable[User],
    *,
    body: str | None = None,
    with_media: bool = False,
) -> dict[int, DmDecision]:
    """Decisions for many recipients, keyed by recipient id, in a fixed number of queries.

    `body`, the text about to be sent, decides whether a request is filtered;
    `with_media`: the message carries attachments, which requests do not take.
    """
    recipients = list(recipients)
    # Blocks (rules 3 and 4) decide before the sender's phone and age (rules 5 and 6),
    # so the facts are needed whenever rule 1 passes.
    suspended = not sender.is_active or sender.is_messaging_suspended()
    facts = {} if suspended else pair_facts(sender, recipients)
    messages_wait = messages_window().retry_after(str(sender.pk))
    recipients_state = recipients_window().state(str(sender.pk))

    requests_wait: list[float] = []  # asked of the cache only when a request would start

    def rate_wait(recipient: User, starts_request: bool) -> float:
        wait = max(messages_wait, recipients_state.retry_after(str(recipient.pk)))
        if starts_request:
            if not requests_wait:
                requests_wait.append(requests_window(sender).retry_after(str(sender.pk)))
            wait = max(wait, requests_wait[0])
        return wait

    return {
        recipient.pk: _decide(
            sender, recipient, facts.get(recipient.pk, PairFacts()), rate_wait, body, with_media
        )
        for recipient in recipients
    }


def dm_decision(
    sender: User, recipient: User | None, *, body: str | None = None, with_media: bool = False
) -> DmDecision:
    """May `sender` message `recipient` (None: no such user) now? (`body`: what is sent)"""
    if recipient is None:
        return _decide(sender, None, PairFacts(), lambda *_: 0.0)
    return dm_decisions(sender, [recipient], body=body, with_media=with_media)[recipient.pk]


def check_can_dm(
    sender: User, recipient: User | None, *, body: str | None = None, with_media: bool = False
) -> DmDecision:
    """`dm_decision`, raising the matching API error when denied."""
    return dm_decision(sender, recipient, body=body, with_media=with_media).raise_if_denied()


def send_decision(
    sender: User,
    recipient: User | None,
    facts: PairFacts,
    *,
    body: str | None = None,
    with_media: bool = False,
) -> DmDecision:
    """Rules 1 to 8 for a send, from facts read under the send's locks, raising a denial.

    Rule 9, the rate limits, is `acquire_send_limits`: checking and recording them is
    one atomic step, taken only once everything else has allowed the send.
    """
    return _decide(sender, recipient, facts, lambda *_: 0.0, body, with_media).raise_if_denied()


def acquire_send_limits(
    sender: User, recipient: User | Conversation, decision: DmDecision | None = None
) -> Acquired:
    """Rule 9 for a send about to happen: record it in both windows, in one round trip.

    `recipient` is a user, or a group (one recipient of RATE_RECIPIENTS). Raises
    RateLimited when either window is full, recording nothing. Returns what
    was recorded; `release()` takes it back for a send that then fails (a recipient
    already in the window was only refreshed, and stays). A send that starts a request
    (the decision says so) also counts towards RATE_REQUESTS, in the same round trip.
    """
    key = str(sender.pk)
    claims = [
        Claim(messages_window(), key),
        Claim(recipients_window(), key, _recipient_key(recipient)),
    ]
    if decision is not None and decision.starts_request:
        claims.append(Claim(requests_window(sender), key))
    return acquire_together(*claims)


def _recipient_key(recipient: User | Conversation) -> str:
    """A group counts as one recipient of RATE_RECIPIENTS (SPEC section 9)."""
    if isinstance(recipient, Conversation):
        return f"group:{recipient.pk}"
    return str(recipient.pk)


# Groups (SPEC section 9) ------------------------------------------------------------


@dataclass(frozen=True)
class GroupAddition:
    """May the adder add this username to a group; where the group lands for them."""

    username: str
    user: User | None
    decision: DmDecision  # `folder`: inbox (joins at once) or requests (an invitation)


def _addition_decision(adder: User, user: User | None) -> DmDecision:
    """The who-may-add rules for one user, in the SPEC's order; the adder already passed."""
    if user is None or not user.is_active or user.blocked_adder:
        return _deny("not_found")
    if user.blocked_by_adder:
        return _deny("you_blocked_user")
    preference = user.preference or default_dm_preference(user)
    friends = user.follows_adder and user.followed_by_adder
    if not friends or user.age < min_dm_age(user.region) or preference == DmPreference.NO_ONE:
        return _deny("recipient_not_accepting")
    # Under 18: an invitation they choose to accept; adults join at once.
    return DmDecision(
        allowed=True, folder=Folder.REQUESTS if user.age < ADULT_AGE else Folder.INBOX
    )


def group_add_decisions(adder: User, usernames: list[str]) -> list[GroupAddition]:
    """May `adder` add each of `usernames` to a group: one query for the whole list.

    The adder passes the sender's own rules (1, 5, 6) first; when they fail, every
    username gets the adder's denial.
    """
    denial = sender_denial(adder)
    if denial is not None:
        return [GroupAddition(name, None, _deny_sender(adder, denial)) for name in usernames]
    lowered = [name.lower() for name in usernames]
    users = {
        user.username.lower(): user
        for user in User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=lowered)
        .exclude(pk=adder.pk)
        .annotate(
            blocked_adder=Exists(Block.objects.filter(blocker=OuterRef("pk"), blocked=adder)),
            blocked_by_adder=Exists(Block.objects.filter(blocker=adder, blocked=OuterRef("pk"))),
            follows_adder=Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=adder)),
            followed_by_adder=Exists(
                Follow.objects.filter(follower=adder, followee=OuterRef("pk"))
            ),
            preference=Subquery(
                PrivacySettings.objects.filter(user=OuterRef("pk")).values("dm_preference")[:1]
            ),
        )
    }
    return [
        GroupAddition(name, users.get(low), _addition_decision(adder, users.get(low)))
        for name, low in zip(usernames, lowered, strict=True)
    ]


def check_can_add_to_group(adder: User, usernames: list[str]) -> list[GroupAddition]:
    """`group_add_decisions`, raising the first denial, its `detail` naming the user."""
    additions = group_add_decisions(adder, usernames)
    for addition in additions:
        decision = addition.decision
        if decision.allowed:
            continue
        error_class = DENIAL_ERRORS[decision.code]
        if decision.code in _SENDER_CODES:
            raise error_class(decision.detail)
        raise error_class(_ADDITION_DETAILS[decision.code].format(name=addition.username))
    return additions


_SENDER_CODES = {"account_suspended", "phone_required", "age_restricted"}
_ADDITION_DETAILS = {
    "not_found": "There is no user named {name}.",
    "you_blocked_user": "You blocked {name}. Unblock them first.",
    "recipient_not_accepting": "{name} can't be added to a group by you.",
}


def group_send_decision(sender: User, mine: Participant | None) -> DmDecision:
    """May `sender`, whose side of a group is `mine` (None: not in it), send there?

    A current member only; then the sender's own rules. Preferences and requests do
    not apply: joining was the consent. Rule 9, the rate limits, is
    `acquire_send_limits`, which checks and records both windows in one round trip.
    """
    if mine is None or not mine.is_member:
        return _deny("not_found")
    denial = sender_denial(sender)
    if denial is not None:
        return _deny_sender(sender, denial)
    return DmDecision(allowed=True, folder=Folder.INBOX)
