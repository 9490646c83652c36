"""Numbers, results and errors shared by every KPI (KPIS.md §0).

Arithmetic is exact: every input is converted to a :class:`fractions.Fraction` (an exact image of
the Decimal, int or Fraction given) and nothing is rounded until a figure is displayed. Display
rounding is 2 decimal places, ROUND_HALF_UP (ties away from zero), computed from the exact value
so there is no double rounding.

Undefined results are a :class:`KpiResult` whose ``value`` is ``None`` and whose ``reason`` names
why; they are never 0, infinity or NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Any

Number = int | Decimal | Fraction
"""What KPI functions accept for amounts and counts. ``float`` is refused (money is never float)."""

DISPLAY_PLACES = 2
VALUE_PRECISION = 34  # significant digits of ``KpiResult.value``; ``exact`` keeps the exact rational


class KpiInputError(ValueError):
    """The inputs cannot give a meaningful figure (wrong type, mixed currencies, inconsistent data)."""


class CurrencyMismatchError(KpiInputError):
    pass


class MethodMismatchError(KpiInputError):
    pass


class InconsistentDataError(KpiInputError):
    """The data feed contradicts itself (e.g. current AR above total AR): do not compute."""


class Reason(StrEnum):
    """Why a KPI is undefined (``value is None``)."""

    ZERO_CREDIT_SALES = "ZERO_CREDIT_SALES"
    ZERO_DENOMINATOR = "ZERO_DENOMINATOR"
    NON_POSITIVE_TOTAL_AR = "NON_POSITIVE_TOTAL_AR"
    EMPTY_BUCKET = "EMPTY_BUCKET"
    NO_PAYMENTS = "NO_PAYMENTS"
    NO_EVALUATED_PROMISES = "NO_EVALUATED_PROMISES"
    NO_CLOSED_DISPUTES = "NO_CLOSED_DISPUTES"
    NO_OPEN_DISPUTES = "NO_OPEN_DISPUTES"
    NO_PAST_DUE_ITEMS = "NO_PAST_DUE_ITEMS"
    NO_DELINQUENT_ACCOUNTS = "NO_DELINQUENT_ACCOUNTS"
    ZERO_PLACED = "ZERO_PLACED"
    ZERO_TARGET = "ZERO_TARGET"
    ZERO_FTE = "ZERO_FTE"
    ZERO_ATTEMPTS = "ZERO_ATTEMPTS"
    ZERO_CONNECTS = "ZERO_CONNECTS"
    ZERO_RPCS = "ZERO_RPCS"
    ZERO_ACTUAL = "ZERO_ACTUAL"
    ZERO_FORECAST = "ZERO_FORECAST"
    NON_POSITIVE_AVERAGE_AR = "NON_POSITIVE_AVERAGE_AR"


class Flag(StrEnum):
    """A defined value that needs a caveat when shown."""

    NEGATIVE_AR = "NEGATIVE_AR"
    NEGATIVE_CEI = "NEGATIVE_CEI"
    HISTORY_EXHAUSTED = "HISTORY_EXHAUSTED"  # countback: value is a lower bound, show "≥ N days"


class Unit(StrEnum):
    DAYS = "days"
    PERCENT = "percent"
    MONEY = "money"


def to_fraction(value: Any, name: str = "value") -> Fraction:
    """Exact conversion of an int, Decimal or Fraction. Floats, bools and non-finite Decimals are refused."""
    if isinstance(value, (bool, float)):
        raise KpiInputError(f"{name}: {type(value).__name__} is not accepted; pass a Decimal, int or Fraction")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise KpiInputError(f"{name}: {value} is not a finite amount")
        return Fraction(value)
    if isinstance(value, int | Fraction):
        return Fraction(value)
    raise KpiInputError(f"{name}: expected a Decimal, int or Fraction, got {type(value).__name__} {value!r}")


EXACT = Context(prec=200, traps=[Inexact, InvalidOperation, Overflow, DivisionByZero])
"""Decimal context for sums of money: any inexact result raises instead of rounding."""


def to_money(value: Any, name: str = "amount") -> Decimal:
    """A money amount as an exact Decimal (int or finite Decimal); the fast path for item-level sums."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise KpiInputError(f"{name}: {value} is not a finite amount")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise KpiInputError(f"{name}: expected a Decimal or int amount, got {type(value).__name__} {value!r}")


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Sum Decimals without rounding (raises ``decimal.Inexact`` rather than lose a digit)."""
    total = Decimal(0)
    for v in values:
        total = EXACT.add(total, v)
    return total


def to_decimal(value: Fraction) -> Decimal:
    """The exact rational as a Decimal with 34 significant digits (exact whenever it terminates within them)."""
    with localcontext() as ctx:
        ctx.prec = VALUE_PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)


def round_half_up(value: Fraction | Decimal | int, places: int = DISPLAY_PLACES) -> Decimal:
    """Round an exact value for display: ``places`` decimals, ties away from zero (ROUND_HALF_UP)."""
    exact = to_fraction(value)
    scaled = abs(exact) * 10**places
    units = math.floor(scaled + Fraction(1, 2))
    if exact < 0 and units:
        units = -units
    return Decimal(units).scaleb(-places)


def percent(numerator: Fraction, denominator: Fraction) -> Fraction:
    return numerator / denominator * 100


@dataclass(frozen=True, slots=True)
class KpiResult:
    """One KPI figure: the exact value, or ``None`` with a reason code; flags; the method used.

    ``basis`` identifies the inputs the figure was computed on (e.g. credit sales and days), so that
    figures that must share a basis (DSO and BPDSO for ADD) can be checked before they are combined.
    """

    kpi: str
    unit: Unit
    exact: Fraction | None
    reason: Reason | None = None
    flags: frozenset[Flag] = field(default_factory=frozenset)
    method: str | None = None
    basis: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if (self.exact is None) == (self.reason is None):
            raise ValueError("a KpiResult has either an exact value or a reason, not both or neither")

    @classmethod
    def of(cls, kpi: str, unit: Unit, exact: Fraction, *, flags: Iterable[Flag] = (), **kw: Any) -> KpiResult:
        return cls(kpi=kpi, unit=unit, exact=Fraction(exact), flags=frozenset(flags), **kw)

    @classmethod
    def undefined(cls, kpi: str, unit: Unit, reason: Reason, *, flags: Iterable[Flag] = (), **kw: Any) -> KpiResult:
        return cls(kpi=kpi, unit=unit, exact=None, reason=reason, flags=frozenset(flags), **kw)

    @property
    def is_defined(self) -> bool:
        return self.exact is not None

    @property
    def value(self) -> Decimal | None:
        return None if self.exact is None else to_decimal(self.exact)

    @property
    def display(self) -> Decimal | None:
        """The value rounded for display: 2 dp, ROUND_HALF_UP."""
        return None if self.exact is None else round_half_up(self.exact)

    @property
    def history_exhausted(self) -> bool:
        return Flag.HISTORY_EXHAUSTED in self.flags

    def text(self) -> str:
        """Human-readable figure: ``41.67``, ``≥ 69.33`` for a countback lower bound, ``n/a (REASON)``."""
        if self.exact is None:
            return f"n/a ({self.reason})"
        shown = str(self.display)
        return f"≥ {shown}" if self.history_exhausted else shown

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as strings (exact value to 34 digits, display to 2 dp)."""
        return {
            "kpi": self.kpi,
            "unit": str(self.unit),
            "value": None if self.value is None else str(self.value),
            "display": None if self.display is None else str(self.display),
            "reason": None if self.reason is None else str(self.reason),
            "flags": sorted(str(f) for f in self.flags),
            "method": self.method,
        }


def check_single_currency(rows: Iterable[Any], what: str) -> str | None:
    """All rows of one computation must share one currency (``currency=None`` means "not stated")."""
    seen: set[str] = set()
    for row in rows:
        code = getattr(row, "currency", None)
        if code is not None:
            seen.add(code)
    if len(seen) > 1:
        raise CurrencyMismatchError(
            f"{what}: one computation mixes currencies {sorted(seen)}; convert to the reporting currency first"
        )
    return next(iter(seen), None)


def require_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise KpiInputError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def require_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise KpiInputError(f"{name} must be a positive whole number, got {value!r}")
    return value


def require_non_negative(name: str, value: Any) -> Fraction:
    exact = to_fraction(value, name)
    if exact < 0:
        raise KpiInputError(f"{name} must not be negative, got {value}")
    return exact
