from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears_engine.money import MinorUnitError, from_minor, from_minor_array, to_minor, to_minor_array


@given(st.integers(-(10**15), 10**15), st.integers(0, 3))
def test_minor_units_to_decimal_and_back_is_the_identity(units, exponent):
    assert to_minor(from_minor(units, exponent), exponent) == units


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_decimal_to_minor_units_and_back_is_the_identity(amount):
    assert from_minor(to_minor(amount, 2), 2) == amount


def test_more_precision_than_the_currency_has_is_refused_unless_a_rounding_mode_is_named():
    with pytest.raises(MinorUnitError, match="more than 2 decimal places"):
        to_minor(Decimal("1.005"), 2)
    assert to_minor(Decimal("1.005"), 2, rounding=ROUND_HALF_UP) == 101
    assert to_minor(Decimal("1.005"), 2, rounding=ROUND_HALF_EVEN) == 100


def test_floats_are_refused():
    with pytest.raises(MinorUnitError, match="not float"):
        to_minor(1.5, 2)  # type: ignore[arg-type]


def test_arrays_convert_per_currency_exponent_and_name_the_bad_row():
    units = to_minor_array([Decimal("12.34"), Decimal("500"), Decimal("1.234")], [2, 0, 3])
    assert units.dtype == np.int64
    assert units.tolist() == [1234, 500, 1234]
    assert from_minor_array(units, [2, 0, 3]) == [Decimal("12.34"), Decimal("500"), Decimal("1.234")]
    with pytest.raises(MinorUnitError, match="row 1"):
        to_minor_array([Decimal("1"), Decimal("0.001")], 2)
