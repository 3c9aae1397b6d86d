"""accounts.age and the sign-up age limit (ACCOUNT_MIN_AGE, answered with 400 age_too_young)."""

import datetime
import json

import pytest

from accounts.age import age_on, age_today
from accounts.models import DeviceToken, User
from tests.conftest import years_ago

D = datetime.date


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (D(2010, 5, 1), D(2010, 5, 1), 0),
        (D(2010, 5, 1), D(2011, 4, 30), 0),
        (D(2010, 5, 1), D(2011, 5, 1), 1),
        (D(2010, 5, 1), D(2026, 4, 30), 15),
        (D(2010, 5, 1), D(2026, 5, 1), 16),
        (D(2010, 5, 1), D(2026, 5, 2), 16),
        (D(2000, 12, 31), D(2001, 1, 1), 0),
        (D(2000, 12, 31), D(2013, 12, 30), 12),
        (D(2000, 12, 31), D(2013, 12, 31), 13),
        (D(2000, 1, 1), D(2012, 12, 31), 12),
        (D(2000, 1, 1), D(2013, 1, 1), 13),
        # 29 February: in common years the birthday is 1 March.
        (D(2008, 2, 29), D(2021, 2, 28), 12),
        (D(2008, 2, 29), D(2021, 3, 1), 13),
        (D(2008, 2, 29), D(2023, 2, 28), 14),
        (D(2008, 2, 29), D(2023, 3, 1), 15),
        # In leap years it is the day itself.
        (D(2008, 2, 29), D(2024, 2, 28), 15),
        (D(2008, 2, 29), D(2024, 2, 29), 16),
        (D(2008, 2, 29), D(2024, 3, 1), 16),
        # Born on 28 February or 1 March: the leap day changes nothing for them.
        (D(2008, 2, 28), D(2021, 2, 28), 13),
        (D(2008, 3, 1), D(2024, 2, 29), 15),
        (D(2008, 3, 1), D(2024, 3, 1), 16),
        (D(1900, 1, 1), D(2026, 6, 1), 126),
    ],
)
def test_age_on(born, day, age):
    assert age_on(born, day) == age


@pytest.mark.parametrize(
    ("today", "born", "age"),
    [
        (datetime.datetime(2026, 4, 30, 23, 59, 59, tzinfo=datetime.UTC), D(2010, 5, 1), 15),
        (datetime.datetime(2026, 5, 1, 0, 0, 0, tzinfo=datetime.UTC), D(2010, 5, 1), 16),
    ],
)
def test_age_today_turns_at_midnight(time_machine, today, born, age):
    time_machine.move_to(today, tick=False)
    assert age_today(born) == age


# Sign-up.


def register(api, date_of_birth: datetime.date | str, username: str = "teen"):
    body = {
        "username": username,
        "password": "a-long-secret-9",
        "date_of_birth": str(date_of_birth),
    }
    return api.post("/api/v1/auth/register", json.dumps(body), content_type="application/json")


def assert_too_young(response):
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "age_too_young"
    assert User.objects.count() == 0
    assert DeviceToken.objects.count() == 0


# (years, days) for years_ago, computed in the test so that a run across midnight stays right.
@pytest.mark.django_db
@pytest.mark.parametrize(("years", "days"), [(13, 1), (12, 0), (5, 0), (0, 0)])
def test_signup_below_13_is_refused(api, years, days):
    assert_too_young(register(api, years_ago(years, days=days)))


@pytest.mark.django_db
@pytest.mark.parametrize(("years", "days"), [(13, 0), (13, -1), (14, 0), (99, 0)])
def test_signup_from_13_is_accepted(api, years, days):
    born = years_ago(years, days=days)
    response = register(api, born)
    assert response.status_code == 201, response.content
    assert User.objects.get().date_of_birth == born


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("years", "days", "accepted"),
    [(13, 0, False), (15, 0, False), (16, 1, False), (16, 0, True), (30, 0, True)],
)
def test_the_minimum_age_comes_from_settings(api, settings, years, days, accepted):
    settings.ACCOUNT_MIN_AGE = 16
    response = register(api, years_ago(years, days=days))
    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert_too_young(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "accepted"),
    [
        (datetime.datetime(2025, 2, 28, 23, 59, tzinfo=datetime.UTC), False),
        (datetime.datetime(2025, 3, 1, 0, 0, tzinfo=datetime.UTC), True),
    ],
)
def test_born_on_29_february_turns_13_on_1_march_in_a_common_year(
    api, time_machine, today, accepted
):
    time_machine.move_to(today, tick=False)
    response = register(api, "2012-02-29")
    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert_too_young(response)
