"""Seed a database with a realistic messaging data set, fast, for query plans and benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmsite_bench .venv/bin/python bench/seed.py

Defaults: 2,000 users, 5,000 direct conversations and 100 groups of 3 to 32
members, about 120,000 messages. One heavy user (`bench_heavy`) has 300 direct
conversations (280 in the inbox, 20 message requests) and is in 5 of the
groups; the conversation between `bench_heavy` and `bench_long` holds 20,000
messages, the one between `bench_heavy` and `bench00002` 2,000. `--scale`
multiplies every count; `--users` sets the number of users on its own (the
conversations spread over all of them; user search needs a large table). Rows go
in with `bulk_create`, but the result is what the send service would have
written: `seq` 1..n with no gap, ids growing with time across conversations,
`Conversation.last_seq/last_message/last_message_at`, every `Participant` side
(two in a direct conversation, one a member in a group) with folder, read
position, `unread_count` and `inbox_key` from `refresh_inbox_key()`, mutual
follows for friends and the `everyone` DM preference for users who received a
request. `verify()` checks these invariants with SQL after seeding.

It refuses to seed a database that already has bench users unless given
`--flush`, which empties the whole database first (never point it at data you
want to keep).
"""

import argparse
import dataclasses
import datetime
import os
import random
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway data set
HEAVY = "bench_heavy"
LONG_PARTNER = "bench_long"
# Message bodies are a few of these words.
WORDS = ["hey", "so", "did", "you", "see", "the", "video", "lol", "that", "was", "wild", "we"]
WORDS += ["should", "go", "again", "tomorrow", "after", "class", "ok", "send", "me", "haha"]
# Display names are a first and a last name of these: a name matches ~1/40 of the users.
FIRST = ["Ada", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Gus", "Hana", "Ivan", "Jade"]
FIRST += ["Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq"]
FIRST += ["Uma", "Vik", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Diego"]
FIRST += ["Esme", "Felix", "Greta", "Hugo", "Isla", "Jonas", "Kenji", "Leila", "Milo", "Noor"]
LAST = ["Okafor", "Nguyen", "Silva", "Kowalski", "Haddad", "Tanaka", "Moreau", "Schmidt"]
LAST += ["Rossi", "Yilmaz", "Novak", "Kim", "Patel", "Garcia", "Larsen", "Mensah", "Ivanova"]
LAST += ["Costa", "Fischer", "Dubois", "Sato", "Ahmed", "Jensen", "Murphy", "Bauer", "Lopez"]
LAST += ["Walsh", "Singh", "Petrov", "Romero", "Berg", "Chen", "Adeyemi", "Horvat", "Suzuki"]
LAST += ["Lindqvist", "Moretti", "Kaya", "Osei", "Reyes"]


def setup_django() -> None:
    """Make the project importable and configure Django from the environment."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmsite.settings")
    # DEBUG is off here as in production, which needs a key (any will do for a benchmark).
    os.environ.setdefault("DJANGO_SECRET_KEY", "dmsite-bench-not-secret-" + "b" * 40)
    # whitenoise warns that `collectstatic` has not run: no static file is served here.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    import django

    django.setup()


@dataclass(frozen=True)
class SeedSize:
    users: int = 2000
    conversations: int = 5000
    heavy_conversations: int = 300
    heavy_requests: int = 20
    long_messages: int = 20000
    mid_messages: int = 2000
    mean_messages: int = 20  # per ordinary conversation
    request_share: float = 0.1  # ordinary conversations that are unanswered message requests
    groups: int = 100  # of 3 to 32 members, `mean_messages * 2` messages on average
    heavy_groups: int = 5

    def scaled(self, factor: float) -> "SeedSize":
        def scale(n: int, low: int) -> int:
            return max(low, round(n * factor))

        heavy = min(scale(self.heavy_conversations, 3), scale(self.users, 10) - 2)
        return SeedSize(
            users=scale(self.users, 10),
            conversations=max(heavy + 1, scale(self.conversations, 10)),
            heavy_conversations=heavy,
            heavy_requests=min(heavy - 3, scale(self.heavy_requests, 0)),
            long_messages=scale(self.long_messages, 50),
            mid_messages=scale(self.mid_messages, 20),
            mean_messages=self.mean_messages,
            request_share=self.request_share,
            groups=scale(self.groups, 1),
            heavy_groups=min(self.heavy_groups, scale(self.groups, 1)),
        )

    def with_users(self, users: int) -> "SeedSize":
        """The same conversations spread over `users` users."""
        if users <= self.heavy_conversations + 1:
            raise ValueError("the heavy user needs fewer conversations than there are other users")
        return dataclasses.replace(self, users=users)


@dataclass
class _Chat:
    """One conversation being built: who is in it and its messages as (seconds, side)."""

    a: int  # user index of the initiator (a group's owner)
    b: int  # the other user; a group's second member
    request: bool  # b never answered: a request in b's `requests` folder
    times: list[float] = field(default_factory=list)
    sides: list[int] = field(default_factory=list)  # index into `members`: who sent it
    ids: list[int] = field(default_factory=list)
    group: bool = False
    more: list[int] = field(default_factory=list)  # a group's members after a and b

    @property
    def members(self) -> list[int]:
        return [self.a, self.b, *self.more]


@dataclass(frozen=True)
class SeedResult:
    users: int
    conversations: int
    groups: int
    messages: int
    participants: int
    heavy_username: str
    long_conversation_id: int
    seconds: float


def _plan_chats(size: SeedSize, rng: random.Random, now: float) -> list[_Chat]:
    """Who talks to whom and when, before anything is written."""
    if size.heavy_conversations >= size.users - 1:
        raise ValueError("the heavy user needs fewer conversations than there are other users")
    if size.heavy_requests >= size.heavy_conversations - 2:
        raise ValueError("the heavy user's long and mid-sized conversations are not requests")
    day = 86400.0
    span = 30 * day
    chats: list[_Chat] = []
    pairs: set[tuple[int, int]] = set()

    def add(a: int, b: int, request: bool, count: int, last: float, gap: float) -> None:
        chat = _Chat(a, b, request)
        start = last - gap * (count - 1)
        for seq in range(count):
            chat.times.append(start + gap * seq + rng.uniform(0, gap / 2))
            if request or seq == 0:
                chat.sides.append(0)
            else:
                chat.sides.append(rng.randrange(2))
        if not request and count > 1 and 1 not in chat.sides:
            chat.sides[-1] = 1  # a friend's chat has words from both sides
        chats.append(chat)
        pairs.add((min(a, b), max(a, b)))

    # The long conversation: heavy (0) and partner (1), a message every ~2 minutes.
    add(0, 1, False, size.long_messages, now - 60, min(120.0, span / size.long_messages))
    # A mid-sized one (heavy and 2), a message every ~20 minutes.
    add(0, 2, False, size.mid_messages, now - 300, min(1200.0, span / size.mid_messages))
    # The rest of heavy's inbox, then the requests other users sent to heavy.
    for partner in range(3, size.heavy_conversations + 1):
        is_request = partner > size.heavy_conversations - size.heavy_requests
        initiator, other = (partner, 0) if is_request else (0, partner)
        count = rng.randint(1, 3) if is_request else rng.randint(2, 2 * size.mean_messages - 2)
        add(initiator, other, is_request, count, now - rng.uniform(0, span), rng.uniform(30, 3600))
    while len(chats) < size.conversations:
        a, b = rng.sample(range(1, size.users), 2)
        if (min(a, b), max(a, b)) in pairs:
            continue
        is_request = rng.random() < size.request_share
        count = rng.randint(1, 3) if is_request else rng.randint(2, 2 * size.mean_messages - 2)
        add(a, b, is_request, count, now - rng.uniform(0, span), rng.uniform(30, 3600))
    # Groups: members chosen at random (heavy in the first few), anyone may write.
    for g in range(size.groups):
        n = rng.randint(3, min(32, size.users))
        members = rng.sample(range(1, size.users), n)
        if g < size.heavy_groups:
            members[0] = 0
        chat = _Chat(members[0], members[1], False, group=True, more=members[2:])
        count = rng.randint(2, 4 * size.mean_messages - 2)
        gap = rng.uniform(30, 3600)
        start = now - rng.uniform(0, span) - gap * (count - 1)
        for seq in range(count):
            chat.times.append(start + gap * seq + rng.uniform(0, gap / 2))
            chat.sides.append(0 if seq == 0 else rng.randrange(n))
        chats.append(chat)
    return chats


def seed(size: SeedSize | None = None, *, random_seed: int = 2026, log=print) -> SeedResult:
    """Write the data set into the configured database (Django must be set up)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Follow, User
    from messaging.models import (
        Conversation,
        ConversationKind,
        Folder,
        Message,
        Participant,
        Role,
    )
    from privacy.models import DmPreference, PrivacySettings

    size = size or SeedSize()
    rng = random.Random(random_seed)
    started = time.monotonic()
    now = timezone.now()
    chats = _plan_chats(size, rng, now.timestamp())
    utc = datetime.UTC

    def at(seconds: float) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(seconds, tz=utc)

    with transaction.atomic():
        password = make_password(PASSWORD)
        joined = now - datetime.timedelta(days=400)
        names = [HEAVY, LONG_PARTNER] + [f"bench{i:05d}" for i in range(2, size.users)]
        shown = ["Bench Heavy", "Bench Long"]
        shown += [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(2, size.users)]
        users = User.objects.bulk_create(
            [
                User(
                    username=name,
                    display_name=shown[i],
                    password=password,
                    date_of_birth=datetime.date(1990 + i % 15, 1 + i % 12, 1 + i % 28),
                    phone_number=f"+1415{5550000 + i:07d}",
                    phone_verified_at=joined,
                    date_joined=joined,
                )
                for i, name in enumerate(names)
            ],
            batch_size=2000,
        )
        uid = [user.pk for user in users]
        log(f"users: {len(users)}")

        conversations = Conversation.objects.bulk_create(
            [
                Conversation(
                    kind=ConversationKind.GROUP, title=f"group {i}", created_at=at(c.times[0])
                )
                if c.group
                else Conversation(
                    user_low_id=min(uid[c.a], uid[c.b]),
                    user_high_id=max(uid[c.a], uid[c.b]),
                    created_at=at(c.times[0]),
                )
                for i, c in enumerate(chats)
            ],
            batch_size=1000,
        )
        log(f"conversations: {len(conversations)}")

        # All messages in time order, so ids grow with time across conversations
        # and with seq inside each one, as the send service writes them.
        order = sorted(
            ((t, ci, seq) for ci, c in enumerate(chats) for seq, t in enumerate(c.times)),
        )
        total = len(order)
        batch = 5000
        for start in range(0, total, batch):
            rows = []
            for t, ci, seq in order[start : start + batch]:
                chat = chats[ci]
                sender = chat.members[chat.sides[seq]]
                words = " ".join(rng.choices(WORDS, k=rng.randint(2, 12)))
                rows.append(
                    Message(
                        conversation_id=conversations[ci].pk,
                        seq=seq + 1,
                        sender_id=uid[sender],
                        body=words,
                        created_at=at(t),
                    )
                )
            for (_, ci, _seq), message in zip(
                order[start : start + batch],
                Message.objects.bulk_create(rows, batch_size=1000),
                strict=True,
            ):
                chats[ci].ids.append(message.pk)
        log(f"messages: {total}")

        for conversation, chat in zip(conversations, chats, strict=True):
            conversation.last_seq = len(chat.ids)
            conversation.last_message_id = chat.ids[-1]
            conversation.last_message_at = at(chat.times[-1])
        Conversation.objects.bulk_update(
            conversations, ["last_seq", "last_message", "last_message_at"], batch_size=500
        )

        participants = []
        pinned_left = 3  # heavy pins three chats
        for conversation, chat in zip(conversations, chats, strict=True):
            last_at = at(chat.times[-1])
            if chat.group:
                sides = [(side, me, None) for side, me in enumerate(chat.members)]
            else:
                sides = [(0, chat.a, chat.b), (1, chat.b, chat.a)]
            for side, me, other in sides:
                received = [mid for mid, s in zip(chat.ids, chat.sides, strict=True) if s != side]
                participant = Participant(
                    conversation_id=conversation.pk,
                    user_id=uid[me],
                    other_id=None if other is None else uid[other],
                    folder=Folder.REQUESTS if chat.request and side == 1 else Folder.INBOX,
                    hidden=False,
                    muted=rng.random() < 0.05,
                    activity_at=last_at,
                )
                if chat.group:  # all there from the start: the window opens at message 1
                    participant.role = Role.OWNER if side == 0 else Role.MEMBER
                    participant.joined_at = at(chat.times[0])
                    participant.history_from_id = chat.ids[0]
                if chat.request and side == 1:
                    participant.unread_count = len(received)  # a request is never read
                elif not received:
                    pass  # nothing came from the other side: nothing to read
                elif rng.random() < 0.02:  # "delete for me" after the last message
                    participant.hidden = True
                    participant.last_read_message_id = chat.ids[-1]
                elif rng.random() < 0.7:
                    participant.last_read_message_id = chat.ids[-1]
                else:
                    read_up_to = rng.choice([0, *chat.ids])
                    participant.last_read_message_id = read_up_to
                    participant.unread_count = sum(1 for mid in received if mid > read_up_to)
                if me == 0 and not chat.request and pinned_left and participant.folder == "inbox":
                    participant.pinned = not participant.hidden
                    pinned_left -= participant.pinned
                participant.refresh_inbox_key()
                participants.append(participant)
        Participant.objects.bulk_create(participants, batch_size=2000)
        log(f"participants: {len(participants)}")

        # Friends (mutual follows) for answered chats; requests came from strangers to
        # users who accept messages from everyone.
        follows = []
        requested = set()
        for chat in chats:
            if chat.group:
                continue  # group members need not follow each other
            if chat.request:
                requested.add(uid[chat.b])
            else:
                follows.append(Follow(follower_id=uid[chat.a], followee_id=uid[chat.b]))
                follows.append(Follow(follower_id=uid[chat.b], followee_id=uid[chat.a]))
        Follow.objects.bulk_create(follows, batch_size=2000)
        PrivacySettings.objects.bulk_create(
            [PrivacySettings(user_id=u, dm_preference=DmPreference.EVERYONE) for u in requested],
            batch_size=2000,
        )
        log(f"follows: {len(follows)}, everyone-preference users: {len(requested)}")

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics and visibility map for the planner
            cursor.execute("VACUUM ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return SeedResult(
        users=len(users),
        conversations=len(conversations),
        groups=sum(chat.group for chat in chats),
        messages=total,
        participants=len(participants),
        heavy_username=HEAVY,
        long_conversation_id=conversations[0].pk,
        seconds=time.monotonic() - started,
    )


def verify() -> list[str]:
    """The model invariants the send service keeps, checked in SQL; returns the problems."""
    from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from messaging.models import Conversation, ConversationKind, Message, Participant

    problems = []
    bad_conversations = (
        Conversation.objects.annotate(
            n=Count("messages"),
            low=Min("messages__seq"),
            high=Max("messages__seq"),
            newest=Max("messages__id"),
        )
        .exclude(n=F("last_seq"), high=F("last_seq"), low=1, newest=F("last_message_id"))
        .count()
    )
    if bad_conversations:
        problems.append(f"{bad_conversations} conversations with seq gaps or a wrong last message")
    stale_times = Conversation.objects.exclude(last_message_at=F("last_message__created_at"))
    if stale_times.exists():
        problems.append(f"{stale_times.count()} conversations with a wrong last_message_at")
    unread = (
        Message.objects.filter(
            conversation=OuterRef("conversation"), id__gt=OuterRef("last_read_message_id")
        )
        .exclude(sender=OuterRef("user"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("*"))
        .values("n")
    )
    wrong_unread = (
        Participant.objects.annotate(
            counted=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))
        )
        .exclude(counted=F("unread_count"))
        .count()
    )
    if wrong_unread:
        problems.append(f"{wrong_unread} participants with a wrong unread_count")
    sides = (
        Participant.objects.filter(conversation__kind=ConversationKind.DIRECT)
        .values("conversation")
        .annotate(n=Count("*"))
        .exclude(n=2)
    )
    if sides.exists() or Conversation.objects.filter(participants__isnull=True).exists():
        problems.append("direct conversations without exactly two participants, or empty groups")
    stale_keys = 0
    for participant in Participant.objects.only(
        "pinned", "activity_at", "conversation_id", "inbox_key"
    ).iterator(chunk_size=2000):
        stored = participant.inbox_key
        participant.refresh_inbox_key()
        stale_keys += stored != participant.inbox_key
    if stale_keys:
        problems.append(f"{stale_keys} participants with a stale inbox_key")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (1.0)")
    parser.add_argument(
        "--users", type=int, help="the number of users, whatever the scale (e.g. 100000)"
    )
    parser.add_argument("--random-seed", type=int, default=2026)
    parser.add_argument("--flush", action="store_true", help="empty the database first")
    parser.add_argument("--no-verify", action="store_true", help="skip the invariant checks")
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.flush:
        call_command("flush", interactive=False, verbosity=0)
    elif User.objects.filter(username=HEAVY).exists():
        print("already seeded (bench_heavy exists); use --flush to start over", file=sys.stderr)
        return 1
    size = SeedSize().scaled(args.scale)
    if args.users:
        size = size.with_users(args.users)
    result = seed(size, random_seed=args.random_seed)
    print(
        f"seeded {result.users} users, {result.conversations} conversations"
        f" ({result.groups} groups), "
        f"{result.messages} messages, {result.participants} participants "
        f"in {result.seconds:.1f} s; long conversation id {result.long_conversation_id}"
    )
    if not args.no_verify:
        problems = verify()
        for problem in problems:
            print(f"INVARIANT BROKEN: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("invariants: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
