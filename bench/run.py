"""Benchmark the hot paths: sending through `message_send`, and the inbox and history API.

    make bench                                   # SQLite + local-memory cache
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmsite REDIS_URL=redis://127.0.0.1:6379/12 \\
        make bench                               # PostgreSQL + Redis

It never touches the configured database's data: like the test runner it makes
a throwaway database beside it (`bench_<name>` on PostgreSQL, a file in the
temp folder on SQLite), seeds it with `bench/seed.py` (2,000 users, 5,000
conversations, ~110,000 messages at `--scale 1`), runs each benchmark for at
most `--sends`/`--requests` operations and `--seconds` seconds, prints a table
and drops the database (`--keepdb` keeps it, seeded, for the next run).

- `message_send`: the send service as every entry point calls it (body checks,
  the DM policy, both rate-limit windows, the write and the conversation and
  participant updates), rotating over friends' conversations so that no sender
  reaches the default limits.
- `POST .../messages`: the same through the REST API (token auth, parsing,
  serialization).
- inbox and history: GET requests through Django's test client (the whole
  middleware and DRF stack, no network), as `bench_heavy` with ~290
  conversations, and on the 20,000-message conversation; "walk" rows follow
  the `next` cursor page after page.
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from seed import HEAVY, SeedSize, seed, setup_django


@dataclass
class Result:
    name: str
    samples: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    wall: float = 0.0
    queries: int | None = None

    def row(self) -> list[str]:
        done = len(self.samples)
        ordered = sorted(self.samples)
        median = statistics.median(ordered) * 1000 if ordered else math.nan
        p95 = ordered[max(0, math.ceil(0.95 * done) - 1)] * 1000 if ordered else math.nan
        failed = ", ".join(f"{code} {n}" for code, n in self.failures.items()) or "0"
        return [
            self.name,
            str(done),
            "-" if self.queries is None else str(self.queries),
            f"{median:.2f}",
            f"{p95:.2f}",
            f"{done / self.wall:.0f}" if self.wall else "-",
            failed,
        ]


def measure(result: Result, operation, *, count: int, seconds: float, warmup: int = 3) -> Result:
    """Run `operation(i)` up to `count` times or `seconds`, whichever ends first."""
    for i in range(warmup):
        operation(-1 - i)
    started = time.perf_counter()
    for i in range(count):
        before = time.perf_counter()
        failure = operation(i)
        after = time.perf_counter()
        if failure:
            result.failures[failure] += 1
        else:
            result.samples.append(after - before)
        if after - started > seconds:
            break
    result.wall = time.perf_counter() - started
    return result


def count_queries(operation) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        operation(-1)
    return len(queries.captured_queries)


def print_table(rows: list[list[str]]) -> None:
    header = ["benchmark", "n", "queries/op", "median ms", "p95 ms", "ops/s", "failed"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for cells in [header, ["-" * width for width in widths], *rows]:
        padded = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        print("  ".join(padded))


def backend_description() -> str:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"{database}, cache {cache}" + (" (Redis)" if settings.REDIS_URL else "")


def run(args) -> int:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django_redis import get_redis_connection

    from accounts.models import User
    from accounts.tokens import token_create
    from dmsite.errors import ApiError
    from messaging.models import Conversation, Folder, Message, Participant
    from messaging.policy import messages_window, recipients_window
    from messaging.services import message_send

    heavy = User.objects.filter(username=HEAVY).first()
    seeded = "kept from an earlier run"
    if heavy is None:
        result = seed(SeedSize().scaled(args.scale), log=lambda _: None)
        seeded = f"seeded in {result.seconds:.1f} s"
        heavy = User.objects.get(username=HEAVY)
    longest = Conversation.objects.order_by("-last_seq")[0]
    print(f"backend: {backend_description()}, database {connection.settings_dict['NAME']}")
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) before the run")
    print(
        f"data: {User.objects.count()} users, {Conversation.objects.count()} conversations, "
        f"{Message.objects.count()} messages ({seeded}); "
        f"{HEAVY} has {Participant.objects.filter(user=heavy, hidden=False).count()} "
        f"conversations, the longest has {longest.last_seq} messages"
    )
    limits = f"RATE_MESSAGES {settings.RATE_MESSAGES}, RATE_RECIPIENTS {settings.RATE_RECIPIENTS}"
    # With CONN_MAX_AGE 0 every request opens a new database connection.
    age = connection.settings_dict["CONN_MAX_AGE"]
    print(f"settings: {limits}, DATABASE_CONN_MAX_AGE {age}")

    # Friends' conversations, both sides in the inbox: every send there is allowed. Not
    # the heavy user's: sending in hundreds of them would reach RATE_MESSAGES.
    pairs = list(
        Conversation.objects.exclude(participants__folder=Folder.REQUESTS)
        .exclude(participants__user=heavy)
        .filter(last_seq__gte=2)
        .select_related("user_low", "user_high")
        .order_by("id")[: max(args.sends, args.requests) + 10]
    )
    people = {u.pk: u for c in pairs for u in (c.user_low, c.user_high)}
    people[heavy.pk] = heavy

    def reset_windows() -> None:
        """Empty the bench users' send windows, so that earlier runs do not count."""
        windows = (messages_window(), recipients_window())
        for pk in people:
            for window in windows:
                window.reset(str(pk))
        if settings.REDIS_URL:
            # `reset` goes through the cache API; the Lua script's sorted sets live
            # under the window's raw key, which only the raw client deletes.
            client = get_redis_connection("default")
            keys = [window._key(str(pk)) for pk in people for window in windows]
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])

    tokens = {pk: token_create(user=user)[1] for pk, user in people.items()}
    clients = {pk: Client(headers={"authorization": f"Token {key}"}) for pk, key in tokens.items()}
    reader = clients[heavy.pk]
    reset_windows()

    def pair_at(i: int):
        conversation = pairs[i % len(pairs)]
        low, high = conversation.user_low, conversation.user_high
        return (
            (conversation, low, high) if (i // len(pairs)) % 2 == 0 else (conversation, high, low)
        )

    def send(i: int) -> str | None:
        _, sender, recipient = pair_at(i)
        try:
            message_send(sender=sender, recipient=recipient, body=f"bench message {i}")
        except ApiError as error:
            return error.default_code
        return None

    def get(client, path: str):
        response = client.get(path, secure=True)
        return response, (None if response.status_code == 200 else str(response.status_code))

    def post_message(i: int) -> str | None:
        conversation, sender, _ = pair_at(i + len(pairs) // 2)
        response = clients[sender.pk].post(
            f"/api/v1/conversations/{conversation.pk}/messages",
            {"body": f"bench api message {i}"},
            content_type="application/json",
            secure=True,
        )
        return None if response.status_code == 201 else str(response.status_code)

    def walker(first: str):
        """GET page after page through the `next` cursor, starting over at the end."""
        state = {"path": first}

        def step(_: int) -> str | None:
            response, failure = get(reader, state["path"])
            following = response.json().get("next") if not failure else None
            if following:
                parts = urlsplit(following)
                state["path"] = f"{parts.path}?{parts.query}"
            else:
                state["path"] = first
            return failure

        return step

    inbox = "/api/v1/conversations?folder=inbox"
    history = f"/api/v1/conversations/{longest.pk}/messages"
    reads = [
        ("GET inbox, first page", lambda _: get(reader, inbox)[1]),
        ("GET inbox, walk all pages", walker(inbox)),
        (f"GET history ({longest.last_seq} msgs), newest", lambda _: get(reader, history)[1]),
        (f"GET history ({longest.last_seq} msgs), walk", walker(history)),
    ]
    results = []
    for name, operation in reads:
        result = Result(name, queries=count_queries(operation))
        results.append(measure(result, operation, count=args.requests, seconds=args.seconds))
    writes = [
        ("message_send (service)", send, args.sends),
        ("POST conversations/{id}/messages", post_message, args.requests),
    ]
    for name, operation, count in writes:
        reset_windows()
        result = Result(name, queries=count_queries(operation))
        results.append(measure(result, operation, count=count, seconds=args.seconds))
    reset_windows()
    print()
    print_table([result.row() for result in results])
    return 1 if any(result.failures for result in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=1000, help="message_send calls (1000)")
    parser.add_argument("--requests", type=int, default=300, help="requests per API row (300)")
    parser.add_argument("--seconds", type=float, default=30, help="time bound per row (30)")
    parser.add_argument("--scale", type=float, default=1.0, help="seed size factor (1.0)")
    parser.add_argument("--keepdb", action="store_true", help="keep the seeded database")
    args = parser.parse_args(argv)

    # Keep the benchmark's rate-limit keys apart from anything else on the same Redis.
    os.environ.setdefault("CACHE_KEY_PREFIX", "dmsite-bench")
    setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)  # the test client's host; no query log in DEBUG
    original_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        bench_name = os.path.join(tempfile.gettempdir(), "dmsite-bench.sqlite3")
    else:
        bench_name = f"bench_{original_name}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = bench_name
    connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=args.keepdb
    )
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=args.keepdb)
        teardown_test_environment()


if __name__ == "__main__":
    sys.exit(main())
