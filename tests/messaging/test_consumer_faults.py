"""Findings 8 and 13: one frame that fails unexpectedly is answered, and the socket goes on.

A dropped database connection (or a locked SQLite) in one frame answers an `error`
frame `service_unavailable`; any other unexpected error answers `server_error`. Either
way the next frame is served, instead of the consumer dying with close 1011.
"""

import contextlib

import pytest
from django.db import OperationalError

from messaging import policy
from tests.messaging.test_consumers import (  # noqa: F401 (fixtures)
    PROBE,
    PROBE_ANSWER,
    ask,
    assert_usable,
    connect,
    friends,
    receive,
    sockets,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def answer_to(socket, frame: dict) -> dict:
    """The ack or error of a send (the sender's own `message.new` is skipped)."""
    await socket.send_json_to(frame)
    while True:
        answer = await receive(socket)
        if answer["type"] != "message.new":
            return answer


@pytest.mark.parametrize(
    ("fault", "code", "extra"),
    [
        (OperationalError("server closed the connection unexpectedly"), "service_unavailable", 5),
        (OperationalError("database is locked"), "service_unavailable", 5),
        (RuntimeError("a bug"), "server_error", None),
    ],
)
async def test_a_frame_that_fails_gets_an_error_frame_and_the_socket_keeps_serving(
    connect,  # noqa: F811 (the fixture)
    monkeypatch,
    fault,
    code,
    extra,
):
    alice, _bob = await friends("alice", "bob")
    socket = await connect(alice)
    # Inside the send's transaction, after the users' rows are locked.
    real = policy.pair_facts
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise fault
        return real(*args, **kwargs)

    monkeypatch.setattr(policy, "pair_facts", failing_once)
    frame = {"type": "message.send", "to": "bob", "body": "hi", "client_id": "c1"}

    answer = await ask(socket, frame)

    assert answer["type"] == "error"
    assert answer["code"] == code
    assert answer["client_id"] == "c1"
    assert answer.get("retry_after") == extra
    assert "a bug" not in answer["detail"]
    assert "connection" not in answer["detail"]
    await assert_usable(socket)
    # The same frame again now succeeds: nothing of the failed one was stored.
    ack = await ask(socket, frame)
    assert ack["type"] == "message.ack"
    assert ack["message"]["seq"] == 1


@pytest.mark.services
async def test_a_database_connection_killed_under_the_consumer_is_an_error_frame(
    connect,  # noqa: F811 (the fixture)
):
    """PostgreSQL terminates the consumer's persistent connection between two frames."""
    from channels.db import database_sync_to_async
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL to terminate a server backend")
    alice, _bob = await friends("alice", "bob")
    socket = await connect(alice)
    kept = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60  # as docs/deploy.md had it
    try:
        frame = {"type": "message.send", "to": "bob", "body": "one", "client_id": "c1"}
        assert (await answer_to(socket, frame))["type"] == "message.ack"

        @database_sync_to_async
        def terminate_other_backends():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )

        await terminate_other_backends()
        answers = [await answer_to(socket, {**frame, "client_id": f"c{n}"}) for n in (2, 3)]
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept
        # The consumer thread's connection, kept open by CONN_MAX_AGE: closed in that thread.
        await database_sync_to_async(lambda: connections["default"].close())()

    # The frame on the dead connection is refused as a service outage (or, had the
    # connection been replaced already, simply served); the next one always is served.
    assert answers[0]["type"] in ("error", "message.ack")
    if answers[0]["type"] == "error":
        assert answers[0]["code"] == "service_unavailable"
    assert answers[1]["type"] == "message.ack"
    assert (await answer_to(socket, PROBE)) == PROBE_ANSWER


@pytest.mark.services
async def test_the_consumers_own_connection_terminated_mid_send_is_an_error_frame(
    connect,  # noqa: F811 (the fixture)
    monkeypatch,
):
    """PostgreSQL ends the very backend a send is running on, inside its transaction.

    The send fails there (nothing of it is stored), the frame is answered
    `service_unavailable`, and the next frames are served on a new connection.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL to terminate a server backend")
    alice, _bob = await friends("alice", "bob")
    socket = await connect(alice)
    real = policy.pair_facts
    terminated = []

    def terminate_own_backend_once(*args, **kwargs):
        if not terminated:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                terminated.append(cursor.fetchone()[0])
                # A superuser may end its own backend; this statement itself fails.
                with contextlib.suppress(OperationalError):
                    cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real(*args, **kwargs)

    monkeypatch.setattr(policy, "pair_facts", terminate_own_backend_once)
    frame = {"type": "message.send", "to": "bob", "body": "hi", "client_id": "c1"}

    refused = await answer_to(socket, frame)
    retried = await answer_to(socket, frame)

    assert terminated
    assert refused["type"] == "error"
    assert refused["code"] == "service_unavailable"
    assert refused["client_id"] == "c1"
    assert refused["retry_after"] == 5
    assert retried["type"] == "message.ack"
    assert retried["message"]["seq"] == 1  # the failed send stored nothing
    assert (await answer_to(socket, PROBE)) == PROBE_ANSWER
