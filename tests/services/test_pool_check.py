"""A pooled connection the server closed is replaced when lent, never handed to a request.

A live Daphne on PostgreSQL keeps its pool of connections open between requests.
Every one of them is ended by the server (`pg_terminate_backend`, as a restart or a
failover would), while idle in the pool. The next requests must all succeed: the pool's
check (dmsite/postgresql/base.py) finds each dead connection before lending it and opens another.
"""

import time

import httpx
import psycopg
import pytest
from django.db import connection

from dmsite.postgresql.base import closed_by_server
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

POOL_SIZE = 3


def _other_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _terminate_other_backends() -> list[int]:
    pids = _other_backends()
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while set(pids) & set(_other_backends()):
        assert time.monotonic() < deadline, "the backends did not end"
        time.sleep(0.05)
    return pids


def test_connections_the_server_closed_are_replaced_before_a_request_gets_one(start_daphne):
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    headers = {"Authorization": f"Token {token_for(alice)}"}
    server = start_daphne(DATABASE_POOL_MAX=str(POOL_SIZE))

    def send(number: int) -> httpx.Response:
        return httpx.post(
            f"{server.url}/api/v1/messages",
            json={"to": "bob", "body": f"after {number}", "client_id": f"c{number}"},
            headers=headers,
            timeout=30,
        )

    assert send(0).status_code == 201
    terminated = _terminate_other_backends()
    assert terminated, "the server held no pooled connection"

    statuses = [send(number).status_code for number in range(1, 2 * POOL_SIZE + 1)]

    assert statuses == [201] * (2 * POOL_SIZE)
    assert "Internal Server Error" not in server.log()


def test_the_check_passes_a_live_connection_and_refuses_one_the_server_ended():
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's")
    params = connection.get_connection_params()
    params.pop("pool", None)
    with psycopg.connect(**params, autocommit=True) as lent:
        lent.execute("SELECT 'the last statement'")
        pid = lent.info.backend_pid
        assert not closed_by_server(lent)  # idle and healthy: nothing to read, no probe
        with connection.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            assert cursor.fetchone() == ("SELECT 'the last statement'",)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while pid in _other_backends():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)
        assert closed_by_server(lent)
        assert lent.closed
