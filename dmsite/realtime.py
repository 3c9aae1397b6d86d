"""The channel-layer names every app agrees on, and best-effort publishing to them.

Below every app, so that accounts (log-out, deactivation) can reach a user's sockets
without importing messaging.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The one group every socket of this user joins."""
    return f"user.{user_id}"


def publish_to_user(user_id: int, event: dict) -> bool:
    """One event to every socket of a user; False (logged) when the layer is unreachable.

    Best effort by design: the database is the truth, and what was committed stays
    committed however the notification fares.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(user_group(user_id), event)
    except Exception:
        logger.exception("Could not publish %s to user %s", event.get("type"), user_id)
        return False
    return True
