"""§1 DSO, §2 countback DSO, §3 best possible DSO, §4 ADD."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    Flag,
    InconsistentDataError,
    KpiInputError,
    MethodMismatchError,
    Period,
    Reason,
    average_days_delinquent,
    best_possible_dso,
    countback_best_possible_dso,
    countback_dso,
    countback_steps,
    dso,
    months_ending,
    round_half_up,
    sales_by_month,
)

from .kpi_helpers import assert_figure, assert_undefined

Q2_2025 = Period.quarter(2025, 2)
# §1 data: Q2 2025, net credit sales 2,730,000, ending AR 1,250,000, beginning AR 1,150,000; §3: current AR 780,000.
Q2_SALES = Decimal("2730000")
Q2_ENDING_AR = Decimal("1250000")
Q2_BEGINNING_AR = Decimal("1150000")
Q2_CURRENT_AR = Decimal("780000")
# §2 data: as of 31 Mar 2025, most recent month first.
Q1_MONTHS = [(Decimal(120000), 31), (Decimal(100000), 28), (Decimal(90000), 31)]

amounts = st.integers(min_value=-(10**9), max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))
positive_amounts = st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))


# ---- §1 DSO -----------------------------------------------------------------------------------------


def test_dso_worked_example_q2_2025():
    result = dso(Q2_ENDING_AR, Q2_SALES, Q2_2025.days)
    assert Q2_2025.days == 91
    assert_figure(result, "41.67")
    assert result.method == "ending_ar"


def test_dso_average_ar_variant_worked_example_q2_2025():
    result = dso(Q2_ENDING_AR, Q2_SALES, Q2_2025.days, method="average_ar", beginning_ar=Q2_BEGINNING_AR)
    assert result.exact == 40  # 1,200,000 / 30,000 per day
    assert_figure(result, "40.00")
    assert result.method == "average_ar"


def test_dso_average_ar_needs_the_beginning_balance():
    with pytest.raises(KpiInputError, match="beginning_ar"):
        dso(Q2_ENDING_AR, Q2_SALES, 91, method="average_ar")


def test_dso_rejects_an_unknown_method():
    with pytest.raises(KpiInputError, match="method"):
        dso(Q2_ENDING_AR, Q2_SALES, 91, method="countback")


@pytest.mark.parametrize("credit_sales", [Decimal(0), Decimal("-1500.00")])
@pytest.mark.parametrize("method", ["ending_ar", "average_ar"])
def test_dso_with_zero_or_negative_credit_sales_is_undefined(credit_sales, method):
    result = dso(Q2_ENDING_AR, credit_sales, 91, method=method, beginning_ar=Q2_BEGINNING_AR)
    assert_undefined(result, Reason.ZERO_CREDIT_SALES)


def test_dso_with_negative_ar_is_computed_and_flagged():
    result = dso(Decimal("-30000"), Q2_SALES, 91)
    assert result.exact == -1
    assert Flag.NEGATIVE_AR in result.flags


def test_dso_with_positive_ar_has_no_flag():
    assert dso(Q2_ENDING_AR, Q2_SALES, 91).flags == frozenset()


@pytest.mark.parametrize("days", [0, -91])
def test_dso_needs_a_positive_day_count(days):
    with pytest.raises(KpiInputError, match="days"):
        dso(Q2_ENDING_AR, Q2_SALES, days)


# ---- §2 countback DSO -------------------------------------------------------------------------------


def test_countback_dso_worked_example_march_2025():
    result = countback_dso(Decimal(250000), Q1_MONTHS)
    assert result.exact == 31 + 28 + Fraction(31, 3)
    assert_figure(result, "69.33")
    assert result.method == "countback"
    assert not result.history_exhausted


def test_countback_dso_worked_example_table_steps():
    steps = countback_steps(Decimal(250000), Q1_MONTHS)
    rows = [(s.sales, s.ar_before, s.whole, s.days_added, s.ar_after) for s in steps]
    assert rows == [
        (120000, 250000, True, 31, 130000),
        (100000, 130000, True, 28, 30000),
        (90000, 30000, False, Fraction(30000, 90000) * 31, 0),
    ]
    assert round_half_up(steps[2].days_added) == Decimal("10.33")


def test_countback_dso_worked_example_flat30_option():
    result = countback_dso(Decimal(250000), Q1_MONTHS, month_days="flat30")
    assert result.exact == 70
    assert_figure(result, "70.00")


def test_countback_dso_worked_example_standard_method_comparison_q1_2025():
    q1 = Period.quarter(2025, 1)
    assert q1.days == 90
    assert_figure(dso(Decimal(250000), Decimal(310000), q1.days), "72.58")


def test_countback_dso_published_cross_check_flat30():
    months = [(Decimal(100000), 31), (Decimal(80000), 28), (Decimal(70000), 31)]
    result = countback_dso(Decimal(212000), months, month_days="flat30")
    assert result.exact == 60 + Fraction(32000, 70000) * 30
    assert_figure(result, "73.71")


def test_countback_months_are_calendar_months_ending_at_the_as_of_date():
    months = months_ending(date(2025, 3, 31), 3)
    assert [(p.start, p.days) for p in months] == [(date(2025, 3, 1), 31), (date(2025, 2, 1), 28), (date(2025, 1, 1), 31)]
    sales = sales_by_month(date(2025, 3, 31), {(2025, 3): Decimal(120000), (2025, 2): Decimal(100000), (2025, 1): Decimal(90000)})
    assert len(sales) == 12
    assert_figure(countback_dso(Decimal(250000), sales), "69.33")


@pytest.mark.parametrize("empty_sales", [Decimal(0), Decimal(-5000)])
def test_countback_month_with_zero_or_negative_sales_is_absorbed_whole(empty_sales):
    months = [(Decimal(120000), 31), (empty_sales, 28), (Decimal(90000), 31)]
    steps = countback_steps(Decimal(150000), months)
    assert steps[1].whole
    assert steps[1].ar_before == steps[1].ar_after == 30000
    assert countback_dso(Decimal(150000), months).exact == 31 + 28 + Fraction(31, 3)


def test_countback_beyond_the_history_returns_a_lower_bound():
    result = countback_dso(Decimal(400000), Q1_MONTHS)
    assert result.exact == 31 + 28 + 31
    assert result.history_exhausted
    assert Flag.HISTORY_EXHAUSTED in result.flags
    assert result.text() == "≥ 90.00"


def test_countback_lookback_defaults_to_twelve_months():
    months = [(Decimal(1000), 30)] * 13
    result = countback_dso(Decimal(12500), months)
    assert result.exact == 12 * 30
    assert result.history_exhausted
    assert countback_dso(Decimal(12500), months, max_months=13).exact == 12 * 30 + 15
    assert not countback_dso(Decimal(12500), months, max_months=13).history_exhausted


@pytest.mark.parametrize("ending_ar", [Decimal(0), Decimal("-500.00")])
def test_countback_with_no_positive_ar_is_zero_days(ending_ar):
    result = countback_dso(ending_ar, Q1_MONTHS)
    assert result.exact == 0
    assert not result.history_exhausted


@given(st.lists(st.tuples(positive_amounts, st.integers(min_value=28, max_value=31)), min_size=1, max_size=12))
def test_countback_equals_days_in_period_when_ar_equals_all_sales_of_the_period(months):
    total_sales = sum(s for s, _ in months)
    result = countback_dso(total_sales, months)
    assert result.exact == sum(d for _, d in months)
    assert not result.history_exhausted


@given(
    st.integers(min_value=1, max_value=10**6),
    st.lists(st.integers(min_value=28, max_value=31), min_size=1, max_size=12),
    st.fractions(min_value=0, max_value=1),
)
def test_countback_equals_the_standard_method_when_daily_sales_are_constant(per_day, month_lengths, share):
    # No seasonality: each month sells per_day × its days, so both methods measure AR in days of the same rate.
    months = [(Decimal(per_day * d), d) for d in month_lengths]
    total_days = sum(month_lengths)
    ending_ar = Fraction(per_day * total_days) * share
    standard = dso(ending_ar, per_day * total_days, total_days)
    assert countback_dso(ending_ar, months).exact == standard.exact


@given(amounts, st.lists(st.tuples(amounts, st.integers(min_value=28, max_value=31)), max_size=12))
def test_countback_is_between_zero_and_the_days_of_the_history(ending_ar, months):
    result = countback_dso(ending_ar, months)
    assert 0 <= result.exact <= sum(d for _, d in months)
    assert result.history_exhausted == (ending_ar > sum(max(s, 0) for s, _ in months) and ending_ar > 0)


# ---- §3 best possible DSO ---------------------------------------------------------------------------


def test_best_possible_dso_worked_example_q2_2025():
    result = best_possible_dso(Q2_CURRENT_AR, Q2_SALES, Q2_2025.days, total_ar=Q2_ENDING_AR)
    assert result.exact == 26
    assert_figure(result, "26.00")


def test_best_possible_dso_uses_current_ar_only_not_current_minus_past_due():
    # The vendor "current − past-due" formula would give (780,000 − 470,000)/2,730,000 × 91.
    with_total = best_possible_dso(Q2_CURRENT_AR, Q2_SALES, 91, total_ar=Q2_ENDING_AR)
    assert with_total.exact == best_possible_dso(Q2_CURRENT_AR, Q2_SALES, 91).exact == 26


def test_best_possible_dso_refuses_current_ar_above_total_ar():
    with pytest.raises(InconsistentDataError, match="data feed"):
        best_possible_dso(Decimal(1300000), Q2_SALES, 91, total_ar=Q2_ENDING_AR)
    with pytest.raises(InconsistentDataError):
        countback_best_possible_dso(Decimal(300000), Q1_MONTHS, total_ar=Decimal(250000))


@pytest.mark.parametrize("credit_sales", [Decimal(0), Decimal(-1)])
def test_best_possible_dso_with_zero_or_negative_credit_sales_is_undefined(credit_sales):
    assert_undefined(best_possible_dso(Q2_CURRENT_AR, credit_sales, 91), Reason.ZERO_CREDIT_SALES)


def test_best_possible_dso_by_countback_partners_countback_dso():
    result = countback_best_possible_dso(Decimal(150000), Q1_MONTHS, total_ar=Decimal(250000))
    assert result.exact == 31 + Fraction(30000, 100000) * 28
    assert result.method == "countback"


# ---- §4 ADD -----------------------------------------------------------------------------------------


def test_add_worked_example_q2_2025():
    result = average_days_delinquent(dso(Q2_ENDING_AR, Q2_SALES, 91), best_possible_dso(Q2_CURRENT_AR, Q2_SALES, 91))
    assert result.exact == Fraction(125, 3) - 26
    assert_figure(result, "15.67")


def test_add_published_cross_check_creditguru():
    dso_value = dso(Decimal(15000), Decimal(10000), 30)
    bpdso_value = best_possible_dso(Decimal(4000), Decimal(10000), 30)
    assert (dso_value.exact, bpdso_value.exact) == (45, 12)
    assert average_days_delinquent(dso_value, bpdso_value).exact == 33


def test_add_refuses_to_mix_methods():
    standard_bpdso = best_possible_dso(Decimal(150000), Decimal(310000), 90)
    with pytest.raises(MethodMismatchError, match="countback"):
        average_days_delinquent(countback_dso(Decimal(250000), Q1_MONTHS), standard_bpdso)
    average_dso = dso(Q2_ENDING_AR, Q2_SALES, 91, method="average_ar", beginning_ar=Q2_BEGINNING_AR)
    with pytest.raises(MethodMismatchError):
        average_days_delinquent(average_dso, best_possible_dso(Q2_CURRENT_AR, Q2_SALES, 91))


def test_add_refuses_dso_and_bpdso_of_different_periods():
    with pytest.raises(MethodMismatchError, match="different"):
        average_days_delinquent(dso(Q2_ENDING_AR, Q2_SALES, 91), best_possible_dso(Q2_CURRENT_AR, Decimal(900000), 30))


def test_add_by_countback_uses_both_countback_figures():
    result = average_days_delinquent(
        countback_dso(Decimal(250000), Q1_MONTHS), countback_best_possible_dso(Decimal(150000), Q1_MONTHS)
    )
    assert result.exact == (31 + 28 + Fraction(31, 3)) - (31 + Fraction(84, 10))
    assert result.method == "countback"


def test_add_average_ar_variant_pairs_with_average_current_ar():
    result = average_days_delinquent(
        dso(Q2_ENDING_AR, Q2_SALES, 91, method="average_ar", beginning_ar=Q2_BEGINNING_AR),
        best_possible_dso(Q2_CURRENT_AR, Q2_SALES, 91, method="average_ar", beginning_current_ar=Decimal(660000)),
    )
    assert result.exact == 40 - 24


def test_add_of_undefined_dso_is_undefined_with_the_same_reason():
    result = average_days_delinquent(dso(Q2_ENDING_AR, 0, 91), best_possible_dso(Q2_CURRENT_AR, 0, 91))
    assert_undefined(result, Reason.ZERO_CREDIT_SALES)


@given(amounts, amounts, positive_amounts, st.integers(min_value=1, max_value=366))
def test_add_is_past_due_ar_in_days_of_sales(total_ar, current_ar, sales, days):
    if current_ar > total_ar:
        current_ar, total_ar = total_ar, current_ar
    result = average_days_delinquent(dso(total_ar, sales, days), best_possible_dso(current_ar, sales, days, total_ar=total_ar))
    assert result.exact == Fraction(total_ar - current_ar) / Fraction(sales) * days
    assert result.exact >= 0
