"""Template tags of the chat pages: the unread badge, the socket's starting point, times."""

import datetime

from django import template
from django.utils import timezone

from messaging import selectors

register = template.Library()


def _user(context):
    """The logged-in user of the page, or None (also for pages rendered without a request)."""
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_authenticated else None


@register.simple_tag(takes_context=True)
def unread_total(context) -> int:
    """My unread messages in the inbox (muted and requests not counted), for the nav badge."""
    user = _user(context)
    return selectors.unread_total(user=user) if user else 0


@register.simple_tag(takes_context=True)
def last_message_id(context) -> int:
    """Where the page's socket starts its first `sync`."""
    user = _user(context)
    return selectors.last_message_id(user=user) if user else 0


@register.filter
def badge_count(value: int) -> str:
    return "99+" if value > 99 else str(value)


@register.filter
def avatar_color(username: str) -> int:
    """One of the ten avatar colours (.avatar--c0 … c9); socket.js computes the same."""
    return sum(ord(character) for character in username) % 10


@register.filter
def chat_time(value: datetime.datetime | None) -> str:
    """Short, TikTok-style: "now", "5m", "3h", then the weekday, then the date.

    static/js/socket.js (`chatTime`) writes the same, in the browser's time zone.
    """
    if value is None:
        return ""
    now = timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    local = timezone.localtime(value)
    if seconds < 6 * 86400:
        return local.strftime("%a")
    if local.year == timezone.localtime(now).year:
        return f"{local.month}/{local.day}"
    return f"{local.month}/{local.day}/{local.year % 100:02d}"
