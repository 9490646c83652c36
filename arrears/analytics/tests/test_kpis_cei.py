"""§5 CEI (Credit Research Foundation)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from arrears.analytics.kpis import Flag, KpiInputError, Period, Reason, cei

from .kpi_helpers import assert_figure, assert_undefined

amounts = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))


def test_cei_worked_example_1_monthly_june_2025():
    result = cei(Decimal(1000000), Decimal(900000), Decimal(1050000), Decimal(650000), months=1)
    assert result.exact == Fraction(850000, 1250000) * 100
    assert_figure(result, "68.00")


def test_cei_monthly_is_the_briefs_formula():
    b, s, t, c = Decimal(1000000), Decimal(900000), Decimal(1050000), Decimal(650000)
    assert cei(b, s, t, c).exact == Fraction(b + s - t) / Fraction(b + s - c) * 100


def test_cei_worked_example_2_quarter_n3_creditguru():
    n = Period.quarter(2025, 1).months
    assert n == 3
    result = cei(Decimal(6200), Decimal(10890), Decimal(6340), Decimal(3590), months=n)
    assert result.exact == Fraction(3490, 6240) * 100
    assert_figure(result, "55.93")


def test_cei_quarter_without_dividing_sales_by_n_gives_the_bug_value():
    # What the section exists to prevent: the full quarter's sales as if it were one month.
    assert_figure(cei(Decimal(6200), Decimal(10890), Decimal(6340), Decimal(3590), months=1), "79.63")


@pytest.mark.parametrize("months", [0, -3, 2.0, True])
def test_cei_n_must_be_a_positive_whole_number_of_months(months):
    with pytest.raises(KpiInputError, match="months"):
        cei(Decimal(6200), Decimal(10890), Decimal(6340), Decimal(3590), months=months)


@pytest.mark.parametrize(
    ("beginning", "sales", "ending_total", "ending_current"),
    [
        (Decimal(0), Decimal(0), Decimal(0), Decimal(0)),  # denominator 0
        (Decimal(100), Decimal(0), Decimal(50), Decimal(100)),  # denominator 0, numerator 50
        (Decimal(100), Decimal(0), Decimal(150), Decimal(150)),  # denominator < 0
    ],
)
def test_cei_with_zero_or_negative_denominator_is_undefined(beginning, sales, ending_total, ending_current):
    assert_undefined(cei(beginning, sales, ending_total, ending_current), Reason.ZERO_DENOMINATOR)


def test_cei_can_be_negative_and_is_flagged():
    # Debit adjustments push ending total above beginning + sales.
    result = cei(Decimal(1000), Decimal(500), Decimal(1800), Decimal(500))
    assert result.exact == Fraction(-300, 1000) * 100
    assert Flag.NEGATIVE_CEI in result.flags


@given(amounts, amounts, amounts, amounts, st.integers(min_value=1, max_value=12))
def test_cei_is_at_most_100_when_current_is_within_total(beginning, sales, total, current, months):
    current, total = min(current, total), max(current, total)
    result = cei(beginning, sales, total, current, months=months)
    assume(result.is_defined)
    assert result.exact <= 100
    assert (Flag.NEGATIVE_CEI in result.flags) == (result.exact < 0)


@given(amounts, amounts, amounts, amounts, st.integers(min_value=1, max_value=12))
def test_cei_is_between_0_and_100_when_nothing_was_added_beyond_beginning_plus_sales(beginning, sales, total, current, months):
    current, total = min(current, total), max(current, total)
    assume(Fraction(total) <= Fraction(beginning) + Fraction(sales) / months)
    result = cei(beginning, sales, total, current, months=months)
    assume(result.is_defined)
    assert 0 <= result.exact <= 100
    assert result.flags == frozenset()
