"""EU Late Payment Directive 2011/7/EU claim (COMPLIANCE.md §5.1).

Simple interest at reference rate + margin per calendar half-year slice, day count actual/365
[POLICY], plus the fixed EUR 40 compensation once per invoice. Rounding: ROUND_HALF_UP to cents,
once, on the total interest (slices are summed unrounded so splitting never adds a cent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .model import ComplianceInputError, DebtPurpose

CENT = Decimal("0.01")
DEFAULT_MARGIN = Decimal("8")  # percentage points, Art 2(6)
FIXED_COMPENSATION = Decimal("40")  # EUR, Art 6


@dataclass(frozen=True, slots=True)
class InterestSlice:
    half_year: tuple[int, int]  # (year, 1|2)
    days: int
    rate_percent: Decimal  # reference + margin
    interest: Decimal  # unrounded


@dataclass(frozen=True, slots=True)
class LatePaymentClaim:
    late_days: int
    interest: Decimal
    compensation: Decimal
    total: Decimal
    slices: tuple[InterestSlice, ...]


def _half_year(day: dt.date) -> tuple[int, int]:
    return (day.year, 1 if day.month <= 6 else 2)


def late_payment_claim(
    *,
    principal: Decimal,
    due_date: dt.date,
    payment_date: dt.date,
    reference_rates: Mapping[tuple[int, int], Decimal],
    debt_purpose: DebtPurpose = DebtPurpose.COMMERCIAL,
    margin: Decimal = DEFAULT_MARGIN,
    day_count: int = 365,
    compensation: Decimal = FIXED_COMPENSATION,
) -> LatePaymentClaim:
    """Interest runs from the day after `due_date` through `payment_date`; the reference rate in force
    on 1 January applies to the first half-year and the one on 1 July to the second."""
    if debt_purpose != DebtPurpose.COMMERCIAL:
        raise ComplianceInputError("debt_purpose: the Late Payment Directive covers commercial transactions only")
    if not isinstance(principal, Decimal):
        raise ComplianceInputError(f"principal: expected Decimal, got {type(principal).__name__}")
    late_days = max((payment_date - due_date).days, 0)
    days_per_half: dict[tuple[int, int], int] = {}
    for offset in range(1, late_days + 1):
        key = _half_year(due_date + dt.timedelta(days=offset))
        days_per_half[key] = days_per_half.get(key, 0) + 1
    slices = []
    for key, days in days_per_half.items():
        if key not in reference_rates:
            raise ComplianceInputError(f"reference_rates: no reference rate for {key[0]} H{key[1]}")
        rate = reference_rates[key] + margin
        slices.append(InterestSlice(key, days, rate, principal * rate / 100 * days / day_count))
    interest = sum((s.interest for s in slices), Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
    fee = compensation if late_days > 0 else Decimal(0)
    return LatePaymentClaim(late_days, interest, fee, interest + fee, tuple(slices))
