"""Finding 12: live events are not dropped by a busy process, nor sent to dead sockets.

Two live Daphne processes share a Redis of the test's own. With channels-redis's
core layer every socket of a process shares one queue in Redis of capacity 100:
a process that falls behind (here: stopped with SIGSTOP, as a long pause would)
loses everything past the 100th event, and after a kill -9 its sockets stay in
their users' groups for a day. The configured layer (docs/decisions.md) must
deliver every event once the process catches up, and keep no member of a dead
process.
"""

import asyncio
import json
import signal

import httpx
import pytest
import redis
import websockets

from accounts.models import User
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 150  # more than channels-redis's default capacity of 100
LIMITS = {"RATE_MESSAGES": "100000/60", "RATE_RECIPIENTS": "100000/3600"}


@pytest.fixture
def pair():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    return token_for(alice), token_for(bob)


def test_a_process_that_falls_behind_gets_every_event_when_it_catches_up(
    start_daphne, private_redis, pair
):
    layer = private_redis()
    sender_side = start_daphne(REDIS_URL=layer.url(), **LIMITS)
    receiver_side = start_daphne(REDIS_URL=layer.url(), **LIMITS)
    alice_token, bob_token = pair

    async def scenario() -> list[str]:
        url = f"{receiver_side.ws_url}?token={bob_token}"
        async with websockets.connect(url, ping_interval=None) as socket:
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "sync.done"
            receiver_side.process.send_signal(signal.SIGSTOP)
            try:
                async with httpx.AsyncClient(base_url=sender_side.url, timeout=30) as http:
                    for number in range(BURST):
                        response = await http.post(
                            "/api/v1/messages",
                            json={"to": "bob", "body": f"m{number}"},
                            headers={"Authorization": f"Token {alice_token}"},
                        )
                        assert response.status_code == 201, response.text
            finally:
                receiver_side.process.send_signal(signal.SIGCONT)
            bodies = []
            while len(bodies) < BURST:
                try:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
                except TimeoutError:
                    break
                if frame["type"] == "message.new":
                    bodies.append(frame["message"]["body"])
            return bodies

    bodies = asyncio.run(scenario())

    assert bodies == [f"m{number}" for number in range(BURST)]
    assert "over capacity" not in sender_side.log()


def test_a_killed_process_leaves_no_member_in_its_users_groups(start_daphne, private_redis, pair):
    layer = private_redis()
    survivor = start_daphne(REDIS_URL=layer.url(), **LIMITS)
    doomed = start_daphne(REDIS_URL=layer.url(), **LIMITS)
    alice_token, bob_token = pair
    client = redis.Redis.from_url(layer.url())

    group = f"user.{User.objects.get(username='bob').pk}"

    def members_of_bobs_group() -> int:
        core = client.zcard(f"dmsite:group:{group}")  # RedisChannelLayer's sorted set
        ((_, subscribers),) = client.pubsub_numsub(f"dmsite__group__{group}")  # pub/sub's
        return core + subscribers

    async def open_sockets_then_kill():
        url = f"{doomed.ws_url}?token={bob_token}"
        sockets = [await websockets.connect(url, ping_interval=None) for _ in range(3)]
        for socket in sockets:
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "sync.done"
        joined = members_of_bobs_group()
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait()
        return joined

    joined = asyncio.run(open_sockets_then_kill())
    # Messages to bob go on; none may be queued for the dead process's sockets.
    with httpx.Client(base_url=survivor.url, timeout=30) as http:
        for number in range(5):
            response = http.post(
                "/api/v1/messages",
                json={"to": "bob", "body": f"after {number}"},
                headers={"Authorization": f"Token {alice_token}"},
            )
            assert response.status_code == 201, response.text

    assert joined >= 1  # the sockets were in bob's group while their process lived
    assert members_of_bobs_group() == 0
