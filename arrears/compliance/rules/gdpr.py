"""GDPR deadlines and erasure scoping (COMPLIANCE.md §6)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from .calendar import add_months


def access_request_due(received_on: dt.date, *, extended: bool = False) -> dt.date:
    """Art 12(3): one month after receipt (same day-number, or the month's last day), extendable by
    two further months when the requester is told within the first month."""
    return add_months(received_on, 3 if extended else 1)


class ErasureOutcome(StrEnum):
    ERASE = "ERASE"
    PARTIAL = "PARTIAL"
    RESTRICT = "RESTRICT"


@dataclass(frozen=True, slots=True)
class ErasurePlan:
    outcome: ErasureOutcome
    erase: tuple[str, ...]
    retain: tuple[str, ...]
    reasons: tuple[str, ...]


NON_ESSENTIAL = ("marketing_data", "stale_contact_data", "behavioural_scores")
COLLECTION_RECORDS = ("collection_records", "call_recordings", "correspondence", "ledger_entries")


def erasure_plan(
    *,
    debt_open: bool,
    litigation_pending: bool = False,
    identity_theft: bool = False,
    retention_until: dt.date | None = None,
    today: dt.date,
) -> ErasurePlan:
    """Art 17(3)(b),(e): keep what a legal obligation or a legal claim needs, erase the rest."""
    if identity_theft:
        return ErasurePlan(
            ErasureOutcome.RESTRICT,
            erase=NON_ESSENTIAL,
            retain=COLLECTION_RECORDS,
            reasons=("identity-theft case: restrict processing promptly, keep evidence for the investigation",),
        )
    reasons = []
    if debt_open:
        reasons.append("debt open: records needed to establish and exercise the claim (Art 17(3)(e))")
    if litigation_pending:
        reasons.append("litigation pending: records needed to defend legal claims (Art 17(3)(e))")
    if retention_until is not None and today <= retention_until:
        reasons.append(f"statutory retention until {retention_until} (Art 17(3)(b); 12 CFR 1006.100)")
    if reasons:
        return ErasurePlan(ErasureOutcome.PARTIAL, erase=NON_ESSENTIAL, retain=COLLECTION_RECORDS, reasons=tuple(reasons))
    return ErasurePlan(
        ErasureOutcome.ERASE,
        erase=NON_ESSENTIAL + COLLECTION_RECORDS,
        retain=(),
        reasons=("debt closed and retention periods passed",),
    )
