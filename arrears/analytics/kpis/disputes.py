"""Dispute resolution time: mean and median of closed disputes, with open count and oldest open age (KPIS.md §11)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from .core import KpiInputError, KpiResult, Reason, Unit, require_choice
from .periods import Period

DAY_COUNTS = ("calendar", "business_days")


@dataclass(frozen=True, slots=True)
class Dispute:
    ref: str
    opened_on: date
    closed_on: date | None = None

    def __post_init__(self) -> None:
        if self.closed_on is not None and self.closed_on < self.opened_on:
            raise KpiInputError(f"dispute {self.ref} closes ({self.closed_on}) before it opens ({self.opened_on})")


@dataclass(frozen=True, slots=True)
class DisputeStats:
    mean: KpiResult
    median: KpiResult
    closed_count: int
    open_count: int
    oldest_open_age: KpiResult  # as_of − opened_on of the oldest dispute still open, calendar days


def business_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Weekdays after ``start`` up to and including ``end`` that are not holidays (0 for a same-day close)."""
    days = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            days += 1
    return days


def _median(values: list[int]) -> Fraction:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[mid])
    return Fraction(ordered[mid - 1] + ordered[mid], 2)


def dispute_resolution_stats(
    disputes: Iterable[Dispute],
    as_of: date,
    *,
    period: Period | None = None,
    day_count: str = "calendar",
    holidays: Collection[date] = (),
) -> DisputeStats:
    """Mean/median ``closed_on − opened_on`` of disputes closed in ``period`` (all closed ≤ as_of if None).

    Open disputes (opened ≤ as_of, not closed by as_of) are excluded from mean/median and reported as
    a count and the age of the oldest. ``day_count="business_days"`` skips weekends and ``holidays``.
    No closed disputes → ``NO_CLOSED_DISPUTES``.
    """
    require_choice("day_count", day_count, DAY_COUNTS)
    disputes = list(disputes)
    closed = [
        d
        for d in disputes
        if d.closed_on is not None and d.closed_on <= as_of and (period is None or d.closed_on in period)
    ]
    still_open = [d for d in disputes if d.opened_on <= as_of and (d.closed_on is None or d.closed_on > as_of)]

    def length(d: Dispute) -> int:
        assert d.closed_on is not None
        if day_count == "calendar":
            return (d.closed_on - d.opened_on).days
        return business_days_between(d.opened_on, d.closed_on, holidays)

    durations = [length(d) for d in closed]
    if durations:
        mean = KpiResult.of("dispute_resolution_mean", Unit.DAYS, Fraction(sum(durations), len(durations)), method=day_count)
        median = KpiResult.of("dispute_resolution_median", Unit.DAYS, _median(durations), method=day_count)
    else:
        mean = KpiResult.undefined("dispute_resolution_mean", Unit.DAYS, Reason.NO_CLOSED_DISPUTES, method=day_count)
        median = KpiResult.undefined("dispute_resolution_median", Unit.DAYS, Reason.NO_CLOSED_DISPUTES, method=day_count)
    if still_open:
        oldest = KpiResult.of("oldest_open_dispute_age", Unit.DAYS, Fraction((as_of - min(d.opened_on for d in still_open)).days))
    else:
        oldest = KpiResult.undefined("oldest_open_dispute_age", Unit.DAYS, Reason.NO_OPEN_DISPUTES)
    return DisputeStats(mean, median, len(closed), len(still_open), oldest)
