"""Times in the moderator's locale: `<time datetime=ISO>` with a UTC text, which
static/js/local-times.js rewrites with `Intl.DateTimeFormat` in the browser."""

from datetime import UTC, datetime

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

register = template.Library()


def utc_text(value: datetime) -> str:
    """`1 Dec 2026, 14:05 UTC`: what a page without JavaScript shows."""
    value = value.astimezone(UTC)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


@register.filter
def local_time(value: datetime | str | None):
    """A datetime (or the ISO text of a snapshot) as a `<time>` the browser localises."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return "unknown"
    return format_html(
        '<time datetime="{}" data-local-time>{}</time>',
        value.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        utc_text(value),
    )
