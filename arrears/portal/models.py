"""The customer portal: access links, where to pay, what the customer chose to pay, mandates, provider events.

A `PortalToken` stores only the SHA-256 of the random token in the link: a stolen database does not
open anyone's portal, and lookups are by hash (no comparison of secrets in Python).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.ledger.models import BusinessUnit, Customer, Document, Payment

MONEY = {"max_digits": 20, "decimal_places": 3}


class PortalToken(BaseModel):
    """One link into the portal: one customer (and optionally the message it was sent in)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_tokens")
    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the token in the link")
    message_id = models.BigIntegerField(null=True, blank=True, help_text="the outbound message the link was sent in")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-expires_at"])]

    def __str__(self) -> str:
        return f"Portal link {self.pk} for customer {self.customer_id}"


class PaymentSettings(BaseModel):
    """Where customers of a business unit pay: the bank account and the SEPA creditor identifier."""

    business_unit = models.OneToOneField(BusinessUnit, on_delete=models.CASCADE, related_name="payment_settings")
    account_holder = models.CharField(max_length=140)
    iban = models.CharField(max_length=34, help_text="electronic format, no spaces (validated with schwifty)")
    bic = models.CharField(max_length=11, blank=True, help_text="blank = derived from the IBAN")
    bank_name = models.CharField(max_length=140, blank=True)
    sepa_creditor_id = models.CharField(max_length=35, blank=True, help_text="SEPA creditor identifier, e.g. DE98ZZZ09999999999")
    card_payments = models.BooleanField(default=True, help_text="offer card and wallet payments through the provider")
    direct_debit = models.BooleanField(default=True, help_text="offer SEPA direct debit (needs a creditor id)")

    class Meta:
        verbose_name_plural = "payment settings"

    def __str__(self) -> str:
        return f"Payment settings of {self.business_unit}"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card or wallet"
    DIRECT_DEBIT = "direct_debit", "SEPA direct debit"


class IntentStatus(models.TextChoices):
    CREATED = "created", "Created"
    PENDING = "pending", "Waiting for the payment"
    SUBMITTED = "submitted", "Submitted for collection"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class MandateStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class Mandate(BaseModel):
    """A SEPA direct debit mandate the customer signed in the portal."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="mandates")
    mandate_id = models.CharField(max_length=35, unique=True)
    debtor_name = models.CharField(max_length=140)
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11)
    signature_date = models.DateField()
    status = models.CharField(max_length=16, choices=MandateStatus.choices, default=MandateStatus.ACTIVE)
    collect_when_due = models.BooleanField(default=False, help_text="also collect later documents on their due date")
    collections = models.PositiveIntegerField(default=0, help_text="collections submitted (FRST, then RCUR)")

    class Meta:
        ordering = ["-signature_date", "-id"]

    def __str__(self) -> str:
        return f"Mandate {self.mandate_id}"


class PaymentIntent(BaseModel):
    """What the customer chose to pay in the portal, how, and what came of it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_intents")
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=IntentStatus.choices, default=IntentStatus.CREATED)
    creditor_reference = models.CharField(max_length=35, blank=True, help_text="ISO 11649 RF for a bank transfer")
    idempotency_key = models.CharField(max_length=64, unique=True)
    provider = models.CharField(max_length=32, blank=True)
    provider_session_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT, related_name="intents")
    collection_date = models.DateField(null=True, blank=True)
    collection_file = models.CharField(max_length=64, blank=True, help_text="message id of the pain.008 file")
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="portal_intent"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentintent_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False), name="paymentintent_paid_has_payment"
            ),
        ]
        indexes = [models.Index(fields=["method", "status"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} {self.currency} ({self.status})"


class PaymentIntentLine(models.Model):
    intent = models.ForeignKey(PaymentIntent, on_delete=models.CASCADE, related_name="lines")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["intent", "document"], name="paymentintentline_unique_document"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentintentline_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to document {self.document_id}"


class WebhookEvent(models.Model):
    """Every signed provider event accepted, once: the unique event id rejects replays."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    signed_at = models.DateTimeField()
    payload = models.JSONField()
    outcome = models.CharField(max_length=32, blank=True, help_text="paid, already_paid, failed, ignored, ...")
    intent = models.ForeignKey(PaymentIntent, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhookevent_unique_event")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"
