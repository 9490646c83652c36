"""The cash forecast as it stood (stored with the snapshot) against what was collected (KPIS.md §16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.analytics.models import ForecastSnapshot
from arrears.analytics.selectors.dashboard import forecast_view
from arrears.analytics.selectors.fx import FxTable
from arrears.analytics.services import snapshot_take
from arrears.analytics.tests.ledger_fixtures import D

pytestmark = pytest.mark.django_db


def test_forecast_is_compared_with_the_payments_of_each_week(ledger):
    start = D(2026, 9, 1)
    for week, amount in enumerate(("1000", "0", "4000", "700")):
        ForecastSnapshot.objects.create(taken_on=start, currency="EUR", business_unit="ACME-DE", week=week,
                                        week_start=start + dt.timedelta(days=7 * week), amount=Decimal(amount))
    view = forecast_view(start=D(2026, 9, 1), today=D(2026, 9, 25), fx=FxTable("EUR"))
    assert view.taken_on == start
    # Week of 15 Sep: INV4's 5,000 (issued 1 Aug, before the forecast) arrived; forecast 4,000 -> 80 % accurate.
    weeks = {w.start: w for w in view.weeks}
    assert weeks[D(2026, 9, 15)].actual == Decimal(5000)
    assert weeks[D(2026, 9, 15)].accuracy["display"] == "80.00"
    assert weeks[D(2026, 9, 1)].accuracy["reason"] == "ZERO_ACTUAL"
    assert weeks[D(2026, 9, 22)].actual is None  # not over on 25 Sep
    # WAPE over the three weeks that ended: 1 - (1,000 + 0 + 1,000) / 5,000 = 60 %; bias (5,000 - 5,000) / 5,000 = 0.
    assert view.wape["display"] == "60.00"
    assert view.bias["display"] == "0.00"


def test_no_stored_forecast_and_no_predictions_shows_nothing(ledger):
    assert forecast_view(start=D(2026, 9, 1), today=D(2026, 9, 25), fx=FxTable("EUR")) is None


def test_snapshot_stores_the_forecast_of_the_scoring_predictions(ledger):
    from arrears.scoring.models import ModelVersion, Prediction

    version = ModelVersion.objects.create(trained_on=D(2026, 9, 30), model=b"")
    inv3 = ledger.docs["INV3"]
    Prediction.objects.create(document=inv3, model_version=version, as_of=D(2026, 10, 1), predicted_date=D(2026, 10, 25),
                              low_date=D(2026, 10, 20), high_date=D(2026, 11, 10), p_late_0=0.4, p_late_30=0.1, p_late_60=0.05)
    result = snapshot_take(as_of=D(2026, 10, 1))
    assert result.forecast_weeks == 13
    week = ForecastSnapshot.objects.get(taken_on=D(2026, 10, 1), amount__gt=0)
    # 25 Oct is 24 days after 1 Oct: week 3, starting 22 Oct; INV3's 2,000 is open.
    assert (week.week, week.week_start, week.amount) == (3, D(2026, 10, 22), Decimal("2000.000"))
    assert snapshot_take(as_of=D(2026, 10, 1)).forecast_weeks == 13
    assert ForecastSnapshot.objects.filter(taken_on=D(2026, 10, 1)).count() == 13
