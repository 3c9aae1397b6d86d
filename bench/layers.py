"""Which channel layer: channels-redis's core `RedisChannelLayer` or `RedisPubSubChannelLayer`.

    .venv/bin/python bench/layers.py --rates 50,150,300 --seconds 15
    .venv/bin/python bench/layers.py --layers core,core:capacity=2000,pubsub

Two Daphne processes (A and B) on PostgreSQL (`--database`, default
`postgres://postgres@127.0.0.1:5432/dmsite_bench_layers`, created and dropped
here) and a Redis server of this script's own on a free port (never 6379). Each
of `--pairs` friend pairs has its sender's socket on A and its recipient's on B,
plus `--idle` more sockets per recipient on B (people have several tabs), so
that one process holds many sockets. The senders send `message.send` frames open
loop, at `rate` messages per second in total, for `--seconds`; then the run waits
for stragglers. Figures per layer and rate:

- `acked`: messages stored (the sender's `message.ack`); `dropped`: the
  `message.new` frames of stored messages that never reached a socket that should
  have had them (each of the recipient's sockets on B, and the sender's own on A);
- with `--pause S`, B is stopped (SIGSTOP) for S seconds halfway through the
  sends, as a long pause would stop it, while A goes on sending to B's users;
- `cpu ms/msg`: both Daphne processes' CPU time per stored message, and Redis's;
- then B is killed with SIGKILL, `--after` more messages per pair go to B's users from A, and
  `stale`: group members Redis still holds for the dead process's sockets
  (core: entries of the users' group sorted sets; pubsub: subscribers of the
  users' group channels), and `over capacity` lines A logged meanwhile.

Nothing here asserts a figure: it prints a table (and `--json` lines).
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import websockets

ROOT = Path(__file__).resolve().parent.parent
PY = Path(sys.executable)
DAPHNE = PY.with_name("daphne")
sys.path.insert(0, str(ROOT))

from tests.processes import cpu_seconds, free_port, wait_until_listening  # noqa: E402


def database(url: str, action: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{name}"')


SEED = """
import json, sys
import django
django.setup()
from accounts.tokens import token_create
from privacy.services import follow_create
from tests.factories import UserFactory
pairs, idle = int(sys.argv[1]), int(sys.argv[2])
out = []
for i in range(pairs):
    a = UserFactory(username=f"s{i}")
    b = UserFactory(username=f"r{i}")
    follow_create(follower=a, followee=b)
    follow_create(follower=b, followee=a)
    out.append({
        "sender": a.username, "sender_id": a.pk, "recipient": b.username, "recipient_id": b.pk,
        "sender_token": token_create(user=a, expiry=None)[1],
        "recipient_tokens": [token_create(user=b, expiry=None)[1] for _ in range(1 + idle)],
    })
print(json.dumps(out))
"""


class Run:
    def __init__(self, args, layer: str, redis_port: int, work: Path):
        self.args = args
        kind, _, options = layer.partition(":")
        self.kind = kind
        self.layer = layer
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "REDIS_URL", "CHANNEL_LAYER"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="dmsite.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="bench-layers-not-a-secret-" + uuid.uuid4().hex,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=args.database,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            CHANNEL_LAYER=kind,
            RATE_MESSAGES="1000000/60",
            RATE_RECIPIENTS="1000000/3600",
            RATE_SOCKET_FRAMES="1000000/10",
            WS_MAX_SOCKETS_PER_USER="1000",
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        for option in filter(None, options.split(",")):
            name, _, value = option.partition("=")
            env[f"CHANNEL_LAYER_{name.upper()}"] = value
        self.env = env
        self.work = work
        self.redis = redis.Redis(port=redis_port)

    def start(self, name: str) -> tuple[subprocess.Popen, int, Path]:
        port = free_port()
        log = self.work / f"{self.layer.replace(':', '_')}-{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our daphne, fixed arguments
                [
                    str(DAPHNE),
                    "-v",
                    "0",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "dmsite.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_listening(process, port, log.read_text, timeout=60)
        return process, port, log


async def load(args, run: Run, pairs, rate: float, a_port: int, b_port: int, b, kill_b) -> dict:
    """Open every socket, send at `rate` for `--seconds`, count acks and deliveries."""
    expected: dict[str, int] = {}  # client_id -> sockets that must get its message.new
    got: dict[str, int] = {}
    acked: set[str] = set()
    errors: dict[str, int] = {}
    sockets = []

    async def reader(ws, role: str):
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "message.ack":
                    acked.add(frame["client_id"])
                elif kind == "message.new":
                    client_id = frame["message"]["client_id"]
                    got[client_id] = got.get(client_id, 0) + 1
                elif kind == "error":
                    errors[frame["code"]] = errors.get(frame["code"], 0) + 1
        except websockets.ConnectionClosed:
            pass

    readers = []
    gate = asyncio.Semaphore(20)

    async def open_socket(port, token, role):
        async with gate:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/?token={token}", open_timeout=60, ping_interval=None
            )
        sockets.append(ws)
        readers.append(asyncio.create_task(reader(ws, role)))
        return ws

    senders = await asyncio.gather(
        *(open_socket(a_port, pair["sender_token"], "sender") for pair in pairs)
    )
    await asyncio.gather(
        *(
            open_socket(b_port, token, "recipient")
            for pair in pairs
            for token in pair["recipient_tokens"]
        )
    )
    await asyncio.sleep(1)
    per_message = 1 + args.idle + 1  # the recipient's sockets and the sender's own
    total = int(rate * args.seconds)
    started = time.monotonic()
    pause_at = total // 2 if args.pause else None
    for n in range(total):
        if n == pause_at:
            # B stops (a long GC pause, a starved CPU) while A goes on sending to its users.
            b.send_signal(signal.SIGSTOP)
            asyncio.get_running_loop().call_later(args.pause, b.send_signal, signal.SIGCONT)
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        index = n % len(pairs)
        client_id = f"{run.layer}-{rate}-{n}"
        expected[client_id] = per_message
        await senders[index].send(
            json.dumps(
                {
                    "type": "message.send",
                    "to": pairs[index]["recipient"],
                    "body": f"bench {n}",
                    "client_id": client_id,
                }
            )
        )
    send_seconds = time.monotonic() - started
    # Stragglers: until every acked message is delivered, or --drain seconds of nothing new.
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < args.drain:
        progress = len(acked) + sum(got.values())
        if progress != last:
            last, quiet_since = progress, time.monotonic()
        if len(acked) == total and all(got.get(c, 0) >= expected[c] for c in acked):
            break
        await asyncio.sleep(0.2)
    # B dies with its sockets open, as in a crash: nothing runs their disconnect.
    kill_b()
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    dropped = sum(max(0, expected[c] - got.get(c, 0)) for c in acked)
    return {
        "sent": total,
        "send_seconds": round(send_seconds, 1),
        "acked": len(acked),
        "frames_expected": sum(expected[c] for c in acked),
        "dropped": dropped,
        "errors": errors,
    }


async def after_kill(args, run: Run, pairs: list[dict], a_port: int) -> None:
    """Every sender writes `--after` more from A, to a recipient whose sockets died with B."""

    async def one(pair):
        async with websockets.connect(
            f"ws://127.0.0.1:{a_port}/ws/?token={pair['sender_token']}", ping_interval=None
        ) as ws:
            for n in range(args.after):
                await ws.send(
                    json.dumps(
                        {
                            "type": "message.send",
                            "to": pair["recipient"],
                            "body": "after",
                            "client_id": f"{run.layer}-after-{pair['recipient']}-{n}",
                        }
                    )
                )
                while json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] != "message.ack":
                    pass

    await asyncio.gather(*(one(pair) for pair in pairs))


def stale_members(run: Run, pairs: list[dict]) -> int:
    client = run.redis
    if run.kind == "pubsub":
        channels = [f"dmsite__group__user.{pair['recipient_id']}" for pair in pairs]
        return sum(count for _, count in client.pubsub_numsub(*channels))
    return sum(client.zcard(f"dmsite:group:user.{pair['recipient_id']}") for pair in pairs)


def one_layer(args, layer: str, rates: list[float], work: Path, redis_port: int) -> list[dict]:
    results = []
    for rate in rates:
        result = one_rate(args, layer, rate, work, redis_port)
        results.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)
    database(args.database, "drop")
    return results


def one_rate(args, layer: str, rate: float, work: Path, redis_port: int) -> dict:
    database(args.database, "create")
    run = Run(args, layer, redis_port, work)
    run.redis.flushall()
    subprocess.run(  # noqa: S603
        [str(PY), "manage.py", "migrate", "-v", "0", "--noinput"],
        cwd=ROOT,
        env=run.env,
        check=True,
    )
    seeded = subprocess.run(  # noqa: S603
        [str(PY), "-c", SEED, str(args.pairs), str(args.idle)],
        cwd=ROOT,
        env=run.env,
        check=True,
        capture_output=True,
        text=True,
    )
    pairs = json.loads(seeded.stdout.strip().splitlines()[-1])
    (a, a_port, a_log), (b, b_port, b_log) = run.start("A"), run.start("B")
    redis_pid = int(run.redis.info("server")["process_id"])
    cpu_before = cpu_seconds(a.pid) + cpu_seconds(b.pid)
    redis_before = cpu_seconds(redis_pid)
    cpu = []

    def kill_b():
        cpu.append(cpu_seconds(a.pid) + cpu_seconds(b.pid) - cpu_before)
        cpu.append(cpu_seconds(redis_pid) - redis_before)
        b.send_signal(signal.SIGKILL)
        b.wait()

    figures = asyncio.run(load(args, run, pairs, rate, a_port, b_port, b, kill_b))
    cpu, redis_cpu = cpu
    a_over = a_log.read_text(errors="replace").count("over capacity")
    over_before = a_over + b_log.read_text(errors="replace").count("over capacity")
    asyncio.run(after_kill(args, run, pairs, a_port))
    time.sleep(1)
    stale = stale_members(run, pairs)
    over_after = a_log.read_text(errors="replace").count("over capacity")
    a.terminate()
    a.wait(timeout=20)
    acked = max(figures["acked"], 1)
    return {
        "layer": layer,
        "rate": rate,
        **figures,
        "drop_pct": round(100 * figures["dropped"] / max(figures["frames_expected"], 1), 2),
        "daphne_cpu_ms_per_msg": round(1000 * cpu / acked, 2),
        "redis_cpu_ms_per_msg": round(1000 * redis_cpu / acked, 3),
        "over_capacity_lines": over_before,
        "stale_members_after_kill": stale,
        "over_capacity_after_kill": over_after - a_over,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", default="core,pubsub")
    parser.add_argument("--rates", default="50,150")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--idle", type=int, default=2, help="more sockets per recipient")
    parser.add_argument(
        "--pause", type=float, default=0, help="SIGSTOP B for this long halfway through"
    )
    parser.add_argument("--after", type=int, default=5, help="sends per pair after the kill")
    parser.add_argument("--drain", type=float, default=8)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/dmsite_bench_layers"
    )
    parser.add_argument("--json", help="append each result as a JSON line to this file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dmsite-layers-"))
    redis_port = free_port()
    server = subprocess.Popen(  # noqa: S603 - the system's redis-server, fixed arguments
        [
            shutil.which("redis-server"),
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        rates = [float(rate) for rate in args.rates.split(",")]
        results = []
        for layer in args.layers.split(","):
            results += one_layer(args, layer, rates, work, redis_port)
    finally:
        server.kill()
    if args.json:
        with open(args.json, "a") as out:
            for result in results:
                out.write(json.dumps(result) + "\n")
    columns = [
        ("layer", "layer"),
        ("rate", "msgs/s"),
        ("acked", "stored"),
        ("dropped", "dropped"),
        ("drop_pct", "drop %"),
        ("daphne_cpu_ms_per_msg", "daphne cpu ms/msg"),
        ("redis_cpu_ms_per_msg", "redis cpu ms/msg"),
        ("over_capacity_lines", "over-cap lines"),
        ("stale_members_after_kill", "stale after kill -9"),
        ("over_capacity_after_kill", "over-cap after kill"),
    ]
    print(
        f"{args.pairs} pairs, {1 + args.idle} sockets per recipient on B,"
        f" {args.seconds:g} s per rate; logs: {work}"
    )
    print("  ".join(title for _, title in columns))
    for result in results:
        print("  ".join(str(result[key]).ljust(len(title)) for key, title in columns))


if __name__ == "__main__":
    main()
