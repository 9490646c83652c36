"""Tunable rules for cash application: defaults here, overridable in Django settings (read at call time).

| Setting                                  | Default | Meaning                                                  |
|------------------------------------------|---------|----------------------------------------------------------|
| ARREARS_CASH_AUTO_THRESHOLD              | 0.9     | confidence at or above which a match is posted at once    |
| ARREARS_CASH_SUGGEST_THRESHOLD           | 0.5     | below it a line goes to the queue as unmatched            |
| ARREARS_CASH_SUBSET_MAX_DOCUMENTS        | 12      | a customer's oldest documents tried for combined payments |
| ARREARS_CASH_NAME_MIN_SIMILARITY         | 0.86    | fuzzy name similarity needed to name a customer           |
| ARREARS_CASH_BULK_POST_FROM              | 200     | from this many automatic matches, post in bulk            |
| ARREARS_STATEMENT_MAX_UPLOAD_MB          | 50      | largest statement file accepted                           |
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from arrears.payments.matching import MatchConfig


def match_config() -> MatchConfig:
    return MatchConfig(
        auto_threshold=float(getattr(settings, "ARREARS_CASH_AUTO_THRESHOLD", 0.9)),
        suggest_threshold=float(getattr(settings, "ARREARS_CASH_SUGGEST_THRESHOLD", 0.5)),
        subset_max_documents=int(getattr(settings, "ARREARS_CASH_SUBSET_MAX_DOCUMENTS", 12)),
        name_min_similarity=float(getattr(settings, "ARREARS_CASH_NAME_MIN_SIMILARITY", 0.86)),
    )


def bulk_post_from() -> int:
    return int(getattr(settings, "ARREARS_CASH_BULK_POST_FROM", 200))


def max_upload_bytes() -> int:
    return int(Decimal(getattr(settings, "ARREARS_STATEMENT_MAX_UPLOAD_MB", 50)) * 1024 * 1024)
