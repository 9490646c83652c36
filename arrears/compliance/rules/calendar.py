"""Date arithmetic the rules share: US federal business days (§2.9), public holidays, month steps (§6)."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import functools

import holidays

from .model import ComplianceInputError


@functools.lru_cache(maxsize=256)
def _holiday_dates(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    try:
        table = holidays.country_holidays(country.upper(), subdiv=subdivision or None, years=year)
    except NotImplementedError as exc:
        raise ComplianceInputError(f"holiday_country: no holiday calendar for {country!r}") from exc
    return frozenset(table.keys())


def is_public_holiday(day: dt.date, country: str, subdivision: str = "") -> bool:
    if not country:
        return False
    return day in _holiday_dates(country, subdivision, day.year)


def us_federal_holiday(day: dt.date) -> bool:
    """5 U.S.C. 6103(a) holidays, with the observed weekday of weekend fixed-date holidays skipped too
    [POLICY §2.9]. The `holidays` package's US calendar is exactly that list (+ observed days)."""
    return is_public_holiday(day, "US")


def add_us_business_days(start: dt.date, days: int) -> dt.date:
    """The date `days` business days after `start` (Saturdays, Sundays and federal holidays skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and not us_federal_holiday(current):
            remaining -= 1
    return current


def validation_period_end(provided_on: dt.date, *, receipt_business_days: int = 5, period_days: int = 30) -> dt.date:
    """1006.34(b)(5): assumed receipt = 5 business days after providing; the period ends 30 days later.
    Provided Mon 2025-06-02 -> 2025-07-09; provided Mon 2025-06-30 -> 2025-08-07 (4 July skipped)."""
    return add_us_business_days(provided_on, receipt_business_days) + dt.timedelta(days=period_days)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-number `months` later, or the last day of that month if it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))
