"""Conversion to the reporting currency (KPIS.md §0).

Balances use the rate of the period end (the latest `FxRate` on or before the balance date); sales,
cash and write-offs the rate of their transaction date (the latest on or before that day). Amounts
are converted exactly (Decimal × Decimal) and never rounded before a figure is shown.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from arrears.analytics.errors import AnalyticsError, AnalyticsErrorCode
from arrears.ledger.fx import FxRateMissing
from arrears.ledger.fx import FxTable as LedgerFxTable


class FxTable(LedgerFxTable):
    """The ledger's table (`arrears.ledger.fx`); a missing rate is an `AnalyticsError` (NO_FX_RATE)."""

    def rate(self, currency: str, on: dt.date) -> Decimal:
        try:
            return super().rate(currency, on)
        except FxRateMissing as exc:
            raise AnalyticsError(AnalyticsErrorCode.NO_FX_RATE, str(exc)) from exc
