"""The DRF authentication of API tokens (DRF's settings import it, so it imports no models)."""

import binascii
from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

MAX_KEY_LENGTH = 74  # knox's 64 hex characters and its longest prefix


def _plausible(key: str) -> bool:
    # Keys are hex; anything else is no key (and a NUL never reaches PostgreSQL).
    return key.isascii() and key.isalnum() and 0 < len(key) <= MAX_KEY_LENGTH


class DeviceTokenAuthentication(TokenAuthentication):
    """knox's authentication, with one plain-SQL statement per request.

    knox also sweeps all the user's other expired tokens on every request (a second
    query); here each token is checked alone, and the sweep happens at log-in. The
    rule is knox's: the tokens sharing the key's prefix, an expired one deleted, the
    one whose digest matches renewed (at most once a minute) if its user is active.
    """

    def authenticate_credentials(self, token):
        from accounts.tokens import tokens_with_key

        try:
            key = token.decode("ascii")
        except UnicodeDecodeError:
            key = ""
        if not _plausible(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        for auth_token in tokens_with_key(key[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(key)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed("Invalid token.") from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed("Invalid token.")

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme: `Authorization: Token <key>`."""

    target_class = DeviceTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106
        )
