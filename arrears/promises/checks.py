"""System checks: the promise and plan settings are well formed (run by `arrears check`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from arrears.promises import conf


@register()
def check_promise_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for name, read in (
        ("ARREARS_PROMISE_GRACE_DAYS", conf.promise_grace_days),
        ("ARREARS_INSTALMENT_GRACE_DAYS", conf.instalment_grace_days),
        ("ARREARS_PLAN_DEFAULT_AFTER_MISSED", conf.plan_default_after_missed),
    ):
        try:
            value = read()
        except (TypeError, ValueError):
            value = -1
        if value < 0 or (name == "ARREARS_PLAN_DEFAULT_AFTER_MISSED" and value < 1):
            errors.append(Error(f"{name} must be a non-negative whole number of days (or >= 1 misses)", id="promises.E001"))
    try:
        for role in conf.APPROVAL_LIMITS:
            conf.approval_limit(role)
        for jurisdiction in conf.CHARGE_LIMITS:
            conf.charge_limit(jurisdiction)
    except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        errors.append(Error(f"ARREARS_PLAN_APPROVAL_LIMITS / ARREARS_PLAN_CHARGE_LIMITS: {exc}", id="promises.E002"))
    return errors
