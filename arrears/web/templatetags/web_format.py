"""Display helpers for the page templates: money to the currency's own minor unit, days past due."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from arrears.common.money import MoneyError, quantize

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "") -> str:
    """`1234.5|money:"EUR"` -> "1,234.50"; JPY has no decimals, BHD three. Half-up, like the ledger."""
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    with contextlib.suppress(MoneyError):
        value = quantize(value, currency) if currency else value
    return f"{value:,}"


@register.filter
def days_past(due: dt.date | None, as_of: dt.date | None) -> int | str:
    """Days from `due` to `as_of`; negative while not yet due."""
    if due is None or as_of is None:
        return ""
    return (as_of - due).days
