"""Typed readers for environment variables.

A wrong value stops start-up with ImproperlyConfigured naming the variable, so
a typo in production fails loudly instead of silently using a default.
"""

import json
import os
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Rate:
    """COUNT events per SECONDS, as written `COUNT/SECONDS`."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}"


def _fail(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}={value!r} is invalid: {expected}.")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise _fail(name, value, "expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise _fail(name, value, "expected a whole number") from None
    if number < minimum:
        raise _fail(name, value, f"expected a whole number of at least {minimum}")
    return number


def env_rate(name: str, default: str) -> Rate:
    value = os.environ.get(name) or default
    count, sep, seconds = value.strip().partition("/")
    try:
        rate = Rate(int(count), int(seconds))
    except ValueError:
        raise _fail(name, value, "expected COUNT/SECONDS, e.g. 30/60") from None
    if not sep or rate.count < 1 or rate.seconds < 1:
        raise _fail(name, value, "expected COUNT/SECONDS with both numbers at least 1")
    return rate


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_region_ages(name: str) -> dict[str, int]:
    """`GB=18,FR=15` (or the JSON object `{"GB": 18}`) → {"GB": 18, "FR": 15}."""
    value = os.environ.get(name, "").strip()
    if not value:
        return {}
    if value.startswith("{"):
        try:
            pairs = json.loads(value).items()
        except (ValueError, AttributeError):
            raise _fail(name, value, 'expected a JSON object like {"GB": 18}') from None
    else:
        pairs = (item.partition("=")[::2] for item in value.split(",") if item.strip())
    ages: dict[str, int] = {}
    for region, age in pairs:
        region = str(region).strip()
        try:
            years = int(str(age).strip())
        except ValueError:
            raise _fail(name, value, "expected REGION=AGE pairs like GB=18,FR=15") from None
        # isascii: "ÉÉ" is alphabetic and "ß".upper() is "SS", but neither is an ISO region.
        if len(region) != 2 or not (region.isascii() and region.isalpha()) or not 0 < years < 100:
            raise _fail(name, value, "expected two-letter ISO regions and ages from 1 to 99")
        ages[region.upper()] = years
    return ages


def env_word_list(name: str, default_path: str) -> tuple[str, ...]:
    """The words of the UTF-8 file at the path in `name` (or `default_path`).

    One word or phrase a line; blank lines and lines starting with `#` are skipped.
    A missing, unreadable or non-UTF-8 file stops start-up naming the variable.
    """
    path = os.environ.get(name) or default_path
    try:
        with open(path, encoding="utf-8", errors="strict") as file:
            text = file.read()
    except UnicodeDecodeError:
        raise _fail(name, path, "the file is not UTF-8 text") from None
    except OSError as error:
        raise _fail(name, path, f"the file cannot be read ({error.strerror})") from None
    words = (line.strip() for line in text.splitlines())
    return tuple(dict.fromkeys(word for word in words if word and not word.startswith("#")))
