"""Strict serializer fields: the API takes JSON types as they are, never coerced.

DRF's own fields accept `1` for a string and `"yes"` for a boolean; dmsite
answers such input with 400 `invalid` instead, and refuses text that cannot be
stored (NUL, lone surrogates, control characters).
"""

import datetime
import re

from django.core.validators import RegexValidator
from rest_framework import serializers

# C0 controls except tab and newline, DEL, and the C1 controls (U+0080 to U+009F).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The same rule for the OpenAPI schema: text with no control character but tab and newline.
TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
TEXT_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"  # one line: no tab or newline either
# One line with something in it besides white space (what `.strip()` leaves non-empty).
WORDS_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


MAX_DB_ID = 2**63 - 1  # ids past this would overflow the database's bigint


def db_id_from_text(text: str) -> int | None:
    """A row id written in a URL or cursor, or None when it cannot be one."""
    if text.isascii() and text.isdigit() and int(text) <= MAX_DB_ID:
        return int(text)
    return None


def text_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode."
    if _CONTROL_CHARACTERS.search(value) or (not multiline and ("\n" in value or "\t" in value)):
        return "Text must not contain control characters."
    return None


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string.", "bad_text": "{problem}"}

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        problem = text_problem(data, multiline=self.multiline)
        if problem:
            self.fail("bad_text", problem=problem)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictDateField(serializers.DateField):
    default_error_messages = {"invalid": "Must be a real date written YYYY-MM-DD."}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            self.fail("invalid")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail("invalid")


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(StrictCharField):
    """A string that must match `regex` whole; `message` says what is expected."""

    def __init__(self, regex: str, *, message: str, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(regex, message, code="invalid"))


def request_data(serializer_class, request) -> dict:
    """Validate a view's JSON body with a serializer (400 `invalid` when wrong)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def query_params(serializer_class, request) -> dict:
    """Validate a view's query string with a serializer (400 `invalid` when wrong)."""
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
