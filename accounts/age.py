"""Age from a date of birth.

A birthday counts from its day: someone born on 2010-05-01 is 16 on 2026-05-01.
Someone born on 29 February has their birthday on 1 March in common years.
"""

import datetime

from django.utils import timezone


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


def age_today(date_of_birth: datetime.date) -> int:
    return age_on(date_of_birth, timezone.localdate())
