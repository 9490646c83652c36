"""Tunable rules for promises and plans: defaults here, overridable in Django settings.

Settings are read when a function is called, never at import time, so tests can override them.

| Setting                               | Default                | Meaning                                          |
|---------------------------------------|------------------------|--------------------------------------------------|
| ARREARS_PROMISE_GRACE_DAYS            | 3                      | days after the promised date a payment counts    |
| ARREARS_INSTALMENT_GRACE_DAYS         | 3                      | days after a due date before an instalment is missed |
| ARREARS_PLAN_DEFAULT_AFTER_MISSED     | 2                      | missed (unpaid) instalments that default a plan  |
| ARREARS_PLAN_APPROVAL_LIMITS          | APPROVAL_LIMITS below  | per role: the largest plan it may approve        |
| ARREARS_PLAN_CHARGE_LIMITS            | CHARGE_LIMITS below    | per jurisdiction: the fee and interest allowed   |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from arrears.ledger.models import Jurisdiction
from arrears.users.models import Role


@dataclass(frozen=True)
class ApprovalLimit:
    """The largest plan a role may make active on its own. None = no limit on that dimension."""

    max_instalments: int | None
    max_total: Decimal | None
    max_total_by_currency: dict[str, Decimal] = field(default_factory=dict)

    def allows(self, *, instalments: int, total: Decimal, currency: str) -> bool:
        if self.max_instalments is not None and instalments > self.max_instalments:
            return False
        cap = self.max_total_by_currency.get(currency, self.max_total)
        return cap is None or total <= cap


@dataclass(frozen=True)
class ChargeLimit:
    """What a plan may add on top of the open amount, for one jurisdiction.

    `max_fee` is a fixed amount in `fee_currency` (a plan in another currency may not charge a fee);
    `max_interest_rate` is simple annual interest in percent on the principal, from the day the plan
    is made to its last due date.
    """

    max_fee: Decimal
    fee_currency: str
    max_interest_rate: Decimal
    basis: str


UNLIMITED = ApprovalLimit(max_instalments=None, max_total=None)

APPROVAL_LIMITS: dict[str, ApprovalLimit | None] = {
    Role.COLLECTOR: ApprovalLimit(max_instalments=6, max_total=Decimal("5000"), max_total_by_currency={"JPY": Decimal("750000")}),
    Role.LEAD: ApprovalLimit(max_instalments=12, max_total=Decimal("50000"), max_total_by_currency={"JPY": Decimal("7500000")}),
    Role.HEAD: UNLIMITED,
    Role.ADMIN: UNLIMITED,
    Role.AUDITOR: None,  # read only: may neither make nor approve plans
}

CHARGE_LIMITS: dict[str, ChargeLimit] = {
    Jurisdiction.US_CONSUMER: ChargeLimit(
        Decimal("0"), "USD", Decimal("0"),
        "FDCPA 15 USC 1692f(1): no amount beyond the debt unless the agreement or law expressly allows it",
    ),
    Jurisdiction.US_COMMERCIAL: ChargeLimit(
        Decimal("50"), "USD", Decimal("18"), "contractual; 18 % a year is a common usury-safe ceiling",
    ),
    Jurisdiction.UK: ChargeLimit(
        Decimal("0"), "GBP", Decimal("8"),
        "FCA CONC 7.7: charges must be fair and cost-reflective; no plan fee, interest at most 8 % a year",
    ),
    Jurisdiction.EU_B2B: ChargeLimit(
        Decimal("40"), "EUR", Decimal("12"),
        "Directive 2011/7/EU: fixed 40 EUR recovery compensation; reference rate + 8 points (about 12 %)",
    ),
    Jurisdiction.IN: ChargeLimit(
        Decimal("0"), "INR", Decimal("18"), "no plan fee; interest within 18 % a year (MSMED Act: 3x bank rate)",
    ),
    Jurisdiction.OTHER: ChargeLimit(
        Decimal("0"), "EUR", Decimal("0"), "unknown rules: no charges until configured",
    ),
}


def promise_grace_days() -> int:
    return int(getattr(settings, "ARREARS_PROMISE_GRACE_DAYS", 3))


def instalment_grace_days() -> int:
    return int(getattr(settings, "ARREARS_INSTALMENT_GRACE_DAYS", 3))


def plan_default_after_missed() -> int:
    return int(getattr(settings, "ARREARS_PLAN_DEFAULT_AFTER_MISSED", 2))


def _approval_limit(value: Any) -> ApprovalLimit | None:
    if value is None or isinstance(value, ApprovalLimit):
        return value
    by_currency = {k: Decimal(str(v)) for k, v in (value.get("max_total_by_currency") or {}).items()}
    max_total = value.get("max_total")
    return ApprovalLimit(
        max_instalments=value.get("max_instalments"),
        max_total=None if max_total is None else Decimal(str(max_total)),
        max_total_by_currency=by_currency,
    )


def approval_limit(role: str) -> ApprovalLimit | None:
    """The limit for a role; None = this role may not make plans active at all."""
    limits = {**APPROVAL_LIMITS, **getattr(settings, "ARREARS_PLAN_APPROVAL_LIMITS", {})}
    return _approval_limit(limits.get(role))


def charge_limit(jurisdiction: str) -> ChargeLimit:
    limits = {**CHARGE_LIMITS, **getattr(settings, "ARREARS_PLAN_CHARGE_LIMITS", {})}
    value = limits.get(jurisdiction, limits[Jurisdiction.OTHER])
    if isinstance(value, ChargeLimit):
        return value
    return ChargeLimit(
        max_fee=Decimal(str(value.get("max_fee", "0"))),
        fee_currency=str(value.get("fee_currency", "EUR")),
        max_interest_rate=Decimal(str(value.get("max_interest_rate", "0"))),
        basis=str(value.get("basis", "configured")),
    )
