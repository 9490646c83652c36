"""Periods, day counts and net credit sales (KPIS.md §0)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from .core import KpiInputError, Number, check_single_currency, require_choice, to_fraction

DAY_COUNTS = ("actual", "fixed")


@dataclass(frozen=True, slots=True)
class Period:
    """A closed date range ``[start, end]``: both dates count; balances are taken at end of day ``end``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise KpiInputError(f"period ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        """Actual calendar days, both ends included (Q2 2025 = 91, Jan 2025 = 31)."""
        return (self.end - self.start).days + 1

    def day_count(self, convention: str = "actual") -> int:
        """``actual`` calendar days, or the labelled ``fixed`` option: 30 per month, 90 per quarter, 365 per year."""
        require_choice("convention", convention, DAY_COUNTS)
        if convention == "actual":
            return self.days
        months = self.months
        if months == 12:
            return 365
        if months in (1, 3):
            return 30 * months
        raise KpiInputError(f"the fixed day count needs a calendar month, quarter or year, not {self}")

    @property
    def months(self) -> int:
        """Number of whole calendar months (the N of CEI); the period must start on a 1st and end on a month end."""
        last = calendar.monthrange(self.end.year, self.end.month)[1]
        if self.start.day != 1 or self.end.day != last:
            raise KpiInputError(f"{self} is not made of whole calendar months")
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise KpiInputError(f"quarter must be 1-4, got {quarter}")
        first = 3 * quarter - 2
        return cls(cls.month(year, first).start, cls.month(year, first + 2).end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def days_in_period(start: date, end: date, *, convention: str = "actual") -> int:
    return Period(start, end).day_count(convention)


def months_ending(as_of: date, count: int) -> list[Period]:
    """The ``count`` calendar months ending with the month of ``as_of``, most recent first (for countback)."""
    year, month = as_of.year, as_of.month
    out = []
    for _ in range(count):
        out.append(Period.month(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


class SalesKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"  # credit memos and returns reduce credit sales


@dataclass(frozen=True, slots=True)
class SalesDocument:
    """An invoice or credit memo/return, at its amount on the same tax basis as AR."""

    ref: str
    kind: SalesKind
    issue_date: date
    amount: Decimal
    on_credit: bool = True
    currency: str | None = None


def net_credit_sales(documents: Iterable[SalesDocument], period: Period) -> Fraction:
    """Invoices issued on credit in the period − credit memos/returns issued in the period; cash sales excluded."""
    docs = [d for d in documents if d.issue_date in period and d.on_credit]
    check_single_currency(docs, "net credit sales")
    total = Fraction(0)
    for d in docs:
        amount = to_fraction(d.amount, f"{d.ref}.amount")
        if amount < 0:
            raise KpiInputError(f"{d.ref}: amount must be given positive; the kind says whether it adds or subtracts")
        total += amount if SalesKind(d.kind) is SalesKind.INVOICE else -amount
    return total


def average_balance(balances: Iterable[Number]) -> Fraction:
    """Mean of balances (e.g. beginning and ending AR, or month-end AR) for the average-AR variants."""
    values = [to_fraction(b, "balance") for b in balances]
    if not values:
        raise KpiInputError("average of no balances")
    return sum(values, Fraction(0)) / len(values)


def sales_by_month(as_of: date, amounts: Mapping[tuple[int, int], Number], *, max_months: int = 12) -> list[tuple[Fraction, int]]:
    """``[(sales, days_in_month), …]`` most recent first, for the ``max_months`` months ending at ``as_of``.

    ``amounts`` maps ``(year, month)`` to that month's net credit sales; a missing month is 0.
    """
    return [
        (to_fraction(amounts.get((p.start.year, p.start.month), 0), f"sales {p.start:%Y-%m}"), p.days)
        for p in months_ending(as_of, max_months)
    ]
