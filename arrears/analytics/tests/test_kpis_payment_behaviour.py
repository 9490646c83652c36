"""§9 weighted average days to pay (ADP), terms and days beyond terms (DBT)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    ApplicationKind,
    KpiInputError,
    PaymentApplication,
    Period,
    Reason,
    payment_behaviour,
)

from .kpi_helpers import assert_figure, assert_undefined

# Invoice, amount, invoice date, terms, due, paid, days to pay, days beyond terms (§9 worked example, customer ACME).
TABLE = [
    ("A1", 10000, date(2025, 4, 1), 30, date(2025, 5, 1), date(2025, 5, 6), 35, 5),
    ("A2", 4000, date(2025, 4, 10), 30, date(2025, 5, 10), date(2025, 5, 8), 28, -2),
    ("A3", 6000, date(2025, 4, 20), 30, date(2025, 5, 20), date(2025, 6, 9), 50, 20),
    ("A4", 20000, date(2025, 5, 1), 45, date(2025, 6, 15), date(2025, 6, 20), 50, 5),
]
ROWS = [PaymentApplication(f"pay-{inv}", inv, Decimal(amount), inv_date, due, paid) for inv, amount, inv_date, _, due, paid, *_ in TABLE]
Q2 = Period.quarter(2025, 2)


@pytest.mark.parametrize(("invoice", "amount", "invoice_date", "terms", "due", "paid", "days_to_pay", "beyond"), TABLE)
def test_payment_behaviour_worked_example_rows_acme_q2_2025(invoice, amount, invoice_date, terms, due, paid, days_to_pay, beyond):
    assert invoice_date + timedelta(days=terms) == due
    assert (paid - invoice_date).days == days_to_pay
    assert (paid - due).days == beyond


def test_payment_behaviour_worked_example_acme_q2_2025():
    result = payment_behaviour(ROWS, period=Q2)
    assert result.adp_w.exact == Fraction(1762000, 40000)
    assert_figure(result.adp_w, "44.05")
    assert_figure(result.terms_w, "37.50")
    assert result.dbt_w.exact == Fraction(262000, 40000)
    assert_figure(result.dbt_w, "6.55")
    assert result.dbt_w.exact == result.adp_w.exact - result.terms_w.exact
    assert_figure(result.adp_unweighted, "40.75")
    assert (result.payments, result.amount) == (4, 40000)


def test_payment_behaviour_worked_example_late_only_variant():
    result = payment_behaviour(ROWS, dbt_mode="late_only")
    assert result.dbt_w.exact == Fraction(270000, 40000)
    assert_figure(result.dbt_w, "6.75")
    assert result.dbt_w.method == "late_only"


def test_instalments_are_separate_rows_weighted_by_the_applied_amount():
    split = [
        PaymentApplication("p1", "A1", Decimal(6000), date(2025, 4, 1), date(2025, 5, 1), date(2025, 5, 6)),
        PaymentApplication("p2", "A1", Decimal(4000), date(2025, 4, 1), date(2025, 5, 1), date(2025, 5, 21)),
    ]
    result = payment_behaviour(split)
    assert result.payments == 2
    assert result.adp_w.exact == Fraction(6000 * 35 + 4000 * 50, 10000)
    assert result.adp_unweighted.exact == result.adp_w.exact  # one invoice: its own weighted days


@pytest.mark.parametrize("kind", [ApplicationKind.CREDIT_MEMO, ApplicationKind.WRITE_OFF])
def test_credit_memos_and_write_offs_are_not_payments(kind):
    other = PaymentApplication("cm", "A1", Decimal(99999), date(2025, 4, 1), date(2025, 5, 1), date(2025, 9, 1), kind=kind)
    assert payment_behaviour([*ROWS, other]).adp_w.exact == Fraction(1762000, 40000)


def test_a_reversed_payment_removes_the_original_row():
    bounced = PaymentApplication("nsf", "A9", Decimal(50000), date(2025, 1, 1), date(2025, 2, 1), date(2025, 6, 1))
    reversal = PaymentApplication(
        "nsf-rev", "A9", Decimal(50000), date(2025, 1, 1), date(2025, 2, 1), date(2025, 6, 5),
        kind=ApplicationKind.REVERSAL, reverses="nsf",
    )
    result = payment_behaviour([*ROWS, bounced, reversal])
    assert result.payments == 4
    assert result.adp_w.exact == Fraction(1762000, 40000)


def test_a_reversal_must_name_what_it_reverses():
    reversal = PaymentApplication("r", "A1", Decimal(1), date(2025, 4, 1), date(2025, 5, 1), date(2025, 5, 6), kind=ApplicationKind.REVERSAL)
    with pytest.raises(KpiInputError, match="reverses"):
        payment_behaviour([reversal])


def test_only_payments_applied_in_the_period_count():
    july = PaymentApplication("late", "A5", Decimal(1000), date(2025, 6, 1), date(2025, 7, 1), date(2025, 7, 2))
    assert payment_behaviour([*ROWS, july], period=Q2).payments == 4


@pytest.mark.parametrize("rows", [[], [ROWS[0]]])
def test_no_payments_in_period_is_undefined(rows):
    result = payment_behaviour(rows, period=Period.quarter(2025, 3))
    for figure in (result.adp_w, result.terms_w, result.dbt_w, result.adp_unweighted):
        assert_undefined(figure, Reason.NO_PAYMENTS)


rows_strategy = st.lists(
    st.builds(
        lambda i, cents, terms, delay, start: PaymentApplication(
            f"p{i}", f"inv{i % 5}", Decimal(cents).scaleb(-2), start, start + timedelta(days=terms),
            start + timedelta(days=max(0, terms + delay)),
        ),
        st.integers(), st.integers(1, 10**8), st.integers(0, 120), st.integers(-60, 200),
        st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 1, 1)),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda r: r.ref,
)


@given(rows_strategy)
def test_signed_dbt_is_adp_minus_terms(rows):
    result = payment_behaviour(rows)
    assert result.dbt_w.exact == result.adp_w.exact - result.terms_w.exact


@settings(max_examples=40)
@given(rows_strategy)
def test_late_only_dbt_is_never_below_signed_dbt_and_never_negative(rows):
    signed = payment_behaviour(rows).dbt_w.exact
    late = payment_behaviour(rows, dbt_mode="late_only").dbt_w.exact
    assert late >= signed
    assert late >= 0
