"""Dunning: strategies (versioned ladders of steps), segment rules, per-document and per-customer state,
nightly runs and the actions they plan.

Idempotency lives in the database (STYLE.md §7): a run is unique per ``as_of`` (dry runs are never
stored), an action is unique per (customer, as_of, kind) and a sent level is unique per (document,
level), so re-running a night, finishing a crashed one or catching up after a gap never sends twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.compliance.models import ComplianceDecision
from arrears.ledger.models import MONEY, Customer, Document


class Trigger(models.TextChoices):
    DAYS_FROM_DUE = "days_from_due", "Days from the due date (negative = before it)"
    DAYS_SINCE_PREVIOUS = "days_since_previous", "Days since the previous step"
    EVENT = "event", "An event"


class EventKind(models.TextChoices):
    PAYMENT_RECEIVED = "payment_received", "Payment received"
    PROMISE_BROKEN = "promise_broken", "Promise broken"
    INSTALMENT_MISSED = "instalment_missed", "Plan instalment missed"
    DISPUTE_RESOLVED = "dispute_resolved", "Dispute resolved"


class StepChannel(models.TextChoices):
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    SMS = "sms", "SMS"
    CALL_TASK = "call_task", "Call task for the collector"
    ESCALATE_LEAD = "escalate_lead", "Escalate to the team lead"
    AGENCY = "agency", "Hand over to a collection agency"
    LEGAL = "legal", "Hand over to legal"
    WRITE_OFF_PROPOSAL = "write_off_proposal", "Write-off proposal"


class BusinessDays(models.TextChoices):
    NONE = "none", "The date stands"
    NEXT = "next", "Move to the next business day"
    PREVIOUS = "previous", "Move to the previous business day"


class Strategy(BaseModel):
    """A named collection strategy. What it does is in its versions; the highest number is current."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="customers no segment rule matches get this one")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="strategy_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class StrategyVersion(BaseModel):
    """An immutable-once-used ladder of steps. Editing a used version means creating the next one."""

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True, help_text="what changed in this version")
    amount_currency = models.CharField(
        max_length=3, default="EUR", help_text="the currency whose minor units the steps' minimum amounts use"
    )
    thank_you = models.BooleanField(default=False, help_text="thank customers for on-time payments and kept promises")
    thank_you_channel = models.CharField(max_length=20, choices=StepChannel.choices, default=StepChannel.EMAIL)
    thank_you_template = models.CharField(max_length=100, blank=True, default="thank_you")
    thank_you_within_days = models.PositiveIntegerField(default=7)
    first_used_at = models.DateTimeField(null=True, blank=True, help_text="set by the first run that used it: frozen")

    class Meta:
        ordering = ["strategy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "number"], name="strategy_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy.name} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.first_used_at is not None


class Step(models.Model):
    """One rung of a version's ladder; its ``position`` (0-based) is the level it sets."""

    version = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=50, help_text="e.g. reminder_1; stable across versions")
    trigger = models.CharField(max_length=24, choices=Trigger.choices, default=Trigger.DAYS_FROM_DUE)
    event = models.CharField(max_length=24, choices=EventKind.choices, blank=True)
    offset_days = models.IntegerField(default=0)
    channel = models.CharField(max_length=20, choices=StepChannel.choices)
    template_key = models.CharField(max_length=100, blank=True)
    min_amount = models.DecimalField(**MONEY, default=0)
    business_days = models.CharField(max_length=10, choices=BusinessDays.choices, default=BusinessDays.NEXT)
    allow_skip = models.BooleanField(default=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="step_unique_position"),
            models.UniqueConstraint(fields=["version", "key"], name="step_unique_key"),
            models.CheckConstraint(
                condition=Q(trigger="event", event__gt="") | (~Q(trigger="event") & Q(event="")),
                name="step_event_iff_event_trigger",
            ),
            models.CheckConstraint(condition=Q(min_amount__gte=0), name="step_min_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.position} {self.key}"


class SegmentRule(BaseModel):
    """Assigns customers to a strategy; rules are tried by ``position``, first match wins.

    Empty lists and null bounds match anything. Balances compare the customer's open balance in its
    business unit's home currency (no FX), inclusive bounds. ``challenger_percent`` of the matching
    customers (chosen by a hash of their id and ``salt``) get the challenger strategy instead.
    """

    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="segment_rules")
    kinds = models.JSONField(default=list, blank=True, help_text='e.g. ["consumer"]')
    jurisdictions = models.JSONField(default=list, blank=True, help_text='e.g. ["uk", "eu_b2b"]')
    segments = models.JSONField(default=list, blank=True)
    risk_bands = models.JSONField(default=list, blank=True, help_text="Customer.attributes['risk_band'] values")
    currencies = models.JSONField(default=list, blank=True, help_text="the business unit's home currency")
    business_units = models.JSONField(default=list, blank=True, help_text="business unit codes")
    min_balance = models.DecimalField(**MONEY, null=True, blank=True)
    max_balance = models.DecimalField(**MONEY, null=True, blank=True)
    min_oldest_dpd = models.IntegerField(null=True, blank=True)
    max_oldest_dpd = models.IntegerField(null=True, blank=True)
    challenger = models.ForeignKey(
        Strategy, null=True, blank=True, on_delete=models.PROTECT, related_name="challenger_rules"
    )
    challenger_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    salt = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(challenger_percent__gte=0) & Q(challenger_percent__lte=100), name="segment_percent_range"
            ),
            models.CheckConstraint(condition=Q(challenger__isnull=True) | ~Q(salt=""), name="segment_challenger_salt"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name} -> {self.strategy}"


class DocumentDunningState(models.Model):
    """Where a document stands on its customer's ladder: the last level sent and when."""

    # No database-level foreign key on the high-volume tables: the run writes ids it has just read, and
    # PostgreSQL's deferred per-row FK checks at commit cost more than the whole write at 1M documents.
    document = models.OneToOneField(
        Document, primary_key=True, on_delete=models.CASCADE, related_name="dunning_state", db_constraint=False
    )
    level = models.SmallIntegerField(default=-1)
    last_sent = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"document {self.document_id}: level {self.level} on {self.last_sent}"


class CustomerDunningState(models.Model):
    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.CASCADE, related_name="dunning_state")
    strategy_version = models.ForeignKey(StrategyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    arm = models.SmallIntegerField(default=0, help_text="0 champion, 1 challenger")
    last_thank_you = models.DateField(null=True, blank=True)
    last_run_as_of = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"customer {self.customer_id}: arm {self.arm}"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class DunningRun(models.Model):
    """One night (or one on-demand date). Unique per as_of; a failed run is resumed, not duplicated."""

    as_of = models.DateField()
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    partitions = models.PositiveIntegerField(default=1)
    partitions_done = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=1)
    strategy_versions = models.JSONField(default=list, blank=True, help_text="[{id, strategy, number}]")
    counts = models.JSONField(default=dict, blank=True, help_text="per strategy, step, channel, outcome, reason")
    blocked = models.JSONField(default=dict, blank=True, help_text="blocked actions per compliance rule")
    durations = models.JSONField(default=dict, blank=True, help_text="seconds per phase")
    action_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    alert = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["as_of"], condition=Q(dry_run=False), name="dunning_run_unique_as_of"),
        ]

    def __str__(self) -> str:
        return f"Dunning run {self.as_of} ({self.status})"


class ActionKind(models.TextChoices):
    DUNNING = "dunning", "Dunning"
    THANK_YOU = "thank_you", "Thank you"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    BLOCKED = "blocked", "Blocked by compliance"
    DISPATCHED = "dispatched", "Dispatched"


class GateResult(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    BLOCKED = "blocked", "Blocked"
    REVIEW = "review", "Needs compliance review"
    NOT_A_CONTACT = "not_a_contact", "Internal action (no contact)"


class DunningAction(models.Model):
    """What a run decided for one customer: one consolidated message (or internal action) per kind."""

    run = models.ForeignKey(DunningRun, on_delete=models.PROTECT, related_name="actions")
    as_of = models.DateField()
    # db_constraint=False on the references the run writes in bulk (see DocumentDunningState.document)
    customer = models.ForeignKey(  # the unique (customer, as_of, kind) index serves lookups by customer
        Customer, on_delete=models.PROTECT, related_name="dunning_actions", db_index=False, db_constraint=False
    )
    strategy_version = models.ForeignKey(
        StrategyVersion, on_delete=models.PROTECT, related_name="actions", db_constraint=False
    )
    step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.PROTECT, related_name="actions", db_constraint=False,
        db_index=False,
    )
    level = models.SmallIntegerField(help_text="the step's position; -1 for a thank-you")
    channel = models.CharField(max_length=20, choices=StepChannel.choices)
    template_key = models.CharField(max_length=100, blank=True)
    arm = models.SmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=ActionKind.choices, default=ActionKind.DUNNING)
    amounts = models.JSONField(default=dict, blank=True, help_text='{"EUR": "120.00"}: dunnable total per currency')
    items = models.JSONField(default=list, blank=True, help_text="[[document id, level], ...]")
    gate = models.CharField(max_length=16, choices=GateResult.choices, default=GateResult.ALLOWED)
    blocked_rule = models.CharField(max_length=40, blank=True, help_text="the first blocking rule, e.g. US-TIME")
    compliance_decision = models.ForeignKey(
        ComplianceDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False,
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-as_of", "customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "as_of", "kind"], name="dunning_action_unique_per_day"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="dunning_action_run_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} level {self.level} to customer {self.customer_id} on {self.as_of}"


class DunningActionItem(models.Model):
    """A level sent for a document. Unique per (document, level): a level is never sent twice."""

    # db_constraint=False: see DocumentDunningState.document
    action = models.ForeignKey(DunningAction, on_delete=models.CASCADE, related_name="document_items", db_constraint=False)
    document = models.ForeignKey(  # the unique (document, level) index serves lookups by document
        Document, on_delete=models.PROTECT, related_name="dunning_items", db_constraint=False, db_index=False
    )
    level = models.SmallIntegerField()
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "level"], name="dunning_item_unique_level"),
        ]

    def __str__(self) -> str:
        return f"document {self.document_id} level {self.level}"
