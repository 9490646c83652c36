"""Templates, senders, the outbox, print batches, inbound replies and call tasks.

An outbound message is a row before it is anything else: it is written (rendered, with an
idempotency key) first, and a worker claims and sends it later. See docs/communications.md for the
state machine and the one window in which a crash leaves the delivery unknown.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.compliance.models import ComplianceDecision
from arrears.ledger.models import BusinessUnit, Channel, Contact, Customer


class MessageTemplate(BaseModel):
    """One version of the template for a dunning step, channel and language. Edits add a version."""

    key = models.CharField(max_length=64, help_text="the dunning step, e.g. reminder_1, final_notice")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    language = models.CharField(max_length=16, default="en")
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=200, blank=True)
    subject = models.TextField(blank=True, help_text="Jinja2; email subject or letter heading")
    html_body = models.TextField(blank=True, help_text="Jinja2, HTML (email and letter)")
    text_body = models.TextField(blank=True, help_text="Jinja2, plain text (email, SMS, call script)")
    active = models.BooleanField(default=True, help_text="the version used for new messages")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["key", "channel", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "channel", "language", "version"], name="template_unique_version"),
            models.UniqueConstraint(
                fields=["key", "channel", "language"], condition=Q(active=True), name="template_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}/{self.channel}/{self.language} v{self.version}"

    def get_absolute_url(self) -> str:
        return f"/communications/templates/{self.pk}/"


class SenderProfile(BaseModel):
    """How a business unit signs its messages: From, Reply-To (the collections mailbox), letterhead."""

    business_unit = models.OneToOneField(BusinessUnit, on_delete=models.CASCADE, related_name="sender_profile")
    from_name = models.CharField(max_length=200)
    from_email = models.EmailField()
    reply_to = models.EmailField(help_text="the collections mailbox that receives replies")
    letterhead = models.TextField(blank=True, help_text="sender block printed on letters, one line per line")
    return_address = models.CharField(max_length=200, blank=True, help_text="one line above the address window")
    phone = models.CharField(max_length=32, blank=True)
    sms_sender = models.CharField(max_length=16, blank=True, help_text="alphanumeric sender id or number")

    class Meta:
        ordering = ["business_unit__code"]

    def __str__(self) -> str:
        return f"{self.from_name} <{self.from_email}>"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    CHECK = "check", "Delivery unknown (check)"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"
    BLOCKED = "blocked", "Blocked by compliance"


FINAL_STATUSES = (
    MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.BOUNCED, MessageStatus.FAILED, MessageStatus.BLOCKED
)


class OutboundMessage(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="outbound_messages")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    step_key = models.CharField(max_length=64, blank=True)
    to_address = models.CharField(max_length=254, blank=True, help_text="email address or phone number")
    subject = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    text_body = models.TextField(blank=True)
    statement = models.JSONField(default=dict, blank=True, help_text="the open items shown, for the PDF")
    content_flags = models.JSONField(default=dict, blank=True, help_text="what the rendered content contains")
    debt_ids = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="a worker holds the row until then")
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=200, blank=True, help_text="Message-ID or the SMS provider's id")
    run_reference = models.CharField(max_length=100, blank=True, help_text="the dunning run that queued it")
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(
        ComplianceDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    letter_batch = models.ForeignKey(
        "LetterBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["customer", "-queued_at"], name="outbox_customer"),
            models.Index(fields=["provider_id"], name="outbox_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} to {self.to_address or self.customer_id}: {self.status}"

    def get_absolute_url(self) -> str:
        return f"/communications/outbox/{self.pk}/"


class LetterBatch(BaseModel):
    """One print file: every letter of one run in one PDF."""

    run_reference = models.CharField(max_length=100, blank=True)
    file = models.CharField(max_length=500, help_text="path under MEDIA_ROOT")
    letter_count = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Letter batch {self.pk} ({self.letter_count} letters)"


class InboundLabel(models.TextChoices):
    PROMISE_TO_PAY = "promise_to_pay", "Promise to pay"
    DISPUTE = "dispute", "Dispute"
    REMITTANCE_ADVICE = "remittance_advice", "Remittance advice"
    OUT_OF_OFFICE = "out_of_office", "Out of office"
    OTHER = "other", "Other"


class InboundStatus(models.TextChoices):
    NEW = "new", "New"
    CONFIRMED = "confirmed", "Confirmed"
    RELABELLED = "relabelled", "Relabelled"


class InboundMessage(BaseModel):
    """A reply to the collections mailbox, matched to a customer and classified."""

    received_at = models.DateTimeField()
    message_id = models.CharField(max_length=500, unique=True, help_text="Message-ID, or sha256 of the raw mail")
    from_address = models.CharField(max_length=254)
    subject = models.TextField(blank=True)
    body = models.TextField(blank=True)
    in_reply_to = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="file name or IMAP uid")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reply_to_message = models.ForeignKey(
        OutboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    matched_by = models.CharField(max_length=32, blank=True, help_text="reference, document, sender or blank")
    label = models.CharField(max_length=32, choices=InboundLabel.choices, default=InboundLabel.OTHER)
    evidence = models.JSONField(default=list, blank=True, help_text="the phrases that decided the label")
    status = models.CharField(max_length=16, choices=InboundStatus.choices, default=InboundStatus.NEW)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["customer", "-received_at"], name="inbound_customer")]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject[:60]}"

    def get_absolute_url(self) -> str:
        return f"/communications/inbound/{self.pk}/"


class CallTaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class CallTask(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="call_tasks")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_tasks"
    )
    step_key = models.CharField(max_length=64, blank=True)
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    script = models.TextField(blank=True)
    due_date = models.DateField()
    status = models.CharField(max_length=8, choices=CallTaskStatus.choices, default=CallTaskStatus.OPEN)
    idempotency_key = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["assigned_to", "status", "due_date"], name="calltask_worklist")]

    def __str__(self) -> str:
        return f"Call {self.customer_id} due {self.due_date}: {self.status}"
