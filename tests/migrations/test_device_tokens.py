"""The DeviceToken migration: DRF tokens of before keep working, and no plain key is kept.

Here, after the browser tests: migrating back and forth leaves rows (content types)
that the browser tests' serialized rollback would collide with.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient


@pytest.mark.django_db(transaction=True)
def test_drf_tokens_of_before_keep_working_after_the_migration():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0003_user_avatar"), ("authtoken", "0004_alter_tokenproxy_options")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("accounts", "User").objects.create(
        username="legacy", password="!", date_of_birth=datetime.date(1990, 1, 1)
    )
    key = "0123456789abcdef0123456789abcdef01234567"  # a DRF key: 40 hex characters
    old.get_model("authtoken", "Token").objects.create(key=key, user_id=user.pk)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert api(key).get("/api/v1/me").json()["username"] == "legacy"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)  # no key is kept in plain text


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
