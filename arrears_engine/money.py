"""Money in the engine is int64 minor units; conversion to and from Decimal happens here, exactly.

The Django side stores ``Decimal`` amounts with a currency (ADR 0001). The engine never sees a float:
the loader converts each amount once with :func:`to_minor` (or in SQL, ``(amount * 10^exp)::bigint``)
and the writer converts totals back with :func:`from_minor`. The exponent is the currency's number of
minor-unit digits (EUR 2, JPY 0, BHD 3); the caller looks it up (``arrears.common.money``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

INT64_MAX = int(np.iinfo(np.int64).max)
MAX_EXPONENT = 6


class MinorUnitError(ValueError):
    pass


def _check_exponent(exponent: int) -> None:
    if not isinstance(exponent, int) or not 0 <= exponent <= MAX_EXPONENT:
        raise MinorUnitError(f"exponent must be an int between 0 and {MAX_EXPONENT}, got {exponent!r}")


def to_minor(amount: Decimal, exponent: int, *, rounding: str | None = None) -> int:
    """``Decimal('12.34')`` with exponent 2 -> ``1234``.

    By default the amount must already be exact in minor units (more digits raise). Pass
    ``rounding=decimal.ROUND_HALF_UP`` (or another named mode) to round instead.
    """
    _check_exponent(exponent)
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise MinorUnitError(f"amount must be a Decimal or an int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise MinorUnitError(f"amount is not finite: {amount!r}")
    scaled = value.scaleb(exponent)
    whole = scaled.to_integral_value(rounding=rounding or ROUND_HALF_UP)
    if rounding is None and whole != scaled:
        raise MinorUnitError(f"{amount} has more than {exponent} decimal places")
    units = int(whole)
    if abs(units) > INT64_MAX:
        raise MinorUnitError(f"{amount} does not fit in int64 minor units")
    return units


def from_minor(units: int | np.integer, exponent: int) -> Decimal:
    """``1234`` with exponent 2 -> ``Decimal('12.34')`` (always exactly ``exponent`` places)."""
    _check_exponent(exponent)
    return Decimal(int(units)).scaleb(-exponent)


def to_minor_array(amounts: Iterable[Decimal], exponent: int | Sequence[int]) -> np.ndarray:
    """Convert many amounts to an int64 array; ``exponent`` may be one int or one per amount."""
    values = list(amounts)
    exps = [exponent] * len(values) if isinstance(exponent, int) else list(exponent)
    if len(exps) != len(values):
        raise MinorUnitError(f"{len(values)} amounts but {len(exps)} exponents")
    out = np.empty(len(values), dtype=np.int64)
    for i, (amount, exp) in enumerate(zip(values, exps, strict=True)):
        try:
            out[i] = to_minor(amount, exp)
        except MinorUnitError as exc:
            raise MinorUnitError(f"row {i}: {exc}") from exc
    return out


def from_minor_array(units: np.ndarray, exponent: int | Sequence[int]) -> list[Decimal]:
    if units.dtype != np.int64:
        raise MinorUnitError(f"minor units must be int64, got {units.dtype}")
    exps = [exponent] * len(units) if isinstance(exponent, int) else list(exponent)
    return [from_minor(u, e) for u, e in zip(units.tolist(), exps, strict=True)]
