"""Moderation errors (reporting), each with its SPEC code and status."""

from dmsite.errors import InvalidInput


class CannotReportSelf(InvalidInput):
    default_detail = "You cannot report yourself."
