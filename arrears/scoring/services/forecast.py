"""Cash forecast backtest: forecast as of a past date with a model trained before it, compare with what came in.

Accuracy uses the formula of KPIS.md §16 (arrears.analytics.kpis.forecast.forecast_accuracy, which
sits above scoring, so it is restated here and a test checks both agree): per week
max(0, 1 − |A − F| / |A|) × 100 (undefined when nothing was collected), WAPE
max(0, 1 − Σ|A − F| / Σ|A|) × 100 and bias (ΣF − ΣA) / ΣA × 100.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from django.db.models import Q, Sum

from arrears.common.money import quantize
from arrears.ledger.models import ZERO, Allocation, AllocationSource, Document
from arrears.scoring.selectors import DEBIT_KINDS, forecast_buckets, payment_portfolio_load
from arrears.scoring.services.predictions import predictions_compute
from arrears.scoring.services.training import _date, _day, model_fit

ACCURACY_PLACES = Decimal("0.01")


def _pct(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator) * 100).quantize(ACCURACY_PLACES)


def forecast_accuracy_figures(forecast: Sequence[Decimal], actual: Sequence[Decimal]) -> dict[str, Any]:
    """Per-bucket accuracy, WAPE accuracy and bias in percent (None where the actuals are zero)."""
    f = [Fraction(x) for x in forecast]
    a = [Fraction(x) for x in actual]
    per = [None if ai == 0 else _pct(max(Fraction(0), 1 - abs(ai - fi) / abs(ai))) for fi, ai in zip(f, a, strict=True)]
    base = sum((abs(x) for x in a), Fraction(0))
    errors = sum((abs(ai - fi) for fi, ai in zip(f, a, strict=True)), Fraction(0))
    total_a = sum(a, Fraction(0))
    return {
        "per_week": per,
        "wape": None if base == 0 else _pct(max(Fraction(0), 1 - errors / base)),
        "bias": None if total_a == 0 else _pct((sum(f, Fraction(0)) - total_a) / total_a),
    }


def forecast_backtest(*, as_of: dt.date, weeks: int = 13) -> dict[str, Any]:
    """Forecast the open book of ``as_of`` with a model trained on what was known then; compare per week.

    The open book on ``as_of``: debit documents issued by then and not yet closed, at their amount
    less what was allocated before ``as_of``. Actuals: payment allocations to those documents in each
    week from ``as_of`` on (credit notes and write-offs also close documents but collect no cash, so
    they show up as over-forecast).
    """
    day = _day(as_of)
    portfolio = payment_portfolio_load()
    model, examples = model_fit(portfolio=portfolio, known_on=day)
    h = portfolio.history
    rows = np.flatnonzero((h.issue_date <= day) & (np.isnat(h.settled_date) | (h.settled_date >= day)))
    result = predictions_compute(model=model, portfolio=portfolio, rows=rows, as_of=as_of, explain=False)
    doc_ids = portfolio.document_id[rows]
    open_filter = Q(closed_date__isnull=True) | Q(closed_date__gte=as_of)
    base = Document.objects.filter(open_filter, kind__in=DEBIT_KINDS, issue_date__lte=as_of)
    amounts = dict(base.values_list("id", "amount"))
    for doc_id, allocated in (
        Allocation.objects.filter(document__in=base, date__lt=as_of)
        .values("document_id").annotate(s=Sum("amount")).values_list("document_id", "s")
    ):
        amounts[doc_id] -= allocated or ZERO
    position = {int(d): i for i, d in enumerate(doc_ids)}
    items = []
    for doc_id, amount in amounts.items():
        i = position.get(doc_id)
        if i is None or amount <= 0:
            continue
        items.append((portfolio.currency[rows[i]], portfolio.business_unit[rows[i]], _date(result["predicted"][i]), amount))
    forecast = forecast_buckets(items, as_of=as_of, weeks=weeks)
    horizon_end = as_of + dt.timedelta(days=7 * weeks)
    collected: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO] * weeks)
    for currency, unit, date, amount in (
        Allocation.objects.filter(document__in=base, source=AllocationSource.PAYMENT, date__gte=as_of,
                                  date__lt=horizon_end)
        .values("document__currency", "document__business_unit__code", "date").annotate(s=Sum("amount"))
        .values_list("document__currency", "document__business_unit__code", "date", "s")
    ):
        collected[(currency, unit)][(date - as_of).days // 7] += amount or ZERO
    groups = []
    for group in forecast:
        actual = [quantize(x, group["currency"])
                  for x in collected.get((group["currency"], group["business_unit"]), [ZERO] * weeks)]
        f = [w["amount"] for w in group["weeks"]]
        figures = forecast_accuracy_figures(f, actual)
        groups.append({
            "currency": group["currency"], "business_unit": group["business_unit"],
            "weeks": [
                {"week": w["week"], "start": w["start"], "forecast": w["amount"], "actual": actual[i],
                 "accuracy": figures["per_week"][i]}
                for i, w in enumerate(group["weeks"])
            ],
            "forecast_total": sum(f, ZERO), "actual_total": sum(actual, ZERO), "later": group["later"],
            "wape_accuracy": figures["wape"], "bias": figures["bias"],
        })
    return {
        "as_of": as_of, "weeks": weeks, "training_rows": len(examples), "open_documents": len(items),
        "groups": groups,
    }
