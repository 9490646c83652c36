"""Error codes of the analytics app; the message always names what to fix (a date, a currency...)."""

from __future__ import annotations

from enum import StrEnum


class AnalyticsErrorCode(StrEnum):
    NO_FX_RATE = "no_fx_rate"
    BAD_PERIOD = "bad_period"
    BAD_GROUPING = "bad_grouping"
    CURRENCY_REQUIRED = "currency_required"
    BAD_CURRENCY = "bad_currency"


class AnalyticsError(ValueError):
    def __init__(self, code: AnalyticsErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
