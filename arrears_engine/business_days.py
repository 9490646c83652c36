"""Business-day calendars and date arithmetic on ``datetime64[D]``.

A business unit's calendar is its weekend (a weekmask, Monday first, "1" = business day) plus a
sorted array of public holidays, built from the ``holidays`` package by :func:`holiday_calendar`.
Arithmetic uses ``np.busday_offset`` / ``np.is_busday`` with those two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import holidays as holidays_lib
import numpy as np

from arrears_engine.codes import BusinessDayRule

# A plan only ever asks "is the (moved) date of this step on or before as_of?". The engine answers
# it from a lookup table covering as_of +- WINDOW days; dates outside are decided by their side. That
# is exact as long as no run of non-business days is WINDOW days long, which the calendar checks.
WINDOW = 370


class CalendarError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """``holidays``: sorted, unique datetime64[D]; ``weekmask``: 7 characters of 0/1, Monday first."""

    holidays: np.ndarray
    weekmask: str = "1111100"
    name: str = ""

    def __post_init__(self) -> None:
        hol = self.holidays
        if not isinstance(hol, np.ndarray) or hol.ndim != 1 or hol.dtype != np.dtype("datetime64[D]"):
            raise CalendarError(f"calendar {self.name!r}: holidays must be a 1-D datetime64[D] array")
        if np.isnat(hol).any():
            raise CalendarError(f"calendar {self.name!r}: holidays contain NaT")
        if hol.size > 1 and not (np.diff(hol.view(np.int64)) > 0).all():
            raise CalendarError(f"calendar {self.name!r}: holidays must be sorted and unique")
        if len(self.weekmask) != 7 or set(self.weekmask) - {"0", "1"} or "1" not in self.weekmask:
            raise CalendarError(
                f"calendar {self.name!r}: weekmask must be 7 characters of 0/1 with at least one 1, "
                f"got {self.weekmask!r}"
            )
        view = hol.view()
        view.flags.writeable = False
        object.__setattr__(self, "holidays", view)
        gaps = np.diff(np.flatnonzero(np.is_busday(_span(hol), weekmask=self.weekmask, holidays=hol)))
        if gaps.size and gaps.max() >= WINDOW:
            raise CalendarError(f"calendar {self.name!r}: {gaps.max()} days in a row without a business day")

    def is_business_day(self, dates: np.ndarray) -> np.ndarray:
        return np.is_busday(dates, weekmask=self.weekmask, holidays=self.holidays)

    def roll(self, dates: np.ndarray, rule: BusinessDayRule) -> np.ndarray:
        """Move each date that is not a business day according to ``rule`` (NaT stays NaT)."""
        dates = np.asarray(dates, dtype="datetime64[D]")
        if rule == BusinessDayRule.NONE:
            return dates.copy()
        out = dates.copy()
        ok = ~np.isnat(dates)
        out[ok] = np.busday_offset(
            dates[ok],
            0,
            roll="forward" if rule == BusinessDayRule.NEXT else "backward",
            weekmask=self.weekmask,
            holidays=self.holidays,
        )
        return out

    def add_business_days(self, dates: np.ndarray, days: int | np.ndarray) -> np.ndarray:
        return np.busday_offset(dates, days, roll="forward", weekmask=self.weekmask, holidays=self.holidays)


def _span(hol: np.ndarray) -> np.ndarray:
    if hol.size == 0:
        return np.arange(np.datetime64("2000-01-01"), np.datetime64("2000-01-15"), dtype="datetime64[D]")
    week = np.timedelta64(7, "D")
    return np.arange(hol[0] - week, hol[-1] + week + np.timedelta64(1, "D"), dtype="datetime64[D]")


def holiday_calendar(
    country: str,
    subdiv: str | None = None,
    years: Iterable[int] = (),
    *,
    weekmask: str = "1111100",
) -> BusinessCalendar:
    """Public holidays of ``country`` (ISO 3166-1 alpha-2), optionally a subdivision, for ``years``."""
    years = sorted(set(years))
    if not years:
        raise CalendarError("holiday_calendar needs at least one year")
    try:
        table = holidays_lib.country_holidays(country, subdiv=subdiv or None, years=years)
    except NotImplementedError as exc:
        raise CalendarError(f"no public holidays known for country {country!r}") from exc
    days = np.unique(np.array(sorted(table.keys()), dtype="datetime64[D]"))
    name = f"{country}-{subdiv}" if subdiv else country
    return BusinessCalendar(holidays=days, weekmask=weekmask, name=name)


WEEKENDS_ONLY = BusinessCalendar(holidays=np.array([], dtype="datetime64[D]"), name="weekends only")


def due_tables(calendars: tuple[BusinessCalendar, ...], as_of: date) -> tuple[np.ndarray, int]:
    """Lookup tables answering "is the date, moved by the rule, on or before ``as_of``?".

    Returns ``(table, lo)`` with ``table[rule, unit, d - lo]`` for ``d`` in ``[lo, lo + 2*WINDOW]``;
    dates below ``lo`` are due and dates above the window are not, under every rule.
    """
    t = np.datetime64(as_of, "D")
    window = np.timedelta64(WINDOW, "D")
    lo = t - window
    days = np.arange(lo, t + window + np.timedelta64(1, "D"), dtype="datetime64[D]")
    table = np.empty((len(BusinessDayRule), max(len(calendars), 1), days.size), dtype=bool)
    for u, cal in enumerate(calendars):
        for rule in BusinessDayRule:
            table[rule, u] = cal.roll(days, rule) <= t
    return table, int(lo.astype(np.int64))
