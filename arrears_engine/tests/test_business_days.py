from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from arrears_engine import BusinessCalendar, BusinessDayRule, holiday_calendar
from arrears_engine.business_days import CalendarError


def d(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def test_german_calendar_knows_christmas_and_berlin_knows_womens_day():
    germany = holiday_calendar("DE", None, [2026])
    berlin = holiday_calendar("DE", "BE", [2026])

    assert d("2026-12-25") in germany.holidays
    assert d("2026-03-08") not in germany.holidays
    assert d("2026-03-08") in berlin.holidays


@pytest.mark.parametrize(
    ("day", "rule", "moved"),
    [
        ("2026-12-25", BusinessDayRule.NEXT, "2026-12-28"),  # Christmas, Boxing Day, Sunday
        ("2026-12-26", BusinessDayRule.PREVIOUS, "2026-12-24"),
        ("2026-12-25", BusinessDayRule.NONE, "2026-12-25"),
        ("2026-12-23", BusinessDayRule.NEXT, "2026-12-23"),
    ],
)
def test_roll_moves_only_non_business_days(day, rule, moved):
    germany = holiday_calendar("DE", None, [2026])

    assert germany.roll(np.array([d(day)]), rule)[0] == d(moved)


def test_a_weekmask_sets_the_weekend():
    friday_saturday_weekend = BusinessCalendar(holidays=np.array([], "datetime64[D]"), weekmask="1111001")

    assert friday_saturday_weekend.roll(np.array([d("2026-03-06")]), BusinessDayRule.NEXT)[0] == d("2026-03-08")


@pytest.mark.parametrize(
    ("holidays", "weekmask"),
    [
        (np.array(["2026-01-02", "2026-01-01"], "datetime64[D]"), "1111100"),  # unsorted
        (np.array([], "datetime64[D]"), "0000000"),
        (np.array(["2026-01-01"], "datetime64[s]"), "1111100"),
    ],
)
def test_malformed_calendars_are_refused(holidays, weekmask):
    with pytest.raises(CalendarError):
        BusinessCalendar(holidays=holidays, weekmask=weekmask)


def test_unknown_country_is_refused():
    with pytest.raises(CalendarError, match="ZZ"):
        holiday_calendar("ZZ", None, [2026])


def test_holiday_calendar_needs_years():
    with pytest.raises(CalendarError):
        holiday_calendar("DE", None, [])


def test_as_of_dates_are_dates():
    from arrears_engine.ageing import ageing_bucket, days_past_due

    dpd = days_past_due(np.array(["2026-03-01", "2026-01-01", "2026-04-01"], "datetime64[D]"), date(2026, 3, 31))
    assert dpd.tolist() == [30, 89, -1]
    assert ageing_bucket(dpd).tolist() == [1, 3, 0]
