"""Promises to pay and payment plans, with the payments counted toward them and the events they emit.

Statuses are decided by `promises.services` from the payments that arrive (never typed in). Every
payment counted is a row (`PromisePayment`, `PlanPayment`), so re-running an evaluation counts
nothing twice and the trail shows which allocation kept which promise.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.ledger.models import MONEY, ZERO, Allocation, Customer, Document, Payment


class PromiseChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal"
    LETTER = "letter", "Letter"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    KEPT = "kept", "Kept"
    PARTIALLY_KEPT = "partially_kept", "Partially kept"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


class Promise(BaseModel):
    """The customer said they would pay `amount` by `promised_date`.

    Payments count from `made_on` to `deadline` (the promised date plus the grace days, both kept
    as they were when the promise was made). With no documents the promise is on the whole account.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="promises")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    made_on = models.DateField(help_text="business date the promise was made; payments count from here")
    promised_date = models.DateField()
    grace_days = models.PositiveSmallIntegerField(help_text="days after the promised date a payment still counts")
    deadline = models.DateField(help_text="promised date + grace days: the last day a payment counts")
    documents = models.ManyToManyField(Document, blank=True, related_name="promises")
    channel = models.CharField(max_length=16, choices=PromiseChannel.choices, default=PromiseChannel.PHONE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises_taken"
    )
    status = models.CharField(max_length=16, choices=PromiseStatus.choices, default=PromiseStatus.PENDING)
    # Derived from PromisePayment rows by the services; never typed in.
    paid_amount = models.DecimalField(**MONEY, default=ZERO, help_text="payments counted in the window")
    late_paid_amount = models.DecimalField(**MONEY, default=ZERO, help_text="payments after the deadline")
    decided_on = models.DateField(null=True, blank=True, help_text="date it was kept, broken or cancelled")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["promised_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(promised_date__gte=models.F("made_on")), name="promise_date_after_made"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("promised_date")), name="promise_deadline_after_date"),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["customer", "status"]),
        ]

    def __str__(self) -> str:
        return f"Promise {self.pk}: {self.amount} {self.currency} by {self.promised_date}"

    @property
    def shortfall(self):
        return max(self.amount - self.paid_amount, ZERO)


class PromisePayment(BaseModel):
    """Part of a payment counted toward a promise (or, when `counted` is false, recorded as late)."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="payments")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="promise_payments")
    allocation = models.ForeignKey(
        Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="promise_payments",
        help_text="the allocation counted; blank for an account-level promise (the payment itself counts)",
    )
    amount = models.DecimalField(**MONEY)
    date = models.DateField(help_text="allocation date, or the payment's received date")
    counted = models.BooleanField(default=True, help_text="false: arrived after the deadline")

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promisepayment_amount_positive"),
            models.UniqueConstraint(
                fields=["promise", "allocation"], condition=Q(allocation__isnull=False),
                name="promisepayment_unique_allocation",
            ),
            models.UniqueConstraint(
                fields=["promise", "payment"], condition=Q(allocation__isnull=True),
                name="promisepayment_unique_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} toward promise {self.promise_id}"


class PlanFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class ScheduleKind(models.TextChoices):
    EQUAL = "equal", "Equal instalments"
    CUSTOM = "custom", "Custom amounts and dates"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DEFAULTED = "defaulted", "Defaulted"
    CANCELLED = "cancelled", "Cancelled"


class PaymentPlan(BaseModel):
    """An agreed schedule for paying documents' open amounts (plus any allowed charges) in instalments."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_plans")
    currency = models.CharField(max_length=3)
    documents = models.ManyToManyField(Document, related_name="payment_plans")
    charge_document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="charged_plan",
        help_text="debit note carrying the fee and interest, so payments can be allocated to them",
    )
    principal = models.DecimalField(**MONEY, help_text="open amount of the documents when the plan was made")
    fee = models.DecimalField(**MONEY, default=ZERO)
    interest = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, help_text="principal + fee + interest = the instalments' sum")
    schedule_kind = models.CharField(max_length=8, choices=ScheduleKind.choices, default=ScheduleKind.EQUAL)
    frequency = models.CharField(max_length=8, choices=PlanFrequency.choices, blank=True)
    made_on = models.DateField(help_text="business date the plan was made; payments count from here")
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans_created"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans_approved"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_amount = models.DecimalField(**MONEY, default=ZERO, help_text="derived from PlanPayment rows")
    completed_on = models.DateField(null=True, blank=True)
    defaulted_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="plan_principal_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0) & Q(interest__gte=0), name="plan_charges_not_negative"),
            models.CheckConstraint(
                condition=Q(total=models.F("principal") + models.F("fee") + models.F("interest")),
                name="plan_total_is_sum",
            ),
        ]
        indexes = [models.Index(fields=["customer", "status"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Plan {self.pk}: {self.total} {self.currency} ({self.get_status_display()})"


class InstalmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    MISSED = "missed", "Missed"


class Instalment(BaseModel):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    paid_amount = models.DecimalField(**MONEY, default=ZERO)
    status = models.CharField(max_length=16, choices=InstalmentStatus.choices, default=InstalmentStatus.PENDING)
    paid_on = models.DateField(null=True, blank=True)
    missed_on = models.DateField(null=True, blank=True, help_text="first day after the grace period, unpaid")

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="instalment_unique_sequence"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=models.F("amount")),
                name="instalment_paid_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"Instalment {self.sequence} of plan {self.plan_id}: {self.amount} due {self.due_date}"


class PlanPayment(BaseModel):
    """An allocation to a plan's documents counted toward its instalments."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="payments")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="plan_payments")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="plan_payments")
    amount = models.DecimalField(**MONEY)
    date = models.DateField()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="planpayment_amount_positive"),
            models.UniqueConstraint(fields=["plan", "allocation"], name="planpayment_unique_allocation"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} toward plan {self.plan_id}"


class PromiseEventKind(models.TextChoices):
    PROMISE_KEPT = "promise_kept", "Promise kept"
    PROMISE_PARTIALLY_KEPT = "promise_partially_kept", "Promise partially kept"
    PROMISE_BROKEN = "promise_broken", "Promise broken"
    INSTALMENT_MISSED = "instalment_missed", "Instalment missed"
    PLAN_DEFAULTED = "plan_defaulted", "Plan defaulted"
    PLAN_COMPLETED = "plan_completed", "Plan completed"


class PromiseEvent(models.Model):
    """Something the strategies and the worklist react to. At most one of each kind per subject."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="promise_events")
    kind = models.CharField(max_length=32, choices=PromiseEventKind.choices)
    date = models.DateField()
    promise = models.ForeignKey(Promise, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    plan = models.ForeignKey(PaymentPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    instalment = models.ForeignKey(
        Instalment, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="the shortfall or amount concerned")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["promise", "kind"], condition=Q(promise__isnull=False), name="promiseevent_once_per_promise"
            ),
            models.UniqueConstraint(
                fields=["instalment", "kind"], condition=Q(instalment__isnull=False),
                name="promiseevent_once_per_instalment",
            ),
            models.UniqueConstraint(
                fields=["plan", "kind"], condition=Q(plan__isnull=False, instalment__isnull=True),
                name="promiseevent_once_per_plan",
            ),
        ]
        indexes = [models.Index(fields=["date", "kind"])]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} (customer {self.customer_id})"
