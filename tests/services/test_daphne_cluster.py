"""Two Daphne processes sharing PostgreSQL and Redis behave as one service.

User A's socket is on one process and user B's on the other: messages sent on
either side, by socket or by REST, arrive on the other within a second, and a
client that reconnects to the other process gets everything it missed from
`sync`, in order, without duplicates.
"""

import asyncio
import json
import time

import httpx
import pytest
import websockets
from django.conf import settings

from privacy.services import follow_create
from tests.factories import UserFactory, token_for

pytestmark = pytest.mark.services

DELIVERY_SECONDS = 1.0


@pytest.fixture
def cluster(start_daphne):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the processes share the Redis channel layer")
    return start_daphne(), start_daphne()


@pytest.fixture
def friends():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    return token_for(alice), token_for(bob)


async def next_frame(socket, frame_type: str, timeout: float = DELIVERY_SECONDS) -> dict:
    """The next frame of `frame_type`, skipping others, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        frame = json.loads(await asyncio.wait_for(socket.recv(), max(remaining, 0.001)))
        if frame["type"] == frame_type:
            return frame


async def rest_send(server, token: str, to: str, body: str) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/api/v1/messages",
            json={"to": to, "body": body},
            headers={"Authorization": f"Token {token}"},
        )
    assert response.status_code == 201, response.text
    return response.json()


def connect(server, token: str):
    return websockets.connect(f"{server.ws_url}?token={token}")


def test_messages_cross_processes_both_ways(cluster, friends):
    one, two = cluster
    alice_token, bob_token = friends

    async def both_get(alice, bob, message: dict) -> None:
        """Every socket of both participants gets message.new with this message."""
        for socket in (alice, bob):
            assert (await next_frame(socket, "message.new"))["message"] == message

    async def scenario():
        async with connect(one, alice_token) as alice, connect(two, bob_token) as bob:
            # by socket, A on process one → B on process two
            await alice.send(
                json.dumps({"type": "message.send", "to": "bob", "body": "hi", "client_id": "a1"})
            )
            ack = await next_frame(alice, "message.ack")
            assert ack["message"]["body"] == "hi"
            await both_get(alice, bob, ack["message"])

            # by socket, B on process two → A on process one
            await bob.send(json.dumps({"type": "message.send", "to": "alice", "body": "hey"}))
            ack = await next_frame(bob, "message.ack")
            assert (ack["message"]["sender"], ack["message"]["body"]) == ("bob", "hey")
            await both_get(alice, bob, ack["message"])

            # by REST on process two, then on process one
            await both_get(alice, bob, await rest_send(two, bob_token, "alice", "over REST"))
            sent = await rest_send(one, alice_token, "bob", "back over REST")
            await both_get(alice, bob, sent)
            return sent["seq"]

    assert asyncio.run(scenario()) == 4


def test_reconnect_to_the_other_process_syncs_every_missed_message(cluster, friends):
    one, two = cluster
    alice_token, bob_token = friends

    async def scenario():
        async with connect(one, alice_token) as alice:
            async with connect(two, bob_token) as bob:
                first = await rest_send(one, alice_token, "bob", "seen live")
                last_seen = (await next_frame(bob, "message.new"))["message"]["id"]
                assert last_seen == first["id"]
            # B is offline: A sends three more over the socket and REST.
            missed = []
            for number in range(3):
                await alice.send(
                    json.dumps({"type": "message.send", "to": "bob", "body": f"missed {number}"})
                )
                missed.append((await next_frame(alice, "message.ack"))["message"])
            missed.append(await rest_send(one, alice_token, "bob", "missed by REST"))

        # B comes back on the other process and asks for everything after what it saw.
        async with connect(one, bob_token) as bob:
            await bob.send(json.dumps({"type": "sync", "after": last_seen}))
            synced = []
            while True:
                frame = json.loads(await asyncio.wait_for(bob.recv(), 5))
                if frame["type"] == "sync.done":
                    break
                assert frame["type"] == "sync.batch"
                synced.extend(frame["messages"])
        return missed, synced

    missed, synced = asyncio.run(scenario())
    assert synced == missed
    assert [message["seq"] for message in synced] == [2, 3, 4, 5]
    assert len({message["id"] for message in synced}) == len(synced)
