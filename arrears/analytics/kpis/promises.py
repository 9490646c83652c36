"""Promise-to-pay kept rate, by count and by amount (KPIS.md §10)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from .core import (
    KpiInputError,
    KpiResult,
    Reason,
    Unit,
    check_single_currency,
    percent,
    to_decimal,
    to_fraction,
)
from .periods import Period


class PromiseStatus(StrEnum):
    PENDING = "pending"  # deadline (promise date + grace) not reached at as-of
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"  # superseded or withdrawn


@dataclass(frozen=True, slots=True)
class AccountPayment:
    """A payment received on the promise's account (not necessarily applied to a given invoice)."""

    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Promise:
    ref: str
    amount: Decimal
    promise_date: date
    created_on: date
    payments: tuple[AccountPayment, ...] = ()
    cancelled: bool = False
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    ref: str
    status: PromiseStatus
    paid_by_deadline: Decimal
    credited: Decimal  # min(paid by deadline, promised) for kept/broken, 0 otherwise


@dataclass(frozen=True, slots=True)
class PtpKeptRate:
    count_rate: KpiResult
    amount_rate: KpiResult
    kept: int
    broken: int
    pending: int
    cancelled: int
    outcomes: tuple[PromiseOutcome, ...]


def promise_evaluate(promise: Promise, *, as_of: date, grace_days: int = 0) -> PromiseOutcome:
    """Kept if the account's payments from the creation date to promise date + grace (inclusive) reach the amount."""
    if isinstance(grace_days, bool) or not isinstance(grace_days, int) or grace_days < 0:
        raise KpiInputError(f"grace_days must be a whole number ≥ 0, got {grace_days!r}")
    promised = to_fraction(promise.amount, f"{promise.ref}.amount")
    if promised <= 0:
        raise KpiInputError(f"{promise.ref}: the promised amount must be positive")
    deadline = promise.promise_date + timedelta(days=grace_days)
    paid = sum(
        (to_fraction(p.amount, f"{promise.ref} payment") for p in promise.payments if promise.created_on <= p.on <= deadline),
        Fraction(0),
    )
    if promise.cancelled:
        status = PromiseStatus.CANCELLED
    elif as_of < deadline:
        status = PromiseStatus.PENDING
    else:
        status = PromiseStatus.KEPT if paid >= promised else PromiseStatus.BROKEN
    credited = min(paid, promised) if status in (PromiseStatus.KEPT, PromiseStatus.BROKEN) else Fraction(0)
    return PromiseOutcome(promise.ref, status, to_decimal(paid), to_decimal(credited))


def ptp_kept_rate(
    promises: Iterable[Promise], *, as_of: date, grace_days: int = 0, period: Period | None = None
) -> PtpKeptRate:
    """Count rate = kept / (kept + broken) × 100; amount rate = Σ min(paid, promised) / Σ promised × 100.

    A promise belongs to the period containing its promise date. Pending and cancelled promises are
    left out of both rates. No kept or broken promise → ``NO_EVALUATED_PROMISES``.
    """
    chosen = [p for p in promises if period is None or p.promise_date in period]
    check_single_currency(chosen, "promise-kept rate")
    outcomes = tuple(promise_evaluate(p, as_of=as_of, grace_days=grace_days) for p in chosen)
    counts = {s: sum(1 for o in outcomes if o.status is s) for s in PromiseStatus}
    evaluated = [(o, p) for o, p in zip(outcomes, chosen, strict=True) if o.status in (PromiseStatus.KEPT, PromiseStatus.BROKEN)]
    if not evaluated:
        count_rate = KpiResult.undefined("ptp_kept_rate_count", Unit.PERCENT, Reason.NO_EVALUATED_PROMISES)
        amount_rate = KpiResult.undefined("ptp_kept_rate_amount", Unit.PERCENT, Reason.NO_EVALUATED_PROMISES)
    else:
        kept = counts[PromiseStatus.KEPT]
        credited = sum((to_fraction(o.credited) for o, _ in evaluated), Fraction(0))
        promised = sum((to_fraction(p.amount) for _, p in evaluated), Fraction(0))
        count_rate = KpiResult.of("ptp_kept_rate_count", Unit.PERCENT, percent(Fraction(kept), Fraction(len(evaluated))))
        amount_rate = KpiResult.of("ptp_kept_rate_amount", Unit.PERCENT, percent(credited, promised))
    return PtpKeptRate(
        count_rate=count_rate,
        amount_rate=amount_rate,
        kept=counts[PromiseStatus.KEPT],
        broken=counts[PromiseStatus.BROKEN],
        pending=counts[PromiseStatus.PENDING],
        cancelled=counts[PromiseStatus.CANCELLED],
        outcomes=outcomes,
    )
