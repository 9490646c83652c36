"""§16 cash (collections) forecast accuracy."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.analytics.kpis import KpiInputError, Reason, forecast_accuracy

from .kpi_helpers import assert_figure, assert_undefined

# Week, forecast, actual, absolute error, accuracy (actual denominator), variant (forecast denominator).
TABLE = [
    ("W1", 500000, 460000, 40000, "91.30", "92.00"),
    ("W2", 420000, 455000, 35000, "92.31", "91.67"),
    ("W3", 610000, 600000, 10000, "98.33", "98.36"),
    ("W4", 380000, 300000, 80000, "73.33", "78.95"),
]
FORECASTS = [Decimal(f) for _, f, *_ in TABLE]
ACTUALS = [Decimal(a) for _, _, a, *_ in TABLE]


@pytest.mark.parametrize(("index", "row"), list(enumerate(TABLE)))
def test_forecast_accuracy_worked_example_weekly_rows(index, row):
    _, forecast, actual, error, shown, variant = row
    assert abs(actual - forecast) == error
    assert_figure(forecast_accuracy(FORECASTS, ACTUALS).per_period[index], shown)
    assert_figure(forecast_accuracy(FORECASTS, ACTUALS, denominator="forecast").per_period[index], variant)


def test_forecast_accuracy_worked_example_wape_and_bias():
    result = forecast_accuracy(FORECASTS, ACTUALS, horizon_days=7)
    assert result.wape.exact == (1 - Fraction(165000, 1815000)) * 100
    assert_figure(result.wape, "90.91")
    assert result.bias.exact == Fraction(1910000 - 1815000, 1815000) * 100
    assert_figure(result.bias, "5.23")
    assert result.horizon_days == 7


def test_an_error_larger_than_the_actual_is_zero_percent_accurate_not_negative():
    result = forecast_accuracy([Decimal(300)], [Decimal(100)])
    assert result.per_period[0].exact == 0
    assert result.wape.exact == 0


def test_a_zero_actual_is_undefined():
    result = forecast_accuracy([Decimal(100), Decimal(50)], [Decimal(0), Decimal(0)])
    assert_undefined(result.per_period[0], Reason.ZERO_ACTUAL)
    assert_undefined(result.wape, Reason.ZERO_ACTUAL)
    assert_undefined(result.bias, Reason.ZERO_ACTUAL)
    assert_undefined(forecast_accuracy([Decimal(0)], [Decimal(5)], denominator="forecast").per_period[0], Reason.ZERO_FORECAST)


def test_forecasts_and_actuals_must_pair_up():
    with pytest.raises(KpiInputError, match="one of each"):
        forecast_accuracy([Decimal(1)], [Decimal(1), Decimal(2)])


money = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))


@settings(max_examples=40)
@given(st.lists(st.tuples(money, money), min_size=1, max_size=13))
def test_accuracy_is_between_0_and_100_and_a_perfect_forecast_scores_100(pairs):
    forecasts, actuals = [f for f, _ in pairs], [a for _, a in pairs]
    result = forecast_accuracy(forecasts, actuals)
    for figure in (*result.per_period, result.wape):
        assert figure.exact is None or 0 <= figure.exact <= 100
    perfect = forecast_accuracy(actuals, actuals)
    assert all(f.exact in (None, 100) for f in (*perfect.per_period, perfect.wape))
    assert perfect.bias.exact in (None, 0)
