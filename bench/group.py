"""Group mode: server CPU per message and per delivered frame, a group of 32 against a pair.

    .venv/bin/python bench/group.py                         # SQLite + in-memory layer
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmsite REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/group.py                     # PostgreSQL + Redis

Like `run.py` it never touches the configured database's data: it creates a
throwaway database beside it (`bench_group_<name>`, or a file in the temp
folder), makes `--members` users with verified phones who are all friends of the
first and a group of all of them (`groups.group_create`); for comparison, eight
of them take turns sending direct messages to the first. It starts one Daphne on a free port
(`DJANGO_DEBUG=0`, every rate limit raised: this measures sending, not the
limiter), opens one socket per member with `?token=`, and sends `--messages`
`message.send` frames, the senders taking turns, window 1: the next frame goes
once every member's socket has the previous message. Daphne's CPU time
(`/proc/<pid>/stat`, utime + stime) over the run, divided by the messages and by
the `message.new` frames delivered, is the figure. Every socket must receive
every message exactly once; a lost or repeated frame is counted and printed.
"""

import argparse
import asyncio
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seed import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.processes import cpu_seconds, free_port, wait_until_listening  # noqa: E402

TIMEOUT = 10  # seconds for one message to reach every socket


def seed(members: int) -> dict:
    """The users, their tokens, a group of all of them and one direct pair."""
    from django.utils import timezone

    from accounts.models import Follow, User
    from accounts.tokens import token_create
    from messaging import groups

    now = timezone.now()
    users = [
        User.objects.create_user(
            f"gbench{n}",
            password=None,
            display_name=f"Bench {n}",
            date_of_birth=datetime.date(1990, 1, 1),
            phone_number=f"+1415556{n:04d}",
            phone_verified_at=now,
        )
        for n in range(members)
    ]
    owner = users[0]
    Follow.objects.bulk_create(
        [
            Follow(follower=a, followee=b)
            for user in users[1:]
            for a, b in ((owner, user), (user, owner))
        ]
    )
    group = groups.group_create(creator=owner, usernames=[user.username for user in users[1:]])
    tokens = {user.username: token_create(user=user)[1] for user in users}
    return {"users": [u.username for u in users], "tokens": tokens, "group": group.conversation_id}


def start_daphne(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-group-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATE_MESSAGES": "1000000/60",
        "RATE_RECIPIENTS": "1000000/3600",
        "LOG_LEVEL": "WARNING",
    }
    log = Path(tempfile.gettempdir()) / f"dmsite-bench-group-daphne-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own venv's daphne, fixed arguments)
            [
                str(ROOT / ".venv/bin/daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "dmsite.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:
        wait_until_listening(process, port, log.read_text)
    except RuntimeError:
        process.kill()
        raise
    return process


async def load(port: int, pid: int, tokens: dict, usernames: list[str], frame_for, count: int):
    """Send `count` frames (`frame_for(i)` → (sender, frame, who must receive it)), window 1."""
    from websockets.asyncio.client import connect

    sockets = {
        name: await connect(f"ws://127.0.0.1:{port}/ws/?token={tokens[name]}", max_size=None)
        for name in usernames
    }
    received = {name: [] for name in usernames}
    errors: list[dict] = []
    arrived = asyncio.Event()
    waiting = {"client_id": None, "left": set()}

    async def reader(name, ws):
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "error":
                errors.append(frame)
            if frame.get("type") != "message.new":
                continue
            received[name].append(frame["message"]["id"])
            if frame["message"]["client_id"] == waiting["client_id"]:
                waiting["left"].discard(name)
                if not waiting["left"]:
                    arrived.set()

    readers = [asyncio.create_task(reader(name, ws)) for name, ws in sockets.items()]
    await asyncio.sleep(0.5)
    cpu0, wall0, lost = cpu_seconds(pid), time.perf_counter(), 0
    for i in range(count):
        sender, frame, audience = frame_for(i)
        arrived.clear()
        waiting["client_id"], waiting["left"] = frame["client_id"], set(audience)
        await sockets[sender].send(json.dumps(frame))
        try:
            await asyncio.wait_for(arrived.wait(), TIMEOUT)
        except TimeoutError:
            lost += len(waiting["left"])
    wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
    await asyncio.sleep(0.3)
    for task in readers:
        task.cancel()
    for ws in sockets.values():
        await ws.close()
    delivered = sum(len(ids) for ids in received.values())
    duplicates = sum(len(ids) - len(set(ids)) for ids in received.values())
    return {
        "messages": count,
        "frames": delivered,
        "cpu": cpu,
        "wall": wall,
        "lost": lost,
        "duplicates": duplicates,
        "errors": errors,
    }


def report(name: str, figures: dict) -> str:
    messages, frames, cpu = figures["messages"], figures["frames"], figures["cpu"]
    return (
        f"{name:<26} {messages:>8} {frames:>8} {1000 * cpu / messages:>10.2f} "
        f"{1000 * cpu / max(frames, 1):>10.3f} {messages / figures['wall']:>7.1f} "
        f"{figures['lost']:>5} {figures['duplicates']:>5}"
    )


def run(args, database_url: str) -> int:
    state = seed(args.members)
    users, tokens, group = state["users"], state["tokens"], state["group"]
    port = free_port()
    daphne = start_daphne(database_url, port)
    try:
        # Eight friends take turns writing to the first user: each socket stays far below
        # the per-socket frame limit, and every message reaches two sockets.
        writers = users[1:9]
        direct = asyncio.run(
            load(
                port,
                daphne.pid,
                tokens,
                [users[0], *writers],
                lambda i: (
                    writers[i % len(writers)],
                    {
                        "type": "message.send",
                        "to": users[0],
                        "body": f"direct {i}",
                        "client_id": f"d-{i}",
                    },
                    (writers[i % len(writers)], users[0]),
                ),
                args.messages,
            )
        )
        grouped = asyncio.run(
            load(
                port,
                daphne.pid,
                tokens,
                users,
                lambda i: (
                    users[i % len(users)],
                    {
                        "type": "message.send",
                        "conversation": group,
                        "body": f"group {i}",
                        "client_id": f"g-{i}",
                    },
                    users,
                ),
                args.messages,
            )
        )
    finally:
        daphne.terminate()
        daphne.wait(10)
    print(
        f"{'mode':<26} {'messages':>8} {'frames':>8} {'cpu ms/msg':>10} "
        f"{'cpu ms/frm':>10} {'msg/s':>7} {'lost':>5} {'dupes':>5}"
    )
    print(report("direct (2 sockets/msg)", direct))
    print(report(f"group of {args.members} ({args.members} sockets)", grouped))
    for figures in (direct, grouped):
        for error in figures["errors"][:3]:
            print("error frame:", error)
    bad = direct["lost"] + direct["duplicates"] + grouped["lost"] + grouped["duplicates"]
    return 1 if bad else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=32, help="group size (32)")
    parser.add_argument("--messages", type=int, default=300, help="messages per mode (300)")
    args = parser.parse_args(argv)
    os.environ.setdefault("CACHE_KEY_PREFIX", "dmsite-bench-group")
    setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)
    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        name = os.path.join(tempfile.gettempdir(), f"dmsite-bench-group-{os.getpid()}.sqlite3")
        database_url = f"sqlite:///{name}"
    else:
        name = f"bench_group_{original}"
        url = os.environ["DATABASE_URL"]
        database_url = url.rsplit("/", 1)[0] + "/" + name
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    load_avg = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    layer = "Redis" if os.environ.get("REDIS_URL") else "in-memory"
    print(f"backend: {connection.vendor}, channel layer {layer}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_avg} before the run")
    try:
        return run(args, database_url)
    finally:
        connection.close()
        connection.creation.destroy_test_db(original, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    sys.exit(main())
