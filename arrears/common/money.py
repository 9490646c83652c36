"""Money is a Decimal plus an ISO 4217 currency, always together (ADR 0001).

Quantising happens in one place, with a named rounding mode, to the currency's own exponent
(JPY 0, EUR 2, BHD 3), taken from babel's CLDR data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

ROUNDING = ROUND_HALF_UP
MAX_DIGITS = 20
DECIMAL_PLACES = 3


class MoneyError(ValueError):
    pass


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in known_currencies():
        raise MoneyError(f"unknown currency {code!r} (expected an ISO 4217 code such as EUR or USD)")
    return code


@cache
def currency_exponent(code: str) -> int:
    return int(get_currency_precision(check_currency(code)))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half-up."""
    exp = currency_exponent(currency)
    return amount.quantize(Decimal(1).scaleb(-exp), rounding=ROUNDING)


def parse_amount(text: str | int | Decimal, currency: str) -> Decimal:
    """Parse an amount exactly; refuse more precision than the currency has."""
    if isinstance(text, Decimal):
        value = text
    else:
        raw = str(text).strip().replace(",", "") if isinstance(text, str) else str(text)
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise MoneyError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not a finite amount: {text!r}")
    exp = currency_exponent(currency)
    if value != value.quantize(Decimal(1).scaleb(-exp), rounding=ROUNDING):
        raise MoneyError(f"{text!r} has more than {exp} decimal places for {currency}")
    return quantize(value, currency)


def to_minor(amount: Decimal, currency: str) -> int:
    return int(quantize(amount, currency).scaleb(currency_exponent(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-currency_exponent(currency)), currency)


def split_evenly(total: Decimal, parts: int, currency: str) -> list[Decimal]:
    """Split `total` into `parts` amounts that sum exactly; the first ones carry the remainder."""
    if parts <= 0:
        raise MoneyError("parts must be positive")
    units = to_minor(total, currency)
    base, rest = divmod(units, parts)
    return [from_minor(base + (1 if i < rest else 0), currency) for i in range(parts)]


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", check_currency(self.currency))
        object.__setattr__(self, "amount", quantize(Decimal(self.amount), self.currency))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def format(self, locale: str = "en") -> str:
        return format_currency(self.amount, self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
