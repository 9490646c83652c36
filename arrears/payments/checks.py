"""System checks: the cash-application settings are well formed."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from arrears.payments import conf


@register()
def check_cash_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    try:
        cfg = conf.match_config()
    except (TypeError, ValueError):
        return [Error("ARREARS_CASH_* settings must be numbers", id="payments.E001")]
    if not 0 < cfg.auto_threshold <= 1:
        errors.append(Error("ARREARS_CASH_AUTO_THRESHOLD must be in (0, 1]", id="payments.E002"))
    if not 0 <= cfg.suggest_threshold <= cfg.auto_threshold:
        errors.append(Error("ARREARS_CASH_SUGGEST_THRESHOLD must be in [0, auto threshold]", id="payments.E003"))
    if not 1 <= cfg.subset_max_documents <= 20:
        errors.append(Error("ARREARS_CASH_SUBSET_MAX_DOCUMENTS must be between 1 and 20", id="payments.E004"))
    return errors
