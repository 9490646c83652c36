"""The collector's workspace: worklist items, calls, notes, follow-ups, assignment rules, absences,
targets and the calendar feed's secret.

A worklist item is one reason to work one account today, for one person. Items are built each
morning by `worklist.services.worklist_build(as_of=...)` and kept live during the day by
`worklist_refresh_customer(customer=...)`; the unique (user, as_of, source, source_id) makes both
safe to run twice. Scores and reasons are derived by the services, never typed in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.compliance.models import ComplianceDecision
from arrears.disputes.models import Dispute
from arrears.ledger.models import MONEY, Contact, Customer
from arrears.promises.models import Promise
from arrears.users.models import Team


class ItemSource(models.TextChoices):
    CALL_TASK = "call_task", "Call task"
    STRATEGY_ACTION = "strategy_action", "Strategy action (call or escalation)"
    PROMISE_BROKEN = "promise_broken", "Broken promise"
    INSTALMENT_MISSED = "instalment_missed", "Missed instalment"
    DISPUTE_PAST_SLA = "dispute_past_sla", "Dispute past its SLA"
    EARLY_WARNING = "early_warning", "Early warning"
    FOLLOW_UP = "follow_up", "Follow-up"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class WorklistItem(BaseModel):
    """One reason to work one account on one day, for one person, with the account's expected value."""

    # No index of its own: the unique (user, as_of, source, source_id) and the queue index start with it.
    # Rebuilt in bulk every morning: PostgreSQL's per-row FK checks cost a third of the insert, so the
    # references are kept by Django (which still cascades deletes), as for the dunning run's tables.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worklist_items",
                             db_index=False, db_constraint=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="worklist_items", db_index=False,
                                 db_constraint=False)
    as_of = models.DateField(help_text="the business day of the worklist")
    source = models.CharField(max_length=24, choices=ItemSource.choices)
    source_id = models.BigIntegerField(help_text="id of the call task, event, dispute, warning or follow-up")
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    reason = models.CharField(max_length=300, help_text="this item's reason in words")
    due_date = models.DateField(null=True, blank=True)
    # The account's figures (the same on every item of the account that day), in the reporting currency.
    currency = models.CharField(max_length=3)
    amount_at_risk = models.DecimalField(**MONEY)
    days_past_due = models.IntegerField(default=0)
    probability = models.DecimalField(max_digits=5, decimal_places=4, help_text="not paid without action, 0-1")
    probability_source = models.CharField(max_length=16, default="heuristic", help_text="model or heuristic")
    age_weight = models.DecimalField(max_digits=6, decimal_places=3)
    score = models.DecimalField(**MONEY, help_text="expected value: amount at risk × probability × age weight")
    risk_text = models.CharField(max_length=300, blank=True, help_text='e.g. "€12,400.00 overdue 45 days"')
    likelihood_text = models.CharField(max_length=300, blank=True, help_text='e.g. "70% likely to pay > 30 days late"')
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.CharField(max_length=200, blank=True, help_text="why it dropped off")
    moved_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the absent collector it was rebalanced from",
    )

    class Meta:
        ordering = ["-score", "customer_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "as_of", "source", "source_id"], name="worklist_item_unique_source"),
        ]
        indexes = [
            models.Index(fields=["user", "as_of", "status", "-score"], name="worklist_item_queue"),
            models.Index(fields=["customer", "as_of"], name="worklist_item_customer"),
            # The build reads a whole day (every user's items), and counts its open ones.
            models.Index(fields=["as_of", "status"], name="worklist_item_day"),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.user_id} {self.source} {self.source_id}: {self.reason}"


class CallOutcome(models.TextChoices):
    RIGHT_PARTY_CONTACT = "right_party_contact", "Right-party contact"
    WRONG_PARTY = "wrong_party", "Wrong party"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Voicemail"
    PROMISE = "promise", "Promise to pay"
    REFUSAL = "refusal", "Refusal"
    DISPUTE_RAISED = "dispute_raised", "Dispute raised"
    CALLBACK_REQUESTED = "callback_requested", "Callback requested"


# Outcomes in which the collector spoke to the debtor: a right-party conversation for the contact history.
CONVERSATION_OUTCOMES = frozenset({
    CallOutcome.RIGHT_PARTY_CONTACT, CallOutcome.PROMISE, CallOutcome.REFUSAL, CallOutcome.DISPUTE_RAISED,
    CallOutcome.CALLBACK_REQUESTED,
})


class CallLog(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="call_logs")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="call_logs")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=24, choices=CallOutcome.choices)
    notes = models.TextField(blank=True)
    follow_up_date = models.DateField(null=True, blank=True)
    promise = models.ForeignKey(Promise, null=True, blank=True, on_delete=models.PROTECT, related_name="call_logs")
    dispute = models.ForeignKey(Dispute, null=True, blank=True, on_delete=models.PROTECT, related_name="call_logs")
    decision = models.ForeignKey(
        ComplianceDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the gate's decision that allowed the call",
    )

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome="promise") | Q(promise__isnull=True), name="calllog_promise_iff_outcome"),
            models.CheckConstraint(
                condition=Q(outcome="dispute_raised") | Q(dispute__isnull=True), name="calllog_dispute_iff_outcome"
            ),
        ]
        indexes = [models.Index(fields=["customer", "-at"], name="calllog_customer")]

    def __str__(self) -> str:
        return f"Call {self.pk} to customer {self.customer_id}: {self.outcome}"


class Note(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="note_customer")]

    def __str__(self) -> str:
        return f"Note {self.pk} on customer {self.customer_id}"


class FollowUp(BaseModel):
    """A date a collector set to come back to an account."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_ups")
    date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    call_log = models.ForeignKey(CallLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["user", "date"], name="followup_user_date")]

    def __str__(self) -> str:
        return f"Follow up customer {self.customer_id} on {self.date}"


class AssignmentRule(BaseModel):
    """Which collector (or team, round-robin) gets a customer. Tried by `order`; the first match wins.

    An empty list or a blank bound matches anything. The amount band compares the customer's open
    balance converted to `amount_currency` (inclusive bounds).
    """

    order = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    segments = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True, help_text='ISO codes, e.g. ["DE", "AT"]')
    regions = models.JSONField(default=list, blank=True, help_text="the primary contact's region")
    languages = models.JSONField(default=list, blank=True)
    business_units = models.JSONField(default=list, blank=True, help_text="business unit codes")
    min_amount = models.DecimalField(**MONEY, null=True, blank=True)
    max_amount = models.DecimalField(**MONEY, null=True, blank=True)
    amount_currency = models.CharField(max_length=3, default="EUR")
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    next_index = models.PositiveIntegerField(default=0, help_text="round-robin position in the team")

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(collector__isnull=False) & Q(team__isnull=True)) | (Q(collector__isnull=True) & Q(team__isnull=False)),
                name="assignmentrule_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class Absence(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    start = models.DateField()
    end = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["start", "id"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="absence_end_after_start")]

    def __str__(self) -> str:
        return f"{self.user_id} away {self.start}..{self.end}"


class TargetScope(models.TextChoices):
    USER = "user", "Collector"
    TEAM = "team", "Team"


class TargetPeriod(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Target(BaseModel):
    """Cash to collect in one period (starting on `start_date`) by a collector or a team."""

    scope = models.CharField(max_length=8, choices=TargetScope.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    period = models.CharField(max_length=8, choices=TargetPeriod.choices)
    start_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_amount_positive"),
            models.CheckConstraint(
                condition=(Q(scope="user", user__isnull=False, team__isnull=True)
                           | Q(scope="team", user__isnull=True, team__isnull=False)),
                name="target_scope_matches",
            ),
            models.UniqueConstraint(fields=["user", "period", "start_date"], condition=Q(scope="user"), name="target_unique_user"),
            models.UniqueConstraint(fields=["team", "period", "start_date"], condition=Q(scope="team"), name="target_unique_team"),
        ]

    def __str__(self) -> str:
        who = self.user if self.scope == TargetScope.USER else self.team
        return f"{self.get_period_display()} target {self.amount} {self.currency} for {who} from {self.start_date}"


class CalendarToken(models.Model):
    """The per-user secret in the iCal feed's URL (a calendar app cannot log in)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar token of {self.user_id}"
