"""Finding 10: Redis down is 503 `service_unavailable` everywhere, and writes nothing.

A live Daphne runs on a Redis of the test's own (`private_redis`), which the test
kills with SIGKILL mid-test. While it is down, every write that needs the rate
limits (sends, log-ins, follows) is refused with 503 and `Retry-After` (the limits
fail closed: docs/decisions.md), sockets are told so and closed with 4503, reads
that need no Redis go on, and once Redis is back everything works again. A send
that committed answers success even when the events cannot be published.
"""

import asyncio
import json

import httpx
import pytest
import websockets

from accounts.models import Follow
from messaging.models import Message
from privacy.services import follow_create
from tests.factories import PASSWORD, UserFactory, token_for

# Serialized: the browser tests after it restore the migrated rows (content types) by id.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CLOSE_SERVICE_UNAVAILABLE = 4503
# The error frame that refuses the send with client_id "c1" while Redis is down.
REFUSED_SEND = {
    "type": "error",
    "code": "service_unavailable",
    "detail": "The service is briefly unavailable. Try again in a moment.",
    "client_id": "c1",
    "retry_after": 5,
}
# redis-py retries a refused connection (with backoff) before it gives up.
OUTAGE_SECONDS = 15


@pytest.fixture
def people():
    alice, bob, carol = (UserFactory(username=name) for name in ("alice", "bob", "carol"))
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    return alice, bob, carol


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {
        "code": "service_unavailable",
        "detail": "The service is briefly unavailable. Try again in a moment.",
    }
    assert int(response.headers["Retry-After"]) >= 1


def post(server, path: str, token: str | None = None, **body) -> httpx.Response:
    headers = {"Authorization": f"Token {token}"} if token else {}
    return httpx.post(
        f"{server.url}/api/v1/{path}", json=body, headers=headers, timeout=OUTAGE_SECONDS
    )


async def frames_until_close(url: str) -> tuple[list[dict], int]:
    """Open a socket and read it until the server closes it: (frames, close code)."""
    async with websockets.connect(url, open_timeout=OUTAGE_SECONDS) as socket:
        return await read_until_close(socket)


async def read_until_close(socket) -> tuple[list[dict], int]:
    frames = []
    try:
        async with asyncio.timeout(OUTAGE_SECONDS):
            while True:
                frames.append(json.loads(await socket.recv()))
    except websockets.ConnectionClosed as closed:
        return frames, closed.rcvd.code
    except TimeoutError:
        pytest.fail(f"the socket stayed open; frames: {frames}")


def assert_told_unavailable(frames: list[dict], code: int) -> None:
    errors = [frame for frame in frames if frame["type"] == "error"]
    assert errors, frames
    assert errors[-1]["code"] == "service_unavailable"
    assert errors[-1]["retry_after"] >= 1
    assert code == CLOSE_SERVICE_UNAVAILABLE


async def next_frame(socket, frame_type: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), OUTAGE_SECONDS))
        if frame["type"] == frame_type:
            return frame


def test_redis_down_answers_503_everywhere_writes_nothing_and_recovers(
    start_daphne, private_redis, people
):
    redis = private_redis()
    server = start_daphne(REDIS_URL=redis.url())
    alice, bob, carol = people
    token, bob_token = token_for(alice), token_for(bob)
    sent = post(server, "messages", token, to="bob", body="before", client_id="c0")
    assert sent.status_code == 201, sent.text
    conversation_id = sent.json()["conversation"]

    async def scenario():
        async with websockets.connect(f"{server.ws_url}?token={token}") as socket:
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            await next_frame(socket, "sync.done")  # the handshake's registration is done
            redis.kill()

            # A socket open when Redis dies stays open: a send is refused as a frame
            # (nothing stored), what needs no Redis is served.
            frame = {"type": "message.send", "to": "bob", "body": "lost?", "client_id": "c1"}
            await socket.send(json.dumps(frame))
            refused = await next_frame(socket, "error")
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            synced = await next_frame(socket, "sync.done")

            rest = await asyncio.to_thread(refused_over_rest)
            # A new socket's handshake: the same answer, as a frame, then the close code.
            handshake = await frames_until_close(f"{server.ws_url}?token={token}")
            history = await asyncio.to_thread(
                httpx.get,
                f"{server.url}/api/v1/conversations/{conversation_id}/messages",
                headers={"Authorization": f"Token {token}"},
                timeout=OUTAGE_SECONDS,
            )
            stored_meanwhile = await asyncio.to_thread(
                lambda: list(Message.objects.values_list("body", flat=True))
            )

            redis.start()  # back, empty
            # The open socket gets live events again once the layer has resubscribed.
            live = None
            for attempt in range(10):
                reply = await asyncio.to_thread(
                    post, server, "messages", bob_token, to="alice", body=f"back {attempt}"
                )
                assert reply.status_code == 201, reply.text
                try:
                    live = json.loads(await asyncio.wait_for(socket.recv(), 1))
                    break
                except TimeoutError:
                    continue
            return refused, synced, rest, handshake, history, stored_meanwhile, live

    def refused_over_rest() -> list[httpx.Response]:
        return [
            post(server, "messages", token, to="bob", body="lost?", client_id="c1"),
            post(server, f"conversations/{conversation_id}/messages", token, body="x"),
            post(server, "auth/login", username="alice", password="wrong-password"),
            post(server, "auth/login", username="alice", password=PASSWORD),
            post(server, "users/carol/follow", token),
        ]

    refused, synced, rest, handshake, history, stored_meanwhile, live = asyncio.run(scenario())

    assert refused == REFUSED_SEND
    assert synced["last_id"] == sent.json()["id"]
    for response in rest:
        assert_unavailable(response)
    assert_told_unavailable(*handshake)
    assert history.status_code == 200  # reads need no Redis
    # Nothing was written by any refused request.
    assert stored_meanwhile == ["before"]
    assert not Follow.objects.filter(follower=alice, followee=carol).exists()
    assert live is not None, "the open socket got no live event after Redis came back"
    assert live["type"] == "message.new"
    assert live["message"]["sender"] == "bob"

    # After the outage everything works again, new sockets too.
    again = post(server, "messages", token, to="bob", body="after", client_id="c1")
    assert again.status_code == 201, again.text
    assert post(server, "users/carol/follow", token).status_code == 201

    async def socket_works():
        async with websockets.connect(f"{server.ws_url}?token={token}") as socket:
            await socket.send(json.dumps({"type": "sync", "after": again.json()["id"] - 1}))
            return await next_frame(socket, "sync.done")

    assert asyncio.run(socket_works())["last_id"] == again.json()["id"]
    assert "Internal Server Error" not in server.log()


def test_the_html_log_in_is_503_while_redis_is_down(start_daphne, private_redis, people):
    redis = private_redis()
    server = start_daphne(REDIS_URL=redis.url())
    with httpx.Client(base_url=server.url, timeout=OUTAGE_SECONDS) as browser:
        browser.get("/login")
        redis.kill()
        response = browser.post(
            "/login",
            data={
                "username": "alice",
                "password": "wrong-password",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": f"{server.url}/login"},
        )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "Try again" in response.text
    assert "Internal Server Error" not in server.log()


def test_a_committed_send_answers_success_when_the_events_cannot_be_published(
    start_daphne, private_redis, people
):
    """The cache (limits) is up, the channel layer's Redis is down: the publish fails."""
    cache_redis, layer_redis = private_redis(), private_redis()
    server = start_daphne(REDIS_URL=cache_redis.url(), CHANNEL_LAYER_REDIS_URLS=layer_redis.url())
    token = token_for(people[0])
    layer_redis.kill()

    sent = post(server, "messages", token, to="bob", body="committed", client_id="c1")

    assert sent.status_code == 201, sent.text
    assert sent.json()["body"] == "committed"
    assert Message.objects.get().body == "committed"
    assert "Could not publish" in server.log()
    # The client that retries gets the same message, not a second one.
    retried = post(server, "messages", token, to="bob", body="committed", client_id="c1")
    assert retried.status_code == 200
    assert Message.objects.count() == 1


def test_a_socket_frame_is_503_while_the_limits_are_down_and_the_socket_goes_on(
    start_daphne, private_redis, people
):
    """The channel layer's Redis is up, the cache's is down: the send frame is refused."""
    cache_redis, layer_redis = private_redis(), private_redis()
    server = start_daphne(REDIS_URL=cache_redis.url(), CHANNEL_LAYER_REDIS_URLS=layer_redis.url())
    token = token_for(people[0])

    async def scenario():
        async with websockets.connect(f"{server.ws_url}?token={token}") as socket:
            # Served once: the handshake's registration (in the cache) is done.
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            assert json.loads(await asyncio.wait_for(socket.recv(), OUTAGE_SECONDS))["type"] == (
                "sync.done"
            )
            cache_redis.kill()
            send = {"type": "message.send", "to": "bob", "body": "hi", "client_id": "c1"}
            await socket.send(json.dumps(send))
            refused = json.loads(await asyncio.wait_for(socket.recv(), OUTAGE_SECONDS))
            await socket.send(json.dumps({"type": "sync", "after": 0}))
            served = json.loads(await asyncio.wait_for(socket.recv(), OUTAGE_SECONDS))
            return refused, served

    refused, served = asyncio.run(scenario())

    assert refused == REFUSED_SEND
    assert served == {"type": "sync.done", "last_id": 0, "has_more": False}
    assert not Message.objects.exists()
