"""Why the gate refused or could not decide: one code per kind of problem."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arrears.compliance.models import ComplianceDecision


class ComplianceErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"  # a field of the planned contact or its context is malformed
    CONTACT_MISMATCH = "contact_mismatch"  # the contact person belongs to another customer
    DECISION_MISMATCH = "decision_mismatch"  # the decision was made for another customer
    CONTACT_BLOCKED = "contact_blocked"  # the rules refuse the contact


class ComplianceError(Exception):
    """`field` names the offending input (e.g. `when`, `context.history[0].at`) when there is one."""

    def __init__(self, code: ComplianceErrorCode, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ComplianceBlocked(ComplianceError):
    """A manual contact that breaks a rule: the message names the rule(s) and the reason."""

    def __init__(self, decision: ComplianceDecision) -> None:
        super().__init__(ComplianceErrorCode.CONTACT_BLOCKED, decision.refusal_message())
        self.decision = decision


def field_of(message: str) -> str:
    """The field path a rules-engine message starts with ("context.history[0].at: ..." -> that path)."""
    head, sep, _ = message.partition(":")
    if not sep or " " in head.strip():
        return ""
    return head.strip()
