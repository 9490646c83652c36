"""Weighted average days to pay (ADP), terms and days beyond terms (DBT) per customer (KPIS.md §9)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from .core import (
    KpiInputError,
    KpiResult,
    Reason,
    Unit,
    check_single_currency,
    require_choice,
    to_decimal,
    to_fraction,
)
from .periods import Period

DBT_MODES = ("signed", "late_only")


class ApplicationKind(StrEnum):
    PAYMENT = "payment"
    CREDIT_MEMO = "credit_memo"  # not a payment: excluded
    WRITE_OFF = "write_off"  # not a payment: excluded
    REVERSAL = "reversal"  # removes the application named in ``reverses`` (e.g. NSF)


@dataclass(frozen=True, slots=True)
class PaymentApplication:
    """One cash application: an instalment of an invoice is its own row, weighted by its applied amount."""

    ref: str
    invoice_ref: str
    amount: Decimal
    invoice_date: date
    due_date: date
    paid_on: date
    kind: ApplicationKind = ApplicationKind.PAYMENT
    reverses: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentBehaviour:
    adp_w: KpiResult
    terms_w: KpiResult
    dbt_w: KpiResult
    adp_unweighted: KpiResult
    payments: int
    amount: Decimal


def _effective_rows(rows: Iterable[PaymentApplication], period: Period | None) -> list[PaymentApplication]:
    rows = list(rows)
    check_single_currency(rows, "payment behaviour")
    reversed_refs = set()
    for row in rows:
        if ApplicationKind(row.kind) is ApplicationKind.REVERSAL:
            if not row.reverses:
                raise KpiInputError(f"{row.ref}: a reversal must name the application it reverses")
            reversed_refs.add(row.reverses)
    kept = []
    for row in rows:
        if ApplicationKind(row.kind) is not ApplicationKind.PAYMENT or row.ref in reversed_refs:
            continue
        if period is not None and row.paid_on not in period:
            continue
        if to_fraction(row.amount, f"{row.ref}.amount") <= 0:
            raise KpiInputError(f"{row.ref}: an applied amount must be positive, got {row.amount}")
        kept.append(row)
    return kept


def payment_behaviour(
    rows: Iterable[PaymentApplication], *, dbt_mode: str = "signed", period: Period | None = None
) -> PaymentBehaviour:
    """Amount-weighted ADP, terms and DBT over the payment applications (optionally those applied in ``period``).

    ``dbt_mode="signed"`` (default) counts early payments negative so DBT_w = ADP_w − Terms_w;
    ``"late_only"`` floors each row at 0. Credit memos, write-offs and reversed payments are excluded.
    ``adp_unweighted`` is the simple mean over invoices of each invoice's (amount-weighted) days to pay.
    No payments → every figure ``NO_PAYMENTS``.
    """
    require_choice("dbt_mode", dbt_mode, DBT_MODES)
    kept = _effective_rows(rows, period)
    if not kept:
        none = [KpiResult.undefined(k, Unit.DAYS, Reason.NO_PAYMENTS) for k in ("adp_w", "terms_w", "dbt_w", "adp_unweighted")]
        return PaymentBehaviour(*none, payments=0, amount=Decimal(0))
    total = Fraction(0)
    adp = terms = dbt = Fraction(0)
    per_invoice: dict[str, list[Fraction]] = defaultdict(lambda: [Fraction(0), Fraction(0)])
    for row in kept:
        amount = to_fraction(row.amount)
        days_to_pay = (row.paid_on - row.invoice_date).days
        beyond = (row.paid_on - row.due_date).days
        total += amount
        adp += amount * days_to_pay
        terms += amount * (row.due_date - row.invoice_date).days
        dbt += amount * (beyond if dbt_mode == "signed" else max(0, beyond))
        acc = per_invoice[row.invoice_ref]
        acc[0] += amount * days_to_pay
        acc[1] += amount
    unweighted = sum((w / a for w, a in per_invoice.values()), Fraction(0)) / len(per_invoice)
    return PaymentBehaviour(
        adp_w=KpiResult.of("adp_w", Unit.DAYS, adp / total),
        terms_w=KpiResult.of("terms_w", Unit.DAYS, terms / total),
        dbt_w=KpiResult.of("dbt_w", Unit.DAYS, dbt / total, method=dbt_mode),
        adp_unweighted=KpiResult.of("adp_unweighted", Unit.DAYS, unweighted),
        payments=len(kept),
        amount=to_decimal(total),
    )
