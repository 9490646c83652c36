"""The decision contract of COMPLIANCE.md §0.1: an outcome, the rule hits, and the earliest allowed time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ALLOW = "ALLOW"
    ALLOW_WITH_FLAG = "ALLOW_WITH_FLAG"
    REVIEW = "REVIEW"
    BLOCK = "BLOCK"


# Combination order (§0.1): any BLOCK => BLOCK; else any REVIEW => REVIEW; else any flag => flag.
_SEVERITY = {Outcome.ALLOW: 0, Outcome.ALLOW_WITH_FLAG: 1, Outcome.REVIEW: 2, Outcome.BLOCK: 3}


def combine(outcomes: list[Outcome] | tuple[Outcome, ...]) -> Outcome:
    worst = Outcome.ALLOW
    for outcome in outcomes:
        if _SEVERITY[outcome] > _SEVERITY[worst]:
            worst = outcome
    return worst


def _plain(value: Any) -> Any:
    """Inputs as JSON-ready values: Decimals as strings, dates/datetimes ISO, sets sorted lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class RuleHit:
    """The result of one rule: passes are recorded too, so the audit log shows what was checked."""

    rule_id: str  # as in COMPLIANCE.md, e.g. "US-TIME"
    outcome: Outcome
    code: str  # machine reason, e.g. "INCONVENIENT_TIME"; "OK" when the rule passes
    message: str  # the reason in words
    source: str  # citation
    inputs: dict[str, Any] = field(default_factory=dict)
    next_allowed_at: dt.datetime | None = None  # when this rule alone would pass (time-limited blocks)

    @property
    def blocks(self) -> bool:
        return self.outcome == Outcome.BLOCK

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "outcome": self.outcome.value,
            "code": self.code,
            "message": self.message,
            "source": self.source,
            "inputs": _plain(self.inputs),
            "next_allowed_at": _plain(self.next_allowed_at),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    hits: tuple[RuleHit, ...]
    next_allowed_at: dt.datetime | None = None  # earliest UTC instant the same action would pass
    alerts: tuple[str, ...] = ()  # compliance alerts raised as a side effect, e.g. VALIDATION_LATE
    evaluated_at: dt.datetime | None = None  # the planned contact's instant

    @property
    def allowed(self) -> bool:
        """True for ALLOW and ALLOW_WITH_FLAG: the contact may happen now without a human."""
        return self.outcome in (Outcome.ALLOW, Outcome.ALLOW_WITH_FLAG)

    @property
    def blocking_rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(hit.rule_id for hit in self.hits if hit.outcome == Outcome.BLOCK))

    @property
    def review_rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(hit.rule_id for hit in self.hits if hit.outcome == Outcome.REVIEW))

    @property
    def flagged_rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(hit.rule_id for hit in self.hits if hit.outcome == Outcome.ALLOW_WITH_FLAG))

    def hits_for(self, rule_id: str) -> tuple[RuleHit, ...]:
        return tuple(hit for hit in self.hits if hit.rule_id == rule_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "allowed": self.allowed,
            "blocking_rule_ids": list(self.blocking_rule_ids),
            "review_rule_ids": list(self.review_rule_ids),
            "flagged_rule_ids": list(self.flagged_rule_ids),
            "next_allowed_at": _plain(self.next_allowed_at),
            "alerts": list(self.alerts),
            "evaluated_at": _plain(self.evaluated_at),
            "hits": [hit.to_dict() for hit in self.hits],
        }
