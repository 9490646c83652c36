"""The expected value the slow way: one account at a time, in Decimals, through the ORM (the worklist's
first implementation). `selectors.risk.account_risk_columns` must give the same figures and texts;
`test_risk_columns.py` compares the two on a varied portfolio.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db.models import Count, F, Min, Q, Sum

from arrears.common.money import quantize
from arrears.ledger.models import ZERO, Document, DocumentKind, DocumentStatus
from arrears.worklist import conf
from arrears.worklist.selectors.risk import (
    AGE_CAP_P,
    AGE_CAP_W,
    AGE_PART,
    AGE_W_DAYS,
    BASE,
    FOUR,
    HISTORY_PART,
    NOT_DUE_SHARE,
    P_MAX,
    P_MIN,
    fx_rates_to,
    money_text,
)


@dataclass
class ReferenceRisk:
    customer_id: int
    currency: str  # the reporting currency
    overdue: dict[str, Decimal] = field(default_factory=dict)  # per document currency
    not_due: dict[str, Decimal] = field(default_factory=dict)
    days_past_due: int = 0
    amount_at_risk: Decimal = ZERO
    probability: Decimal = Decimal("0.5")
    probability_source: str = "heuristic"
    age_weight: Decimal = Decimal(1)
    score: Decimal = ZERO
    settled: int = 0
    settled_late: int = 0
    unconverted: list[str] = field(default_factory=list)

    @property
    def risk_text(self) -> str:
        owed = {c: a for c, a in self.overdue.items() if a > ZERO}
        if owed:
            amounts = " + ".join(money_text(a, c) for c, a in sorted(owed.items(), key=lambda kv: -kv[1]))
            text = f"{amounts} overdue {self.days_past_due} days"
        else:
            open_ = {c: a for c, a in self.not_due.items() if a > ZERO}
            text = (
                " + ".join(money_text(a, c) for c, a in sorted(open_.items())) + " open, nothing overdue"
                if open_ else "nothing open"
            )
        if self.unconverted:
            text += f" (no FX rate to {self.currency} for {', '.join(self.unconverted)}: counted 1:1)"
        return text

    @property
    def likelihood_text(self) -> str:
        pct = int((self.probability * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if self.probability_source == "model":
            return f"{pct}% likely to pay > 30 days late"
        history = (
            f"{self.settled_late} of {self.settled} invoices paid late" if self.settled else "no payment history"
        )
        return f"{pct}% estimated risk it stays unpaid without action ({history})"


def reference_account_risks(*, customer_ids: Iterable[int], as_of: dt.date) -> dict[int, ReferenceRisk]:
    ids = sorted(set(customer_ids))
    target = conf.reporting_currency()
    risks = {pk: ReferenceRisk(customer_id=pk, currency=target) for pk in ids}
    if not ids:
        return risks
    debits = Document.objects.filter(customer_id__in=ids, open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE)
    overdue_q = Q(due_date__lt=as_of)
    rows = (
        debits.order_by().values("customer_id", "currency")
        .annotate(
            overdue=Sum("open_amount", filter=overdue_q),
            not_due=Sum("open_amount", filter=~overdue_q),
            oldest=Min("due_date", filter=overdue_q),
        )
    )
    currencies: set[str] = set()
    for row in rows:
        risk = risks[row["customer_id"]]
        risk.overdue[row["currency"]] = row["overdue"] or ZERO
        risk.not_due[row["currency"]] = row["not_due"] or ZERO
        currencies.add(row["currency"])
        if row["oldest"] is not None:
            risk.days_past_due = max(risk.days_past_due, (as_of - row["oldest"]).days)
    rates = fx_rates_to(target=target, currencies=currencies, on=as_of)

    # Model probabilities: open-amount-weighted p_late_30 of the open documents that have a prediction.
    weighted: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    predicted = (
        debits.filter(prediction__isnull=False).values_list("customer_id", "currency", "open_amount", "prediction__p_late_30")
        if apps.is_installed("arrears.scoring") else []
    )
    for customer_id, currency, amount, p in predicted:
        value = amount * rates.get(currency, Decimal(1))
        weighted[customer_id][0] += value * Decimal(str(p))
        weighted[customer_id][1] += value

    since = as_of - dt.timedelta(days=365)
    history = (
        Document.objects.filter(
            customer_id__in=ids, kind=DocumentKind.INVOICE, status=DocumentStatus.PAID,
            closed_date__gte=since, closed_date__lte=as_of,
        )
        .order_by().values("customer_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(closed_date__gt=F("due_date"))))
    )
    for row in history:
        risks[row["customer_id"]].settled = row["n"]
        risks[row["customer_id"]].settled_late = row["late"]

    for risk in risks.values():
        total = ZERO
        for cur in set(risk.overdue) | set(risk.not_due):
            rate = rates.get(cur)
            if rate is None:
                risk.unconverted.append(cur)
                rate = Decimal(1)
            total += (risk.overdue.get(cur, ZERO) + NOT_DUE_SHARE * risk.not_due.get(cur, ZERO)) * rate
        risk.unconverted.sort()
        risk.amount_at_risk = quantize(total, target)
        num, den = weighted.get(risk.customer_id, (ZERO, ZERO))
        if den > ZERO:
            risk.probability = (num / den).quantize(FOUR, rounding=ROUND_HALF_UP)
            risk.probability_source = "model"
        else:
            late_share = Decimal(risk.settled_late) / Decimal(risk.settled) if risk.settled else Decimal("0.5")
            p = BASE + AGE_PART * Decimal(min(risk.days_past_due, AGE_CAP_P)) / AGE_CAP_P + HISTORY_PART * late_share
            risk.probability = min(max(p, P_MIN), P_MAX).quantize(FOUR, rounding=ROUND_HALF_UP)
        risk.age_weight = (1 + Decimal(min(risk.days_past_due, AGE_CAP_W)) / AGE_W_DAYS).quantize(
            Decimal("0.001"), rounding=ROUND_HALF_UP
        )
        risk.score = quantize(risk.amount_at_risk * risk.probability * risk.age_weight, target)
    return risks
