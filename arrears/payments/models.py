"""Bank statements, their lines, and the payer bank accounts learned from matches.

A statement line is what the bank says happened; matching decides which customer and which open
documents a credit line pays. Posting creates a ledger Payment and its Allocations through
`arrears.ledger.services`; the line keeps a link to the payment it created.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel
from arrears.ledger.models import Customer, Payment

MONEY = {"max_digits": 20, "decimal_places": 3}


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", "ISO 20022 camt.053 (XML)"
    MT940 = "mt940", "SWIFT MT940"
    CSV = "csv", "CSV"


class LineStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Unmatched"
    SUGGESTED = "suggested", "Suggested"
    MATCHED = "matched", "Matched"
    IGNORED = "ignored", "Ignored"


class MatchMethod(models.TextChoices):
    NONE = "", "None"
    AUTO = "auto", "Automatic"
    MANUAL = "manual", "Manual"


class BankStatement(BaseModel):
    """One imported file. The same file (by content hash) is never imported twice."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    format = models.CharField(max_length=16, choices=StatementFormat.choices)
    account_iban = models.CharField(max_length=34, blank=True, help_text="our account the statement is for")
    currency = models.CharField(max_length=3, blank=True)
    statement_date = models.DateField(null=True, blank=True)
    statement_ref = models.CharField(max_length=64, blank=True, help_text="the bank's statement id")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The match-rate report at import time (lines matched later by hand update the counts).
    line_count = models.PositiveIntegerField(default=0)
    credit_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0, help_text="lines already imported from another file")
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_format_display()})"

    def get_absolute_url(self) -> str:
        return f"/payments/statements/{self.pk}/"


class StatementLine(BaseModel):
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    # Denormalised from the statement: a line is unique per (our account, bank reference) across files.
    account_iban = models.CharField(max_length=34, blank=True)
    position = models.PositiveIntegerField(help_text="1-based order in the file")
    source_line = models.PositiveIntegerField(default=0, help_text="line number in the file")
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(**MONEY, help_text="always positive; is_credit gives the side")
    currency = models.CharField(max_length=3)
    is_credit = models.BooleanField()
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    remittance_text = models.TextField(blank=True)
    structured_reference = models.CharField(max_length=35, blank=True, help_text="creditor reference, e.g. RF...")
    bank_reference = models.CharField(
        max_length=80, help_text="the bank's id for the entry; derived from the content when the file has none"
    )
    end_to_end_id = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=16, choices=LineStatus.choices, default=LineStatus.UNMATCHED)
    match_method = models.CharField(max_length=8, choices=MatchMethod.choices, blank=True, default="")
    confidence = models.DecimalField(max_digits=4, decimal_places=3, default=0)
    evidence = models.JSONField(default=list, blank=True, help_text="why this match, in words")
    candidates = models.JSONField(default=list, blank=True, help_text="the best candidates for the queue")
    matched_customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    ignore_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["statement_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["account_iban", "bank_reference"], name="statementline_unique_bank_ref"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="statementline_amount_positive"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="statementline_confidence_0_1"
            ),
            models.CheckConstraint(
                condition=~Q(status="matched") | Q(payment__isnull=False), name="statementline_matched_has_payment"
            ),
        ]
        indexes = [models.Index(fields=["status", "booking_date"])]

    def __str__(self) -> str:
        side = "credit" if self.is_credit else "debit"
        return f"{self.booking_date} {side} {self.amount} {self.currency} {self.counterparty_name}".strip()


class CustomerBankAccount(BaseModel):
    """An IBAN a customer has paid from, learned from matched lines (or entered by hand)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bank_accounts")
    iban = models.CharField(max_length=34, help_text="electronic format, no spaces")
    holder_name = models.CharField(max_length=200, blank=True)
    learned_from = models.ForeignKey(
        StatementLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["customer_id", "iban"]
        constraints = [models.UniqueConstraint(fields=["customer", "iban"], name="customerbankaccount_unique")]
        indexes = [models.Index(fields=["iban"])]

    def __str__(self) -> str:
        return f"{self.iban} ({self.customer_id})"
