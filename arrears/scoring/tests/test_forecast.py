"""Cash forecast from the predictions, and its backtest against what was collected."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from django.db.models import Sum

from arrears.ledger.models import Allocation, AllocationSource, Document, DocumentStatus
from arrears.scoring.models import Prediction
from arrears.scoring.selectors import cash_forecast, forecast_buckets
from arrears.scoring.services import (
    forecast_accuracy_figures,
    forecast_backtest,
    model_train,
    predictions_refresh,
)


def test_forecast_weeks_add_up_to_the_open_amounts(portfolio, small_params):
    model_train(cutoff=portfolio["as_of"], params=small_params, evaluate=False)
    predictions_refresh(as_of=portfolio["as_of"])
    horizon = portfolio["as_of"] + dt.timedelta(weeks=13)
    assert not Prediction.objects.filter(predicted_date__gte=horizon).exists()  # all within 13 weeks

    groups = cash_forecast(as_of=portfolio["as_of"])

    open_total = Document.objects.filter(status__in=[DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID]).aggregate(
        s=Sum("open_amount"))["s"]
    assert len(groups) == 1
    assert groups[0]["currency"] == "EUR"
    assert sum(w["amount"] for w in groups[0]["weeks"]) == open_total == groups[0]["total"]
    assert groups[0]["later"] == 0
    by_week = {w["start"]: w["amount"] for w in groups[0]["weeks"]}
    for p in Prediction.objects.select_related("document"):
        week = (p.predicted_date - portfolio["as_of"]).days // 7
        assert by_week[portfolio["as_of"] + dt.timedelta(weeks=week)] >= p.document.open_amount


def test_buckets_put_dates_beyond_the_horizon_in_later_and_past_dates_in_week_zero():
    as_of = dt.date(2026, 1, 5)
    items = [("EUR", "DE", as_of - dt.timedelta(days=3), Decimal("1.10")), ("EUR", "DE", as_of + dt.timedelta(days=6), Decimal("2.20")),
             ("EUR", "DE", as_of + dt.timedelta(days=7), Decimal("3.30")), ("EUR", "DE", as_of + dt.timedelta(weeks=20), Decimal("4.40")),
             ("USD", "US", as_of, Decimal("5.00"))]

    eur, usd = forecast_buckets(items, as_of=as_of, weeks=13)

    assert [w["amount"] for w in eur["weeks"][:2]] == [Decimal("3.30"), Decimal("3.30")]
    assert eur["later"] == Decimal("4.40")
    assert eur["total"] == Decimal("11.00")
    assert usd["weeks"][0]["amount"] == Decimal("5.00")


def test_accuracy_uses_the_kpi_formula():
    # analytics sits above scoring in the layer contract: load the KPI function by name, only here
    kpi = importlib.import_module("arrears.analytics.kpis.forecast").forecast_accuracy
    forecast = [Decimal("100"), Decimal("80"), Decimal("0"), Decimal("50")]
    actual = [Decimal("90"), Decimal("100"), Decimal("0"), Decimal("0")]

    ours = forecast_accuracy_figures(forecast, actual)
    theirs = kpi(forecast, actual)

    for mine, result in zip(ours["per_week"], theirs.per_period, strict=True):
        assert (mine is None) == (result.value is None)
        if mine is not None:
            assert mine == Decimal(str(float(result.value))).quantize(Decimal("0.01"))
    assert ours["wape"] == Decimal(str(float(theirs.wape.value))).quantize(Decimal("0.01"))
    assert ours["bias"] == Decimal(str(float(theirs.bias.value))).quantize(Decimal("0.01"))


def test_backtest_compares_the_forecast_with_the_payments_that_came_in(portfolio, small_params):
    as_of = portfolio["as_of"] - dt.timedelta(days=40)

    result = forecast_backtest(as_of=as_of, weeks=13)

    (group,) = result["groups"]
    collected = Allocation.objects.filter(
        source=AllocationSource.PAYMENT, date__gte=as_of, date__lt=as_of + dt.timedelta(weeks=13),
        document__issue_date__lte=as_of,
    ).aggregate(s=Sum("amount"))["s"]
    assert group["actual_total"] == collected > 0
    assert group["forecast_total"] + group["later"] > 0
    assert group["wape_accuracy"] is not None
    assert len(group["weeks"]) == 13
