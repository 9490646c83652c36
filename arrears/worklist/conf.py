"""Tunable rules for the worklist: defaults here, overridable in Django settings (read at call time).

| Setting                              | Default | Meaning                                                        |
|--------------------------------------|---------|----------------------------------------------------------------|
| ARREARS_WORKLIST_LOOKBACK_DAYS       | 7       | how far back a strategy action, event or warning still counts  |
| ARREARS_WORKLIST_MIN_WARNING_SEVERITY| 2       | early warnings from this severity (1 low, 2 medium, 3 high) up |
| ARREARS_REPORTING_CURRENCY           | EUR     | the currency the worklist's expected values are compared in    |
"""

from __future__ import annotations

from django.conf import settings


def lookback_days() -> int:
    return int(getattr(settings, "ARREARS_WORKLIST_LOOKBACK_DAYS", 7))


def min_warning_severity() -> int:
    return int(getattr(settings, "ARREARS_WORKLIST_MIN_WARNING_SEVERITY", 2))


def reporting_currency() -> str:
    return str(getattr(settings, "ARREARS_REPORTING_CURRENCY", "EUR"))
