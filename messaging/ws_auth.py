"""Who a socket belongs to: a session cookie (browsers) or `?token=` (app clients).

Browsers always send an Origin header, which must be the socket's own origin
(scheme, host and port, checked by the code of Django's CSRF check, so a page
elsewhere cannot ride on the user's cookie) or one of CSRF_TRUSTED_ORIGINS. App
clients may omit Origin, but then only a token, never a cookie, authenticates them.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

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


class _HandshakeRequest(HttpRequest):
    """The socket's handshake as the HttpRequest that Django's CSRF check reads."""

    def __init__(self, scope):
        super().__init__()
        for name, value in scope.get("headers", []):
            key = name.decode("latin-1").upper().replace("-", "_")
            self.META[f"HTTP_{key}"] = value.decode("latin-1")
        server = scope.get("server") or ("", "")
        self.META["SERVER_NAME"], self.META["SERVER_PORT"] = server[0] or "", str(server[1] or "")
        self._secure = scope.get("scheme") == "wss"

    def _get_scheme(self):
        # Behind a trusted proxy (SECURE_PROXY_SSL_HEADER), HttpRequest.scheme reads its
        # X-Forwarded-Proto first; else the socket's own scheme decides.
        return "https" if self._secure else "http"


def same_origin(scope) -> bool:
    """Does the socket's Origin pass the Origin check of Django's CSRF middleware?

    `scheme://host[:port]` of the handshake (Host must be one of ALLOWED_HOSTS), or
    one of CSRF_TRUSTED_ORIGINS: http vs https, another port or another host fail.
    """
    request = _HandshakeRequest(scope)
    if "HTTP_ORIGIN" not in request.META:
        return False
    try:
        # A new instance each time: it caches CSRF_TRUSTED_ORIGINS when first asked.
        return CsrfViewMiddleware(lambda _: None)._origin_verified(request)
    except DisallowedHost:
        return False


class OriginCheckMiddleware:
    """Origin must be the socket's own origin; a socket without Origin must bring a token."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if not _has_origin(scope) and _query_token(scope) is not None:
            return await self.app(scope, receive, send)
        if same_origin(scope):
            return await self.app(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def socket_auth_stack(app):
    return OriginCheckMiddleware(AuthMiddlewareStack(TokenAuthMiddleware(app)))
