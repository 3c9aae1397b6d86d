"""Template filters of the media in chat bubbles."""

from django import template

register = template.Library()


@register.filter
def duration(milliseconds: int | None) -> str:
    """A voice note's or video's length as m:ss."""
    seconds = round((milliseconds or 0) / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"
