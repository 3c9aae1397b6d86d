"""Parallel sends from one user against a live Daphne: never a 500, every message stored once.

On SQLite a transaction that read first and wrote later got `database is locked`
at once when another held the write lock; immediate transactions wait for it.
On PostgreSQL the sends serialize on the users' rows. Either way `seq` has no gap.
"""

import asyncio

import httpx

from accounts.tokens import token_create
from messaging.models import Message
from tests.factories import UserFactory
from tests.messaging.state import befriend

CLIENTS, SENDS_EACH = 8, 5


async def _client_sends(server, token: str, client: int) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        for number in range(SENDS_EACH):
            response = await http.post(
                "/api/v1/messages",
                json={
                    "to": "bob",
                    "body": f"{client}.{number}",
                    "client_id": f"c{client}.{number}",
                },
                headers={"Authorization": f"Token {token}"},
            )
            statuses.append(response.status_code)
    return statuses


async def _all_clients(server, token: str) -> list[int]:
    results = await asyncio.gather(
        *(_client_sends(server, token, client) for client in range(CLIENTS))
    )
    return [status for statuses in results for status in statuses]


def test_parallel_sends_from_one_user_are_all_stored_once(start_daphne):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    token = token_create(user=alice)[1]
    server = start_daphne(RATE_MESSAGES="1000/60")

    statuses = asyncio.run(_all_clients(server, token))

    assert statuses == [201] * (CLIENTS * SENDS_EACH), server.log()[-3000:]
    stored = list(Message.objects.order_by("seq").values_list("seq", "body"))
    assert [seq for seq, _ in stored] == list(range(1, CLIENTS * SENDS_EACH + 1))
    assert sorted(body for _, body in stored) == sorted(
        f"{client}.{number}" for client in range(CLIENTS) for number in range(SENDS_EACH)
    )
