"""Formatting for the portal's own templates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from arrears.common.money import Money, MoneyError

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    try:
        return Money(Decimal(str(amount)), currency).format("en")
    except (MoneyError, ArithmeticError, ValueError):
        return f"{amount} {currency}".strip()


@register.filter
def iban_format(value: str) -> str:
    compact = (value or "").replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
