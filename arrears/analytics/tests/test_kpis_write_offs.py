"""§15 bad-debt write-off ratio."""

from decimal import Decimal

import pytest

from arrears.analytics.kpis import KpiInputError, Reason, average_balance, write_off_ratio

from .kpi_helpers import assert_figure, assert_undefined


def test_write_off_ratio_worked_example_fy_2025():
    result = write_off_ratio(Decimal(27000), Decimal(3600000), Decimal(3000))
    assert_figure(result.gross, "0.75")
    assert result.net.value == Decimal("0.6666666666666666666666666666666667")
    assert_figure(result.net, "0.67")


def test_write_off_ratio_worked_example_fy_2025_to_average_ar_variant():
    result = write_off_ratio(Decimal(27000), Decimal(540000), basis="ar")
    assert result.gross.exact == 5
    assert_figure(result.gross, "5.00")
    assert result.gross.method == "ar"


def test_average_ar_of_the_period_is_the_mean_of_the_balances():
    assert average_balance([Decimal(500000), Decimal(580000)]) == 540000


@pytest.mark.parametrize("credit_sales", [Decimal(0), Decimal(-100)])
def test_write_off_ratio_with_no_positive_credit_sales_is_undefined(credit_sales):
    result = write_off_ratio(Decimal(27000), credit_sales)
    assert_undefined(result.gross, Reason.ZERO_CREDIT_SALES)
    assert_undefined(result.net, Reason.ZERO_CREDIT_SALES)


def test_write_off_ratio_to_ar_with_no_positive_average_ar_is_undefined():
    assert_undefined(write_off_ratio(Decimal(1), Decimal(0), basis="ar").gross, Reason.NON_POSITIVE_AVERAGE_AR)


def test_net_write_off_ratio_may_be_negative_and_is_reported_as_computed():
    result = write_off_ratio(Decimal(1000), Decimal(100000), Decimal(3000))
    assert result.net.exact == -2
    assert result.net.flags == frozenset()


def test_write_offs_and_recoveries_are_not_negative():
    with pytest.raises(KpiInputError, match="write_offs"):
        write_off_ratio(Decimal(-1), Decimal(100))
