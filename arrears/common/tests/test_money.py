from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.common.money import Money, MoneyError, from_minor, parse_amount, split_evenly, to_minor


@pytest.mark.parametrize(("currency", "units", "amount"), [("EUR", 12345, "123.45"), ("JPY", 500, "500"), ("BHD", 1234, "1.234")])
def test_minor_units_follow_the_currency_exponent(currency, units, amount):
    assert to_minor(Decimal(amount), currency) == units
    assert from_minor(units, currency) == Decimal(amount)


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["EUR", "USD", "JPY", "BHD", "INR"]))
def test_minor_units_round_trip(units, currency):
    assert to_minor(from_minor(units, currency), currency) == units


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=60))
def test_split_evenly_sums_exactly(units, parts):
    total = from_minor(units, "EUR")
    pieces = split_evenly(total, parts, "EUR")
    assert sum(pieces) == total
    assert max(pieces) - min(pieces) <= Decimal("0.01")


def test_unknown_currency_and_excess_precision_are_refused():
    with pytest.raises(MoneyError, match="unknown currency"):
        Money(Decimal(1), "XYZ")
    with pytest.raises(MoneyError, match="decimal places"):
        parse_amount("1.234", "EUR")


def test_money_refuses_to_mix_currencies():
    with pytest.raises(MoneyError):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")
