"""Tunable rules for the portal: defaults here, overridable in Django settings (read at call time).

| Setting                                 | Default  | Meaning                                                   |
|-----------------------------------------|----------|-----------------------------------------------------------|
| ARREARS_PORTAL_LINK_DAYS                | 30       | days a portal link stays valid                            |
| ARREARS_PORTAL_LOOKUP_LIMIT             | (30,600) | failed link lookups per IP per window (seconds) -> 429    |
| ARREARS_PORTAL_POST_LIMIT               | (60,600) | portal form posts per IP per window (seconds) -> 429      |
| ARREARS_PORTAL_PROMISE_MAX_DAYS         | 30       | latest promised date, in days from today                  |
| ARREARS_PORTAL_PROMISE_MIN_PERCENT      | 10       | smallest promise, in percent of the balance promised on   |
| ARREARS_PORTAL_PROMISE_MIN_AMOUNT       | 10       | ... but at least this much (capped at the balance)        |
| ARREARS_PORTAL_PLAN_MAX_INSTALMENTS     | 6        | most instalments a customer may ask for                   |
| ARREARS_PORTAL_PLAN_MIN_INSTALMENT      | 25       | smallest instalment amount                                |
| ARREARS_PORTAL_PLAN_MAX_FIRST_DUE_DAYS  | 30       | latest first instalment, in days from today               |
| ARREARS_PAYMENT_PROVIDER                | {}       | hosted checkout: {"url", "api_key", "webhook_secret", "name"} |
| ARREARS_PAYMENT_WEBHOOK_TOLERANCE       | 300      | seconds a webhook signature's timestamp may be off        |
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings


def link_days() -> int:
    return int(getattr(settings, "ARREARS_PORTAL_LINK_DAYS", 30))


def lookup_limit() -> tuple[int, int]:
    count, window = getattr(settings, "ARREARS_PORTAL_LOOKUP_LIMIT", (30, 600))
    return int(count), int(window)


def post_limit() -> tuple[int, int]:
    count, window = getattr(settings, "ARREARS_PORTAL_POST_LIMIT", (60, 600))
    return int(count), int(window)


@dataclass(frozen=True)
class PromisePolicy:
    max_days: int
    min_percent: Decimal
    min_amount: Decimal


def promise_policy() -> PromisePolicy:
    return PromisePolicy(
        max_days=int(getattr(settings, "ARREARS_PORTAL_PROMISE_MAX_DAYS", 30)),
        min_percent=Decimal(str(getattr(settings, "ARREARS_PORTAL_PROMISE_MIN_PERCENT", 10))),
        min_amount=Decimal(str(getattr(settings, "ARREARS_PORTAL_PROMISE_MIN_AMOUNT", 10))),
    )


@dataclass(frozen=True)
class PlanPolicy:
    max_instalments: int
    min_instalment: Decimal
    max_first_due_days: int


def plan_policy() -> PlanPolicy:
    return PlanPolicy(
        max_instalments=int(getattr(settings, "ARREARS_PORTAL_PLAN_MAX_INSTALMENTS", 6)),
        min_instalment=Decimal(str(getattr(settings, "ARREARS_PORTAL_PLAN_MIN_INSTALMENT", 25))),
        max_first_due_days=int(getattr(settings, "ARREARS_PORTAL_PLAN_MAX_FIRST_DUE_DAYS", 30)),
    )


def provider_settings() -> dict[str, str]:
    return dict(getattr(settings, "ARREARS_PAYMENT_PROVIDER", {}) or {})


def webhook_tolerance() -> int:
    return int(getattr(settings, "ARREARS_PAYMENT_WEBHOOK_TOLERANCE", 300))
