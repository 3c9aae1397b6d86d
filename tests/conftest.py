"""Fixtures shared by every test: a clean cache, the in-memory SMS outbox, an API client."""

import datetime

import pytest
from django.core.cache import cache
from django.db.backends.base.creation import BaseDatabaseCreation
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.sms import LocmemBackend
from dmsite.ratelimit import local_windows_clear
from tests.factories import token_for

pytest_plugins = ["tests.live", "tests.redis_server"]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.SMS_BACKEND = "locmem"
    # Uploads of a test go to its own folder, never the project's `media/`.
    settings.MEDIA_ROOT = tmp_path / "media"
    # The test client speaks plain HTTP; production redirects to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    # Production serves hashed files from `collectstatic`'s manifest; tests have none.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    LocmemBackend.outbox.clear()
    cache.clear()
    local_windows_clear()  # rate limits without Redis live in the process
    yield
    cache.clear()
    local_windows_clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Django's default PBKDF2 costs ~0.5 s per user and the suites make thousands.
    # Live servers of browser tests do not know this hasher: see tests/e2e.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for():
    """`client_for(user)`: a client that authenticates with the user's API token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


@pytest.fixture
def sms_outbox() -> list[dict]:
    return LocmemBackend.outbox


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def years_ago(years: int, *, days: int = 0) -> datetime.date:
    """The date of birth of someone who turns `years` today (minus `days` days of age)."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February in a common year
        birthday = today.replace(year=today.year - years, day=28)
    return birthday + datetime.timedelta(days=days)


@pytest.fixture
def redis_commands(monkeypatch) -> list[str]:
    """The names of the Redis commands sent from now on (skips without REDIS_URL)."""
    from dmsite.ratelimit import _redis_client

    if _redis_client() is None:
        pytest.skip("REDIS_URL is not set: the local-memory cache has no round trips")
    import redis

    commands: list[str] = []
    execute = redis.Redis.execute_command

    def counted(self, *args, **options):
        commands.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return commands


_deserialize_db_from_string = BaseDatabaseCreation.deserialize_db_from_string


def _deserialize_over_post_migrate_rows(self, data):
    """A serialized test (`serialized_rollback`, the browser tests) restores the migrated rows
    by id. A plain committing test before it flushed the tables and post_migrate made the
    content types and permissions again with other ids, on which the restore fails (unique
    key): whether the suite passed depended on the order of its tests. The copy wins.
    """
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.using(self.connection.alias).all().delete()  # permissions cascade
    ContentType.objects.clear_cache()
    _deserialize_db_from_string(self, data)


BaseDatabaseCreation.deserialize_db_from_string = _deserialize_over_post_migrate_rows
