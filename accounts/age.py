"""Age from a date of birth.

A birthday counts from its day: someone born on 2010-05-01 is 16 on 2026-05-01.
Someone born on 29 February has their birthday on 1 March in common years.
"""

import datetime

from django.utils import timezone


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


def local_date(moment: datetime.datetime | None = None) -> datetime.date:
    """The day of `moment` (now by default) in the site's TIME_ZONE.

    Django's `timezone.localdate()` first asks for a time zone activated in this
    context (an asgiref Local: 5 % of a socket message's CPU on every send's age
    checks); dmsite activates none, so it goes to the site's directly.
    """
    return timezone.localdate(moment, timezone.get_default_timezone())


def age_today(date_of_birth: datetime.date) -> int:
    return age_on(date_of_birth, local_date())
