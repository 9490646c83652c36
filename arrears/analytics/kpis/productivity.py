"""Collector attainment against target, cash per FTE and payment attribution (KPIS.md §14)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .core import (
    KpiInputError,
    KpiResult,
    Number,
    Reason,
    Unit,
    check_single_currency,
    percent,
    require_non_negative,
    to_decimal,
    to_fraction,
)
from .periods import Period


def collector_attainment(collected: Number, target: Number) -> KpiResult:
    """Cash attributed to the collector / the collector's target × 100; target 0 → ``ZERO_TARGET``."""
    cash = to_fraction(collected, "collected")
    goal = require_non_negative("target", target)
    if goal == 0:
        return KpiResult.undefined("collector_attainment", Unit.PERCENT, Reason.ZERO_TARGET)
    return KpiResult.of("collector_attainment", Unit.PERCENT, percent(cash, goal))


def cash_per_fte(collected: Number, fte: Number) -> KpiResult:
    """Cash collected by the team / average collection FTE in the period (a money amount); FTE 0 → ``ZERO_FTE``."""
    cash = to_fraction(collected, "collected")
    staff = require_non_negative("fte", fte)
    if staff == 0:
        return KpiResult.undefined("cash_per_fte", Unit.MONEY, Reason.ZERO_FTE)
    return KpiResult.of("cash_per_fte", Unit.MONEY, cash / staff)


def fte(contracted_hours: Number, standard_hours: Number) -> Fraction:
    """Full-time equivalent of one person: contracted hours / standard full-time hours (part-timers fractional)."""
    standard = to_fraction(standard_hours, "standard_hours")
    if standard <= 0:
        raise KpiInputError("standard full-time hours must be positive")
    return require_non_negative("contracted_hours", contracted_hours) / standard


def average_fte(samples: Iterable[Iterable[Number]]) -> Fraction:
    """Team FTE averaged over the period: ``samples`` holds, per day (or month), the FTE of each member present."""
    totals = [sum((require_non_negative("fte", f) for f in sample), Fraction(0)) for sample in samples]
    if not totals:
        raise KpiInputError("average FTE over no samples")
    return sum(totals, Fraction(0)) / len(totals)


@dataclass(frozen=True, slots=True)
class AppliedPayment:
    """Cash on an account; ``applied_on`` None = still unapplied (not attributed until applied)."""

    ref: str
    account: str
    amount: Decimal
    applied_on: date | None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Ownership:
    """``collector`` owns ``account`` from ``start`` to ``end`` inclusive (``end`` None = still owns it)."""

    account: str
    collector: str
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Touch:
    """A collector touch on an account (call, email, promise taken)."""

    account: str
    on: date


def attribute_collections(
    payments: Iterable[AppliedPayment],
    ownership: Iterable[Ownership],
    *,
    period: Period,
    touches: Iterable[Touch] | None = None,
    touch_window_days: int = 30,
) -> dict[str, Decimal]:
    """Sum applied cash in ``period`` per collector who owned the account on the application date.

    With ``touches`` given (the stricter, configurable rule) a payment counts only when a touch on
    the account happened within ``touch_window_days`` before (or on) its application date.
    """
    payments = [p for p in payments if p.applied_on is not None and p.applied_on in period]
    check_single_currency(payments, "collector attribution")
    owners = defaultdict(list)
    for o in ownership:
        owners[o.account].append(o)
    touched = defaultdict(list)
    for t in touches or ():
        touched[t.account].append(t.on)
    totals: dict[str, Fraction] = defaultdict(Fraction)
    for p in payments:
        assert p.applied_on is not None
        day = p.applied_on
        if touches is not None and not any(day - timedelta(days=touch_window_days) <= t <= day for t in touched[p.account]):
            continue
        holders = [o for o in owners[p.account] if o.start <= day and (o.end is None or day <= o.end)]
        if len(holders) > 1:
            raise KpiInputError(f"account {p.account} has {len(holders)} owners on {day}")
        if holders:
            totals[holders[0].collector] += to_fraction(p.amount, f"{p.ref}.amount")
    return {collector: to_decimal(total) for collector, total in totals.items()}
