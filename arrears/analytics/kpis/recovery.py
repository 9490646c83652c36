"""Recovery rate of placed / charged-off debt and cure rate of delinquent accounts (KPIS.md §12)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from .aging import CURRENT
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
from .roll_rates import PAID

CURED_STATES = (CURRENT, PAID)


@dataclass(frozen=True, slots=True)
class RecoveryRate:
    gross: KpiResult
    net: KpiResult


def recovery_rate(collected: Number, placed: Number, fees: Number = 0) -> RecoveryRate:
    """Gross = collected / placed × 100; net = (collected − fees/commissions) / placed × 100."""
    cash = require_non_negative("collected", collected)
    cost = require_non_negative("fees", fees)
    base = to_fraction(placed, "placed")
    if base <= 0:
        return RecoveryRate(
            KpiResult.undefined("recovery_rate_gross", Unit.PERCENT, Reason.ZERO_PLACED),
            KpiResult.undefined("recovery_rate_net", Unit.PERCENT, Reason.ZERO_PLACED),
        )
    return RecoveryRate(
        KpiResult.of("recovery_rate_gross", Unit.PERCENT, percent(cash, base)),
        KpiResult.of("recovery_rate_net", Unit.PERCENT, percent(cash - cost, base)),
    )


@dataclass(frozen=True, slots=True)
class Recovery:
    on: date
    amount: Decimal
    fee: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class PlacedAccount:
    """An account placed with an agency (or charged off) on ``placed_on`` for ``balance``."""

    ref: str
    placed_on: date
    balance: Decimal
    recoveries: tuple[Recovery, ...] = ()
    recalled: bool = False  # recalled/withdrawn: out of the denominator, reported separately
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CohortRecovery:
    rate: RecoveryRate
    accounts: int
    placed: Decimal
    collected: Decimal
    fees: Decimal
    recalled_accounts: int
    recalled_balance: Decimal


def add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cohort_recovery_rate(
    accounts: Iterable[PlacedAccount], *, until: date | None = None, months_after: int | None = None
) -> CohortRecovery:
    """Recovery rate of a placement cohort, measured cumulatively up to ``until`` or ``months_after`` placement.

    Recalled accounts are removed from the denominator (and their cash from the numerator) and
    reported separately.
    """
    if (until is None) == (months_after is None):
        raise KpiInputError("give exactly one of until= or months_after=")
    accounts = list(accounts)
    check_single_currency(accounts, "recovery rate")
    placed = collected = fees = recalled_balance = Fraction(0)
    active = recalled = 0
    for acc in accounts:
        balance = require_non_negative(f"{acc.ref}.balance", acc.balance)
        if acc.recalled:
            recalled += 1
            recalled_balance += balance
            continue
        active += 1
        horizon = until if until is not None else add_months(acc.placed_on, months_after or 0)
        placed += balance
        for r in acc.recoveries:
            if acc.placed_on <= r.on <= horizon:
                collected += require_non_negative(f"{acc.ref} recovery", r.amount)
                fees += require_non_negative(f"{acc.ref} fee", r.fee)
    return CohortRecovery(
        rate=recovery_rate(collected, placed, fees),
        accounts=active,
        placed=to_decimal(placed),
        collected=to_decimal(collected),
        fees=to_decimal(fees),
        recalled_accounts=recalled,
        recalled_balance=to_decimal(recalled_balance),
    )


@dataclass(frozen=True, slots=True)
class DelinquentAccount:
    """An account past due at the start of the observation window, in ``bucket`` with ``balance``."""

    ref: str
    bucket: str
    balance: Decimal
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CureRate:
    count_rate: KpiResult
    balance_rate: KpiResult
    cured: int
    delinquent: int
    start_bucket: str | None


def cure_rate(
    start_set: Iterable[DelinquentAccount], end_state: Mapping[str, str], *, start_bucket: str | None = None
) -> CureRate:
    """Share of accounts (and of start balance) delinquent at window start that end it with nothing past due.

    ``end_state`` maps each account to its state at window end: ``current`` or ``paid`` count as
    cured; any past-due bucket or ``written_off`` does not. ``start_bucket`` restricts the start set
    (e.g. ``"1-30"`` for a "1–30 cure rate").
    """
    accounts = [a for a in start_set if start_bucket is None or a.bucket == start_bucket]
    check_single_currency(accounts, "cure rate")
    cured = 0
    cured_balance = total_balance = Fraction(0)
    for acc in accounts:
        if acc.bucket == CURRENT:
            raise KpiInputError(f"account {acc.ref} is current at window start: it is not delinquent")
        if acc.ref not in end_state:
            raise KpiInputError(f"account {acc.ref} has no state at the end of the window")
        balance = require_non_negative(f"{acc.ref}.balance", acc.balance)
        total_balance += balance
        if end_state[acc.ref] in CURED_STATES:
            cured += 1
            cured_balance += balance
    if not accounts:
        count_rate = KpiResult.undefined("cure_rate_count", Unit.PERCENT, Reason.NO_DELINQUENT_ACCOUNTS)
    else:
        count_rate = KpiResult.of("cure_rate_count", Unit.PERCENT, percent(Fraction(cured), Fraction(len(accounts))))
    if total_balance == 0:
        balance_rate = KpiResult.undefined("cure_rate_balance", Unit.PERCENT, Reason.NO_DELINQUENT_ACCOUNTS)
    else:
        balance_rate = KpiResult.of("cure_rate_balance", Unit.PERCENT, percent(cured_balance, total_balance))
    return CureRate(count_rate, balance_rate, cured, len(accounts), start_bucket)
