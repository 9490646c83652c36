"""Conversion to one reporting currency: the latest `FxRate` on or before a day (KPIS.md §0).

Amounts are converted exactly (Decimal × Decimal) and never rounded here. Analytics (KPIs) and the
dunning experiment report both convert with this table; each turns a missing rate into its own error.
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal

from arrears.ledger.models import FxRate


class FxRateMissing(LookupError):
    """No rate from ``currency`` to ``target`` on or before ``on``."""

    def __init__(self, currency: str, target: str, on: dt.date) -> None:
        super().__init__(
            f"no FX rate from {currency} to {target} on or before {on.isoformat()}: "
            f"add one (FxRate {currency}->{target}) or report in {currency}"
        )
        self.currency, self.target, self.on = currency, target, on


class FxTable:
    """Direct rates from each currency to one reporting currency, loaded once per report."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._dates: dict[str, list[dt.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        self.used: dict[str, set[tuple[dt.date, Decimal]]] = {}  # the rates the report relied on

    def _load(self, currency: str) -> None:
        rows = list(
            FxRate.objects.filter(currency=currency, quote_currency=self.target)
            .order_by("date").values_list("date", "rate")
        )
        self._dates[currency] = [d for d, _ in rows]
        self._rates[currency] = [r for _, r in rows]

    def rate(self, currency: str, on: dt.date) -> Decimal:
        """1 `currency` in the reporting currency on `on` (the latest rate on or before it)."""
        if currency == self.target:
            return Decimal(1)
        if currency not in self._dates:
            self._load(currency)
        i = bisect.bisect_right(self._dates[currency], on)
        if i == 0:
            raise FxRateMissing(currency, self.target, on)
        rate = self._rates[currency][i - 1]
        self.used.setdefault(currency, set()).add((self._dates[currency][i - 1], rate))
        return rate

    def convert(self, amount: Decimal, currency: str, on: dt.date) -> Decimal:
        return amount if currency == self.target else amount * self.rate(currency, on)
