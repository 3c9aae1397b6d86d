"""Finding 11: a burst of parallel sends on a small pool is 201 or 503, never 500.

A live Daphne on PostgreSQL with a pool of 2 connections that waits 1 s for one.
The test holds the sender's row lock, so the first two sends keep their pooled
connections while they wait for it; the rest of the burst finds the pool empty,
and its pool timeout must be 503 `service_unavailable` with `Retry-After` (not a
500, not `too many clients`), writing nothing. Once the lock is released, the
waiting sends finish, and every 201 is exactly one stored message.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection, transaction

from accounts.models import User
from messaging.models import Message
from tests.factories import UserFactory, token_for
from tests.messaging.state import befriend

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BURST = 20
HOLD_SECONDS = 3  # > DATABASE_POOL_TIMEOUT: the sends queued for the pool time out


def test_a_burst_on_an_exhausted_pool_is_503_never_500(start_daphne):
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    token = token_for(alice)
    server = start_daphne(DATABASE_POOL_MAX="2", DATABASE_POOL_TIMEOUT="1")

    def send(number: int) -> httpx.Response:
        return httpx.post(
            f"{server.url}/api/v1/messages",
            json={"to": "bob", "body": f"burst {number}", "client_id": f"b{number}"},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        )

    with ThreadPoolExecutor(BURST) as pool:
        with transaction.atomic():
            # Every send locks its sender's row first: these wait, holding their connection.
            User.objects.select_for_update().get(pk=alice.pk)
            futures = [pool.submit(send, number) for number in range(BURST)]
            time.sleep(HOLD_SECONDS)
        responses = [future.result() for future in futures]

    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 503}, statuses
    refused = [response for response in responses if response.status_code == 503]
    assert refused, f"the pool never ran out: {statuses}"
    for response in refused:
        assert response.json() == {
            "code": "service_unavailable",
            "detail": "The service is briefly unavailable. Try again in a moment.",
        }
        assert int(response.headers["Retry-After"]) >= 1
    created = sorted(
        response.json()["client_id"] for response in responses if response.status_code == 201
    )
    assert created, statuses  # the sends that had a connection went through
    assert sorted(Message.objects.values_list("client_id", flat=True)) == created
    assert "Internal Server Error" not in server.log()
    assert "too many clients" not in server.log()
