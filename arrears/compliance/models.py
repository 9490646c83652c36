"""The gate's audit trail: every decision (what was checked, with which facts, and why) and every contact.

`ComplianceDecision.decision` holds `Decision.to_dict()` of the rules engine verbatim: the outcome,
each rule's hit with its inputs and reason, and the earliest allowed time. The other columns are
copies of parts of it, kept for filtering and lists.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from arrears.ledger.models import Channel, Contact, Customer


class Outcome(models.TextChoices):
    ALLOW = "ALLOW", "Allowed"
    ALLOW_WITH_FLAG = "ALLOW_WITH_FLAG", "Allowed with a flag"
    REVIEW = "REVIEW", "Needs compliance review"
    BLOCK = "BLOCK", "Blocked"


class Initiator(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic"
    MANUAL = "manual", "Manual"


class ComplianceDecision(models.Model):
    """One run of the gate over one planned contact."""

    at = models.DateTimeField(help_text="when the gate decided")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="compliance_decisions")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    planned_at = models.DateTimeField(help_text="when the contact was to happen")
    initiated_by = models.CharField(max_length=16, choices=Initiator.choices, default=Initiator.AUTOMATIC)
    purpose = models.CharField(max_length=32, default="collection")
    debt_ids = models.JSONField(default=list, blank=True, help_text="document ids; empty = the whole account")
    allowed = models.BooleanField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    blocking_rules = models.JSONField(default=list, blank=True, help_text="rule ids that blocked, e.g. US-TIME")
    # "|US-TIME|UK-VULN|": every rule that did not simply pass; a portable "decisions by rule" filter
    # (JSON containment is not available on SQLite).
    rule_keys = models.CharField(max_length=500, blank=True, default="")
    reasons = models.TextField(blank=True, help_text="the reasons in words")
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    decision = models.JSONField(help_text="the rules engine's full decision: every rule, its inputs and reason")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=100, blank=True, help_text="who asked: dunning run, call log, ...")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="compliance_decision_customer"),
            models.Index(fields=["-at", "-id"], name="compliance_decision_at"),
            models.Index(fields=["allowed", "-at"], name="compliance_decision_allowed"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.channel} {self.planned_at:%Y-%m-%d %H:%M} customer {self.customer_id}"

    @property
    def hits(self) -> list[dict[str, Any]]:
        return list((self.decision or {}).get("hits", []))

    @property
    def failing_hits(self) -> list[dict[str, Any]]:
        """The rule hits that did not simply pass (blocks first, then reviews, then flags)."""
        order = {"BLOCK": 0, "REVIEW": 1, "ALLOW_WITH_FLAG": 2}
        return sorted((h for h in self.hits if h.get("outcome") in order), key=lambda h: order[h["outcome"]])

    def refusal_message(self) -> str:
        """`Refused by US-TIME: America/Los_Angeles: 22:00 is outside 08:00-21:00. Next allowed ...`."""
        stopping = [h for h in self.failing_hits if h["outcome"] in ("BLOCK", "REVIEW")]
        if not stopping:
            return "Allowed"
        verb = "Refused by" if any(h["outcome"] == "BLOCK" for h in stopping) else "Needs compliance review:"
        parts = "; ".join(f"{h['rule_id']}: {h['message']}" for h in stopping)
        text = f"{verb} {parts}."
        if self.next_allowed_at is not None:
            text += f" Next allowed at {self.next_allowed_at:%Y-%m-%d %H:%M} UTC."
        return text


class AttemptOutcome(models.TextChoices):
    ATTEMPTED = "attempted", "Attempted"
    DELIVERED = "delivered", "Delivered"
    CONVERSATION = "conversation", "Conversation (right party)"
    FAILED = "failed", "Failed (not connected / not sent)"


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class ContactAttempt(models.Model):
    """Every contact with a customer, any channel, automatic or manual: the history the caps count."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contact_attempts")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.OUTBOUND)
    at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.ATTEMPTED)
    decision = models.ForeignKey(
        ComplianceDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    source = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=200, blank=True, help_text="message id, call id, ...")
    debt_ids = models.JSONField(default=list, blank=True, help_text="document ids; empty = the whole account")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="contact_attempt_customer_at")]
        constraints = [
            # One contact, one row: a delivery receipt updates the row of its send.
            models.UniqueConstraint(
                fields=["customer", "channel", "source", "reference"],
                condition=~models.Q(reference=""),
                name="contact_attempt_unique_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.outcome} {self.at:%Y-%m-%d %H:%M} customer {self.customer_id}"
