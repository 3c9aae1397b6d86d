"""What a live socket was authenticated with, whether it still holds, and ending it.

A socket authenticates once, at the handshake, with an API token or a browser
session. Everything that ends credentials (log-out, deactivation, a moderator's
deactivation, a password change, revoking one device) tells the user's sockets at
once (`credential.revoked` to the user's group, after commit) so that they close;
and each frame is served only after `credential_user` found the credential still
valid, so a frame racing the notification is refused as well.
"""

from dataclasses import dataclass

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from accounts.models import User
from dmsite.realtime import publish_to_user

CREDENTIAL_REVOKED = "credential.revoked"


class CredentialEnded(Exception):
    """The token or session a socket authenticated with no longer holds."""


@dataclass(frozen=True)
class Credential:
    """`kind` is "token" (key: the token's id) or "session" (key: the session key)."""

    kind: str
    key: str
    # For a session: the user's session auth hash when it was made (a password
    # change makes it stale, as Django's own session check does).
    auth_hash: str = ""

    def matches(self, event: dict) -> bool:
        """Whether a `credential.revoked` event ends this credential."""
        if event.get("keep") == [self.kind, self.key]:
            return False
        if event.get("everything"):
            return True
        return self.key in event.get(f"{self.kind}s", ())


def token_credential(token) -> Credential:
    return Credential("token", str(token.pk))


def session_credential(session: SessionBase) -> Credential | None:
    if not session.session_key:
        return None
    return Credential("session", session.session_key, session.get(HASH_SESSION_KEY, ""))


def credential_user(credential: Credential, user_id: int) -> User | None:
    """The user, fresh from the database, if `credential` still authenticates them."""
    if credential.kind == "token":
        from accounts.tokens import token_holder

        return token_holder(token_id=credential.key, user_id=user_id)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not _same_hash(credential.auth_hash, user.get_session_auth_hash()):
        return None
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    return user if store().exists(credential.key) else None


def _same_hash(stored: str, current: str) -> bool:
    from django.utils.crypto import constant_time_compare

    return bool(stored) and constant_time_compare(stored, current)


def sockets_close_on_commit(
    user_id: int,
    *,
    tokens: list[str] = (),
    sessions: list[str] = (),
    everything: bool = False,
    keep: Credential | None = None,
) -> None:
    """After commit, close the user's sockets of these credentials (or of all but `keep`)."""
    event = {
        "type": CREDENTIAL_REVOKED,
        "tokens": [str(key) for key in tokens],
        "sessions": list(sessions),
        "everything": everything,
        "keep": [keep.kind, keep.key] if keep else None,
    }
    transaction.on_commit(lambda: publish_to_user(user_id, event))
