"""Print PostgreSQL plans for the inbox, history, sync and search queries as the app runs them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmsite_bench .venv/bin/python bench/explain.py

Needs a database seeded by `bench/seed.py`. It calls the real API views with
Django's test client as `bench_heavy` (inbox, first page and the next one;
history of the 20,000-message conversation, newest page and a page half-way
back through a cursor), captures the SQL each request ran, picks the inbox
and history queries out of it and runs each under EXPLAIN (ANALYZE, BUFFERS),
once to warm the cache and once for the printed plan; the same for the
2,000-message conversation and for an ordinary one of ~20 messages. The
WebSocket `sync` batch is run through the consumer's own `_sync_batch` (for
`bench_heavy` and for an ordinary user, from `after` = 0, half-way through the
table and a recent id), and user search through `GET /api/v1/users?search=`
(a last name, a username fragment, a word nobody has). Ends with a summary of
how each query reads its table; exits 1 if one reads the inbox, the messages or
the users with a sequential scan (a search of fewer than three characters is
shown but allowed to: no trigram index can serve it).
"""

import argparse
import base64
import re
import sys
from urllib.parse import urlencode

from seed import HEAVY, LONG_PARTNER, setup_django

EXPECTED = {
    "inbox": "participant_inbox",
    "history": "message_history",
    "sync": "message_history",
    "search": "user_username_trgm, user_display_name_trgm",
}
TABLE = {
    "inbox": "messaging_participant",
    "history": "messaging_message",
    "sync": "messaging_message",
    "search": "accounts_user",
}
MARKS = {  # what picks each kind's statement out of those a request ran
    "inbox": ('FROM "messaging_participant"', 'ORDER BY "messaging_participant"."inbox_key"'),
    "history": ('FROM "messaging_message"', 'ORDER BY "messaging_message"."id" DESC'),
    "sync": ('FROM "messaging_message"', 'ORDER BY "messaging_message"."id" ASC'),
    "search": ('FROM "accounts_user"', "LIKE UPPER"),
}


def cursor_for(position: int | str) -> str:
    """A DRF cursor pointing before `position` (the format CursorPagination encodes)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


def captured(run, label: str, kind: str) -> str:
    """Call `run()` and return the one SQL statement of `kind` it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run()
    marks = MARKS[kind]
    matches = [q["sql"] for q in queries.captured_queries if all(m in q["sql"] for m in marks)]
    if len(matches) != 1:
        raise SystemExit(f"expected one {kind} query for {label}, found {len(matches)}")
    print(f"-- {label}: {len(queries.captured_queries)} queries, {kind} query:")
    return matches[0]


def getter(client, path: str):
    def run():
        response = client.get(path, secure=True)
        if response.status_code != 200:
            answer = f"{response.status_code}: {response.content[:300]}"
            raise SystemExit(f"GET {path} answered {answer}")

    return run


def syncer(user_id: int, after: int):
    """One `sync` batch exactly as the WebSocket consumer reads it."""
    from messaging.consumers import SYNC_BATCH_SIZE, ChatConsumer

    def run():
        consumer = ChatConsumer()
        consumer.user_id = user_id
        batch = consumer._sync_batch(after, SYNC_BATCH_SIZE, check=False)
        print(f"-- sync after {after}: {len(batch)} messages")

    return run


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # warm the cache
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--random-page-cost",
        type=float,
        help="SET random_page_cost for this session first (1.1 is the usual SSD setting)",
    )
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from accounts.tokens import token_create
    from messaging.models import Conversation, Message, Participant

    if connection.vendor != "postgresql":
        print("explain.py needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS
    heavy = User.objects.filter(username=HEAVY).first()
    if heavy is None:
        print("no bench data: run bench/seed.py first", file=sys.stderr)
        return 2
    longest = Conversation.objects.order_by("-last_seq")[0]
    _, key = token_create(user=heavy)
    client = Client(headers={"authorization": f"Token {key}"})

    with connection.cursor() as cursor:
        if args.random_page_cost is not None:
            cursor.execute("SET random_page_cost = %s", [args.random_page_cost])
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0])
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
            " ('random_page_cost', 'seq_page_cost', 'effective_cache_size', 'shared_buffers',"
            " 'work_mem') ORDER BY name"
        )
        print("settings:", ", ".join(f"{name}={value}" for name, value in cursor.fetchall()))
    print(
        f"data: {User.objects.count()} users, {Conversation.objects.count()} conversations, "
        f"{Message.objects.count()} messages, {Participant.objects.count()} participants"
    )
    folders = dict(
        Participant.objects.filter(user=heavy, hidden=False)
        .values_list("folder")
        .annotate(n=Count("*"))
    )
    print(f"{HEAVY}: id {heavy.pk}, visible conversations by folder {folders}")
    print(f"longest conversation: id {longest.pk}, {longest.last_seq} messages\n")

    inbox = "/api/v1/conversations?folder=inbox"
    page_one = Participant.objects.filter(user=heavy, folder="inbox", hidden=False).order_by(
        "-inbox_key"
    )
    twentieth = page_one.values_list("inbox_key", flat=True)[19]
    cases = [
        ("inbox", "inbox, first page", inbox),
        ("inbox", "inbox, second page (cursor)", f"{inbox}&cursor={cursor_for(twentieth)}"),
    ]
    mid = Conversation.objects.order_by("-last_seq")[1]
    ordinary = (
        Conversation.objects.filter(participants__user=heavy, last_seq__range=(15, 40))
        .order_by("-last_message_at")
        .first()
    )
    for conversation in (mid, longest):
        history = f"/api/v1/conversations/{conversation.pk}/messages"
        halfway = (
            Message.objects.filter(conversation=conversation, seq=conversation.last_seq // 2)
            .values_list("id", flat=True)
            .get()
        )
        name = f"history of the {conversation.last_seq}-message conversation"
        cases.append(("history", f"{name}, newest page", history))
        cases.append(
            (
                "history",
                f"{name}, half-way back (cursor)",
                f"{history}?cursor={cursor_for(halfway)}",
            )
        )
    cases.append(
        (
            "history",
            f"history of an ordinary {ordinary.last_seq}-message conversation",
            f"/api/v1/conversations/{ordinary.pk}/messages",
        )
    )

    cases = [(kind, title, getter(client, path), path) for kind, title, path in cases]

    # Sync: the heavy user (a fifth of all messages), the long chat's partner and an
    # ordinary user, from the start,
    # from half-way through the table and from a recent id (a reconnect).
    newest = Message.objects.order_by("-id").values_list("id", flat=True)[0]
    ordinary_user = (
        User.objects.filter(username__startswith="bench0", participations__isnull=False)
        .annotate(n=Count("participations"))
        .filter(n__range=(2, 6))
        .exclude(username="bench00002")  # the mid-sized conversation's partner
        .order_by("id")
        .first()
    )
    partner = User.objects.get(username=LONG_PARTNER)  # nearly all in one 170,000-message chat
    sync_users = (heavy, partner, ordinary_user)
    sync_counts = {
        user.username: Message.objects.filter(conversation__participants__user=user).count()
        for user in sync_users
    }
    print(f"sync users' visible messages (about): {sync_counts}\n")
    for user in sync_users:
        for where, after in (("0", 0), ("half-way", newest // 2), ("recent", newest - 2000)):
            title = f"sync of {user.username}, after {where}"
            cases.append(("sync", title, syncer(user.pk, after), f"sync after={after}"))

    # Search: a last name (~1/40 of users), a username fragment (~10 users), no match, and
    # a two-letter word (too short for a trigram: shown, allowed a sequential scan).
    for term in ("okafor", "bench0421", "zqxv", "ok"):
        path = f"/api/v1/users?search={term}"
        cases.append(("search", f"search {term!r}", getter(client, path), path))

    problems, summary = [], []
    for kind, title, run, label in cases:
        print(f"=== {title}")
        sql = captured(run, label, kind)
        print(sql, "\n")
        plan = explain(sql)
        print(plan, "\n")
        table = TABLE[kind]
        short_search = kind == "search" and len(title.split("'")[1]) < 3
        if re.search(rf"Seq Scan on {table}\b", plan) and not short_search:
            problems.append(f"{title}: sequential scan on {table}")
        scans = re.findall(
            r"((?:Bitmap Heap |Seq )Scan on \w+|Index (?:Only )?Scan(?: Backward)?"
            r" using \w+ on \w+|Bitmap Index Scan on \w+)",
            plan,
        )
        driving = [scan for scan in scans if scan.endswith(f" {table}") or "Bitmap Index" in scan]
        took = re.search(r"Execution Time: (\S+ ms)", plan).group(1)
        buffers = re.search(r"Buffers: shared ([^\n]+)", plan)
        filtered = sum(
            int(n) for n in re.findall(r"Rows Removed by (?:Filter|Join Filter): (\d+)", plan)
        )
        driving.append(
            f"{filtered} rows filtered out, buffers {buffers.group(1) if buffers else '-'}"
        )
        others = sorted({scan for scan in scans if "Seq Scan" in scan and scan not in driving})
        note = f"; also {', '.join(others)}" if others else ""
        summary.append(f"{title}: {'; '.join(driving)}, {took}{note}")
    print("summary (expected indexes: " + ", ".join(EXPECTED.values()) + "):")
    for line in summary:
        print(f"  {line}")
    for problem in problems:
        print(f"PLAN PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
