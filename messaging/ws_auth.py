"""Who a socket belongs to: a session cookie (browsers) or `?token=` (app clients).

Browsers always send an Origin header, which must name one of ALLOWED_HOSTS (a
page elsewhere cannot ride on the user's cookie). App clients may omit Origin,
but then only a token, never a cookie, authenticates them.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser

from accounts.sessions import token_credential
from accounts.tokens import token_authenticate


def _query_token(scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else None


def _has_origin(scope) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", []))


@database_sync_to_async
def _authenticate_token(key: str) -> dict:
    """The scope's `user` and `credential` for a `?token=` key."""
    found = token_authenticate(key)
    if found is None:
        return {"user": AnonymousUser(), "credential": None}
    user, token = found
    return {"user": user, "credential": token_credential(token)}


class TokenAuthMiddleware:
    """`?token=<key>` authenticates the socket; it wins over a session cookie."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = _query_token(scope)
        if key is not None:
            scope = {**scope, **await _authenticate_token(key)}
        return await self.app(scope, receive, send)


class OriginCheckMiddleware:
    """Origin must be an allowed host; a socket without Origin must bring a token."""

    def __init__(self, app):
        self.app = app
        self.origin_checked = AllowedHostsOriginValidator(app)

    async def __call__(self, scope, receive, send):
        if not _has_origin(scope) and _query_token(scope) is not None:
            return await self.app(scope, receive, send)
        return await self.origin_checked(scope, receive, send)


def socket_auth_stack(app):
    return OriginCheckMiddleware(AuthMiddlewareStack(TokenAuthMiddleware(app)))
