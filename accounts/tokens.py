"""Per-device API tokens (django-rest-knox): made at log-in, stored hashed, expiring.

`Authorization: Token <key>` keeps working for clients; the key is shown once, at
log-in or sign-up, and only its SHA-512 digest is kept. Tokens of DRF's authtoken
made before this were migrated with their keys unchanged (`accounts/migrations`).
"""

import functools

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework import exceptions

from accounts.authentication import DeviceTokenAuthentication
from accounts.models import DeviceToken, User
from dmsite import rows


def _unexpired(prefix: str = "") -> Q:
    """knox's rule: a token without an expiry never expires (dmsite always sets one)."""
    return Q(**{f"{prefix}expiry__isnull": True}) | Q(**{f"{prefix}expiry__gt": timezone.now()})


def token_create(*, user: User, name: str = "", **expiry) -> tuple[DeviceToken, str]:
    """A new token for one device; returns it and its key (never stored, shown once).

    It expires API_TOKEN_TTL_DAYS after its last use (`expiry=` overrides, for tests).
    """
    return DeviceToken.objects.create(user=user, name=name[:200], **expiry)


def tokens_of(*, user: User) -> QuerySet[DeviceToken]:
    """The user's tokens that still work, newest first."""
    return DeviceToken.objects.filter(_unexpired(), user=user).order_by("-created", "-id")


def token_holder(*, token_id: str, user_id: int) -> User | None:
    """The active user whose token `token_id` has not expired or been revoked (one query)."""
    if not token_id.isdigit():
        return None
    return User.objects.filter(
        _unexpired("auth_token_set__"), pk=user_id, is_active=True, auth_token_set__pk=int(token_id)
    ).first()


@functools.cache
def _tokens_with_key_sql(vendor: str) -> str:
    tokens, users = DeviceToken._meta.db_table, User._meta.db_table
    columns = f"{rows.select_columns(DeviceToken, 't')}, {rows.select_columns(User, 'u')}"
    # Only column and table names of our models and a placeholder go into the text.
    return (
        f"SELECT {columns} FROM {tokens} t JOIN {users} u ON u.id = t.user_id"  # noqa: S608
        " WHERE t.token_key = %s"
    )


def tokens_with_key(token_key: str) -> list[DeviceToken]:
    """The tokens whose key starts with `token_key` (knox's lookup), each with its user.

    Plain SQL, one statement: it runs on every API request, where the ORM's compile
    work cost more than the statement.
    """
    with connection.cursor() as cursor:
        cursor.execute(_tokens_with_key_sql(connection.vendor), [token_key])
        found = cursor.fetchall()
    count = rows.column_count(DeviceToken)
    tokens = []
    for row in found:
        token = rows.instance(DeviceToken, row[:count])
        token.user = rows.instance(User, row[count:])
        tokens.append(token)
    return tokens


def token_authenticate(key: str) -> tuple[User, DeviceToken] | None:
    """The active user and token for a key (the socket's `?token=`), or None."""
    try:
        return DeviceTokenAuthentication().authenticate_credentials(key.encode("utf-8"))
    except (exceptions.AuthenticationFailed, UnicodeEncodeError):
        return None


def tokens_sweep(*, user: User) -> None:
    """Forget the user's expired tokens (at log-in, instead of on every request)."""
    DeviceToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
