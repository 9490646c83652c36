"""§0 shared conventions: exact arithmetic, display rounding, undefined results, currencies, periods, credit sales."""

import ast
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    CurrencyMismatchError,
    KpiInputError,
    KpiResult,
    OpenItem,
    Period,
    Reason,
    SalesDocument,
    SalesKind,
    Unit,
    aging_report,
    days_in_period,
    dso,
    net_credit_sales,
    round_half_up,
    to_fraction,
)

KPIS_PACKAGE = Path(__file__).resolve().parent.parent / "kpis"


def test_kpis_package_imports_no_django():
    for path in KPIS_PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("django", "rest_framework", "arrears.")), f"{path.name} imports {name}"


@pytest.mark.parametrize(
    ("exact", "shown"),
    [
        (Fraction(125, 3), "41.67"),
        (Fraction(1, 200), "0.01"),  # a tie rounds up
        (Fraction(-1, 200), "-0.01"),  # and away from zero when negative
        (Fraction(1, 201), "0.00"),
        (Fraction(-1, 1000), "0.00"),  # never "-0.00"
        (Fraction(40), "40.00"),
    ],
)
def test_display_rounds_two_places_half_up(exact, shown):
    assert str(round_half_up(exact)) == shown


@given(st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_display_rounding_matches_decimal_round_half_up(amount):
    assert round_half_up(amount) == amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_values_are_exact_not_float():
    result = dso(Decimal("1250000.00"), Decimal("2730000.00"), 91)
    assert result.exact == Fraction(125, 3)
    assert isinstance(result.value, Decimal)
    assert result.value == Decimal("41.66666666666666666666666666666667")


@pytest.mark.parametrize("bad", [1.5, float("nan"), True, "100", Decimal("NaN"), Decimal("Infinity")])
def test_floats_strings_bools_and_non_finite_amounts_are_refused(bad):
    with pytest.raises(KpiInputError):
        to_fraction(bad, "amount")


def test_an_undefined_result_is_none_with_a_reason_never_zero():
    result = dso(100, 0, 30)
    assert result.value is None
    assert result.reason is Reason.ZERO_CREDIT_SALES
    assert result.text() == "n/a (ZERO_CREDIT_SALES)"
    assert result.as_dict()["value"] is None


def test_a_result_cannot_have_both_value_and_reason():
    with pytest.raises(ValueError, match="either"):
        KpiResult("dso", Unit.DAYS, Fraction(1), Reason.ZERO_DENOMINATOR)


def test_result_serialises_numbers_as_strings():
    assert dso(1250000, 2730000, 91).as_dict() == {
        "kpi": "dso",
        "unit": "days",
        "value": "41.66666666666666666666666666666667",
        "display": "41.67",
        "reason": None,
        "flags": [],
        "method": "ending_ar",
    }


def test_one_computation_refuses_mixed_currencies():
    items = [
        OpenItem("A", date(2025, 6, 1), date(2025, 7, 1), Decimal(100), currency="EUR"),
        OpenItem("B", date(2025, 6, 1), date(2025, 7, 1), Decimal(100), currency="USD"),
    ]
    with pytest.raises(CurrencyMismatchError, match="EUR"):
        aging_report(items, date(2025, 6, 30))


@pytest.mark.parametrize(
    ("period", "days"),
    [
        (Period.quarter(2025, 2), 91),  # Q2 2025 = 91 days
        (Period.month(2025, 1), 31),  # Jan 2025 = 31
        (Period.month(2025, 2), 28),
        (Period.month(2024, 2), 29),
        (Period.quarter(2025, 1), 90),
        (Period.year(2025), 365),
        (Period(date(2025, 6, 30), date(2025, 6, 30)), 1),  # both ends included
    ],
)
def test_days_in_period_are_actual_calendar_days_both_ends_included(period, days):
    assert period.days == days
    assert days_in_period(period.start, period.end) == days


@pytest.mark.parametrize(
    ("period", "days"), [(Period.month(2025, 2), 30), (Period.quarter(2025, 2), 90), (Period.year(2024), 365)]
)
def test_fixed_day_count_is_a_labelled_option(period, days):
    assert period.day_count("fixed") == days


def test_fixed_day_count_refuses_a_period_that_is_not_a_month_quarter_or_year():
    with pytest.raises(KpiInputError, match="fixed"):
        Period(date(2025, 1, 1), date(2025, 2, 28)).day_count("fixed")


def test_period_months_counts_whole_calendar_months():
    assert Period.quarter(2025, 1).months == 3
    with pytest.raises(KpiInputError, match="whole calendar months"):
        _ = Period(date(2025, 1, 2), date(2025, 3, 31)).months


def test_net_credit_sales_are_credit_invoices_of_the_period_less_credit_memos():
    q2 = Period.quarter(2025, 2)
    docs = [
        SalesDocument("I1", SalesKind.INVOICE, date(2025, 4, 1), Decimal("1000.00")),
        SalesDocument("I2", SalesKind.INVOICE, date(2025, 6, 30), Decimal("500.50")),
        SalesDocument("CM1", SalesKind.CREDIT_MEMO, date(2025, 5, 10), Decimal("200.25")),
        SalesDocument("CASH", SalesKind.INVOICE, date(2025, 5, 1), Decimal("999"), on_credit=False),
        SalesDocument("I0", SalesKind.INVOICE, date(2025, 3, 31), Decimal("777")),  # previous period
        SalesDocument("CM0", SalesKind.CREDIT_MEMO, date(2025, 7, 1), Decimal("50")),  # next period
    ]
    assert net_credit_sales(docs, q2) == Fraction(Decimal("1300.25"))


def test_net_credit_sales_can_be_negative_and_dso_then_is_undefined():
    docs = [
        SalesDocument("I1", SalesKind.INVOICE, date(2025, 1, 5), Decimal(100)),
        SalesDocument("CM1", SalesKind.CREDIT_MEMO, date(2025, 1, 6), Decimal(300)),
    ]
    sales = net_credit_sales(docs, Period.month(2025, 1))
    assert sales == -200
    assert dso(1000, sales, 31).reason is Reason.ZERO_CREDIT_SALES
