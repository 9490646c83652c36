"""§12 recovery rate and cure rate."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from arrears.analytics.kpis import (
    PAID,
    DelinquentAccount,
    KpiInputError,
    PlacedAccount,
    Reason,
    Recovery,
    cohort_recovery_rate,
    cure_rate,
    recovery_rate,
)

from .kpi_helpers import assert_figure, assert_undefined


def test_recovery_rate_worked_example_january_2025_cohort():
    result = recovery_rate(Decimal(180000), Decimal(1000000), fees=Decimal(45000))
    assert result.gross.exact == 18
    assert_figure(result.gross, "18.00")
    assert_figure(result.net, "13.50")


def _january_cohort():
    # 200 accounts × 5,000 placed in January 2025; 36 of them pay 5,000 by 30 Jun with a 25 % contingency fee.
    accounts = []
    for i in range(200):
        recoveries = (Recovery(date(2025, 3, 1), Decimal(5000), Decimal(1250)),) if i < 36 else ()
        accounts.append(PlacedAccount(f"A{i}", date(2025, 1, 1 + i % 31), Decimal(5000), recoveries))
    return accounts


def test_recovery_rate_worked_example_from_the_placed_accounts():
    result = cohort_recovery_rate(_january_cohort(), until=date(2025, 6, 30))
    assert (result.accounts, result.placed, result.collected, result.fees) == (200, 1000000, 180000, 45000)
    assert_figure(result.rate.gross, "18.00")
    assert_figure(result.rate.net, "13.50")


def test_recalled_accounts_leave_the_denominator_and_are_reported_separately():
    cohort = [
        *_january_cohort(),
        PlacedAccount("R1", date(2025, 1, 10), Decimal(250000), (Recovery(date(2025, 2, 1), Decimal(1000)),), recalled=True),
    ]
    result = cohort_recovery_rate(cohort, until=date(2025, 6, 30))
    assert_figure(result.rate.gross, "18.00")
    assert (result.recalled_accounts, result.recalled_balance) == (1, 250000)


def test_cohorts_are_measured_at_a_fixed_age_after_placement():
    account = PlacedAccount(
        "A", date(2025, 1, 31), Decimal(1000),
        (Recovery(date(2025, 4, 30), Decimal(100)), Recovery(date(2025, 5, 1), Decimal(200))),
    )
    assert cohort_recovery_rate([account], months_after=3).collected == 100  # up to 30 Apr (31 Jan + 3 months)
    assert cohort_recovery_rate([account], months_after=6).collected == 300


def test_cohort_recovery_needs_exactly_one_horizon():
    with pytest.raises(KpiInputError, match="exactly one"):
        cohort_recovery_rate([], until=date(2025, 6, 30), months_after=6)


def test_recovery_rate_with_nothing_placed_is_undefined():
    result = recovery_rate(Decimal(0), Decimal(0))
    assert_undefined(result.gross, Reason.ZERO_PLACED)
    assert_undefined(result.net, Reason.ZERO_PLACED)


def _cure_example():
    """400 accounts in 1-30 at 31 May (600,000): 230 current + 30 paid (start balance 370,000), 120 to 31-60, 20 still 1-30."""
    start, end = [], {}
    for i in range(400):
        if i < 260:
            balance = Decimal(1400) if i < 259 else Decimal(7400)  # 259 × 1,400 + 7,400 = 370,000
            state = "current" if i < 230 else PAID
        else:
            balance = Decimal(1600) if i < 399 else Decimal(7600)  # 139 × 1,600 + 7,600 = 230,000
            state = "31-60" if i < 380 else "1-30"
        start.append(DelinquentAccount(f"C{i}", "1-30", balance))
        end[f"C{i}"] = state
    return start, end


def test_cure_rate_worked_example_1_30_may_to_june_2025():
    start, end = _cure_example()
    assert sum(a.balance for a in start) == 600000
    result = cure_rate(start, end, start_bucket="1-30")
    assert (result.cured, result.delinquent) == (260, 400)
    assert_figure(result.count_rate, "65.00")
    assert result.balance_rate.exact == Fraction(370000, 600000) * 100
    assert_figure(result.balance_rate, "61.67")


def test_cure_rate_counts_only_the_chosen_starting_bucket():
    start, end = _cure_example()
    start.append(DelinquentAccount("X", "61-90", Decimal(99999)))
    end["X"] = "current"
    assert cure_rate(start, end, start_bucket="1-30").cured == 260
    assert cure_rate(start, end).cured == 261


@pytest.mark.parametrize(("state", "cured"), [("current", True), (PAID, True), ("1-30", False), ("written_off", False)])
def test_cured_means_no_past_due_amount_at_window_end(state, cured):
    result = cure_rate([DelinquentAccount("A", "31-60", Decimal(100))], {"A": state})
    assert result.cured == int(cured)


def test_an_account_current_at_window_start_is_not_delinquent():
    with pytest.raises(KpiInputError, match="not delinquent"):
        cure_rate([DelinquentAccount("A", "current", Decimal(100))], {"A": "current"})


def test_an_account_without_an_end_state_is_an_error_naming_it():
    with pytest.raises(KpiInputError, match="C7"):
        cure_rate([DelinquentAccount("C7", "1-30", Decimal(100))], {})


def test_no_delinquent_accounts_is_undefined():
    result = cure_rate([], {})
    assert_undefined(result.count_rate, Reason.NO_DELINQUENT_ACCOUNTS)
    assert_undefined(result.balance_rate, Reason.NO_DELINQUENT_ACCOUNTS)
