"""System checks for the portal's settings."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register

from arrears.portal import conf


@register()
def portal_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    problems: list[Any] = []
    try:
        policy, plan = conf.promise_policy(), conf.plan_policy()
        conf.lookup_limit(), conf.post_limit()
    except (TypeError, ValueError, ArithmeticError) as exc:
        return [Error(f"portal settings are malformed: {exc}", id="portal.E001")]
    if policy.max_days < 0 or policy.min_percent < 0 or policy.min_amount < 0:
        problems.append(Error("ARREARS_PORTAL_PROMISE_* may not be negative", id="portal.E002"))
    if plan.max_instalments < 1 or plan.min_instalment < 0:
        problems.append(Error("ARREARS_PORTAL_PLAN_MAX_INSTALMENTS must be 1 or more", id="portal.E003"))
    provider = conf.provider_settings()
    if provider and not provider.get("webhook_secret"):
        problems.append(Warning("ARREARS_PAYMENT_PROVIDER has no webhook_secret: webhooks are refused", id="portal.W001"))
    return problems
