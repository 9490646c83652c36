"""Disputes: a customer contests (part of) one or more documents; the disputed amount is held from dunning.

The status moves only through `disputes.services` (open -> in_review -> resolved_valid |
resolved_invalid | credited). Each document line carries its own disputed amount, so a dispute can
hold 30 EUR of one invoice and all of another.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.ledger.models import MONEY, Customer, Document, WriteOff


class DisputeReason(models.TextChoices):
    PRICING = "pricing", "Pricing"
    QUANTITY = "quantity", "Quantity"
    QUALITY = "quality", "Quality"
    NOT_RECEIVED = "not_received", "Not received"
    DUPLICATE = "duplicate", "Duplicate invoice"
    ALREADY_PAID = "already_paid", "Already paid"
    OTHER = "other", "Other"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    RESOLVED_VALID = "resolved_valid", "Resolved: valid"
    RESOLVED_INVALID = "resolved_invalid", "Resolved: invalid"
    CREDITED = "credited", "Credited"


HOLDING_STATUSES = (DisputeStatus.OPEN, DisputeStatus.IN_REVIEW)
RESOLVED_STATUSES = (DisputeStatus.RESOLVED_VALID, DisputeStatus.RESOLVED_INVALID, DisputeStatus.CREDITED)


class Resolution(models.TextChoices):
    NONE = "", "None"
    CREDIT_NOTE = "credit_note", "Credit note"
    WRITE_OFF = "write_off", "Adjustment (write-off)"


class Dispute(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField(max_length=16, choices=DisputeReason.choices)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3)
    disputed_amount = models.DecimalField(**MONEY, help_text="sum of the lines' amounts")
    status = models.CharField(max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="disputes_owned"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="disputes_raised"
    )
    opened_at = models.DateTimeField()
    opened_on = models.DateField(help_text="business date opened; the SLA counts from here")
    sla_days = models.PositiveSmallIntegerField()
    due_date = models.DateField(help_text="opened_on + sla_days: resolve by this day")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    resolution_days = models.PositiveIntegerField(null=True, blank=True, help_text="calendar days open")
    resolution_business_days = models.PositiveIntegerField(null=True, blank=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True, default=Resolution.NONE)
    resolution_amount = models.DecimalField(**MONEY, null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    credit_note = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="resolved_disputes"
    )
    write_offs = models.ManyToManyField(WriteOff, blank=True, related_name="disputes")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(disputed_amount__gt=0), name="dispute_amount_positive"),
            models.CheckConstraint(condition=Q(due_date__gte=models.F("opened_on")), name="dispute_due_after_open"),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["resolved_on"]),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.pk} ({self.get_reason_display()}, {self.disputed_amount} {self.currency})"

    @property
    def is_holding(self) -> bool:
        return self.status in HOLDING_STATUSES


class DisputeLine(models.Model):
    """How much of one document is disputed."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="lines")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="dispute_lines")
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["dispute", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disputeline_amount_positive"),
            models.UniqueConstraint(fields=["dispute", "document"], name="disputeline_unique_document"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of document {self.document_id}"


class DisputeComment(BaseModel):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on dispute {self.dispute_id}"


def _attachment_path(instance: DisputeAttachment, filename: str) -> str:
    # The stored name is ours; the customer's file name is kept in `original_name` only.
    ext = os.path.splitext(filename)[1].lower()
    return f"disputes/{instance.dispute_id}/{instance.sha256[:16]}{ext}"


class DisputeAttachment(BaseModel):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name
