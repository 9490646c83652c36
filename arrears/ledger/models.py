"""The ledger: the one true record of what each customer owes.

Amounts are Decimal(20, 3) with a currency beside them. A document's open amount and status are
derived: they are recomputed from its allocations by `ledger.services` and never typed in.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.common.models import BaseModel

MONEY = {"max_digits": 20, "decimal_places": 3}
ZERO = Decimal("0")


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    SMS = "sms", "SMS"
    PHONE = "phone", "Phone"


class CustomerKind(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial (B2B)"
    CONSUMER = "consumer", "Consumer"


class Jurisdiction(models.TextChoices):
    US_CONSUMER = "us_consumer", "US consumer (FDCPA / Reg F)"
    US_COMMERCIAL = "us_commercial", "US commercial"
    UK = "uk", "United Kingdom (FCA CONC)"
    EU_B2B = "eu_b2b", "EU B2B (Late Payment Directive)"
    IN = "in", "India (RBI)"
    OTHER = "other", "Other"


class BusinessUnit(BaseModel):
    """A legal entity that issues invoices, with its home currency and holiday calendar."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    home_currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, for public holidays")
    subdivision = models.CharField(max_length=8, blank=True, help_text="holiday subdivision, e.g. BE for Berlin")
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Customer(BaseModel):
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="customers", db_index=False)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=16, choices=CustomerKind.choices, default=CustomerKind.COMMERCIAL)
    jurisdiction = models.CharField(max_length=16, choices=Jurisdiction.choices, default=Jurisdiction.OTHER)
    country = models.CharField(max_length=2, blank=True)
    segment = models.CharField(max_length=64, blank=True, db_index=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA zone; blank = from address or phone")
    language = models.CharField(max_length=16, default="en")
    preferred_channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    credit_limit = models.DecimalField(**MONEY, null=True, blank=True)
    credit_currency = models.CharField(max_length=3, blank=True)
    payment_terms_days = models.PositiveIntegerField(default=30)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    # Customer-level holds; the dunning run reads them (disputes and promises have their own records).
    paused = models.BooleanField(default=False, help_text="collections paused for this customer")
    cease_communication = models.BooleanField(default=False)
    do_not_contact = models.BooleanField(default=False)
    bankruptcy = models.BooleanField(default=False)
    attorney_represented = models.BooleanField(default=False)
    attributes = models.JSONField(default=dict, blank=True, help_text="extra imported columns")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "external_id"], name="customer_unique_external_id"),
        ]
        indexes = [models.Index(fields=["collector", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    def get_absolute_url(self) -> str:
        return f"/customers/{self.pk}/"


class Contact(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True, help_text="e.g. accounts payable, CFO")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +4930123456")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "Granted"
    UNKNOWN = "unknown", "Not recorded"
    OPTED_OUT = "opted_out", "Opted out"


class ChannelConsent(BaseModel):
    """Per contact and channel: may we use this channel, and did they opt out (when, how)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN)
    changed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True, help_text="where the consent or opt-out came from")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "channel"], name="consent_unique_channel")]

    def __str__(self) -> str:
        return f"{self.contact} {self.channel}: {self.status}"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    DEBIT_NOTE = "debit_note", "Debit note"


class DocumentStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    WRITTEN_OFF = "written_off", "Written off"


class Document(BaseModel):
    """An invoice, debit note or credit note. `amount` is always positive; the kind gives the side."""

    # No single-column FK indexes: the unique key and (customer, status, due_date) lead with these columns,
    # and every extra index slows the bulk import of millions of rows.
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="documents", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents", db_index=False)
    external_id = models.CharField(max_length=64, help_text="the document number in the source system")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices, default=DocumentKind.INVOICE)
    issue_date = models.DateField()
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=100, blank=True, help_text="purchase order or customer reference")
    # Derived from allocations by ledger.services.document_recompute(); never set by hand.
    open_amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.OPEN)
    closed_date = models.DateField(null=True, blank=True, help_text="date the last allocation closed it")
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "external_id"], name="document_unique_external_id"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="document_amount_positive"),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0) & Q(open_amount__lte=models.F("amount")),
                name="document_open_within_amount",
            ),
            models.CheckConstraint(condition=Q(due_date__gte=models.F("issue_date")), name="document_due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["customer", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["status", "issue_date"]),
            models.Index(fields=["due_date", "id"]),
            # The aging report (ledger.aging) reads open documents from these two alone: every column
            # it needs, only the open rows (an index-only scan on PostgreSQL, a covering scan on SQLite).
            # "Open" is open_amount > 0 (the same as status open or partially paid, see derive_status):
            # SQLite matches a partial index to a query with a bound parameter in a comparison, not in IN.
            models.Index(
                fields=["currency", "customer", "business_unit", "kind", "issue_date", "due_date", "open_amount"],
                condition=Q(open_amount__gt=0),
                name="document_open_aging_idx",
            ),
            models.Index(
                fields=["currency", "customer", "business_unit", "kind", "issue_date", "open_amount"],
                condition=Q(open_amount__gt=0, attributes__disputed=True),
                name="document_disputed_aging_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"

    @property
    def is_debit(self) -> bool:
        return self.kind != DocumentKind.CREDIT_NOTE


class Payment(BaseModel):
    """Cash received from a customer. What is not allocated is unapplied cash."""

    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="payments", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments", db_index=False)
    external_id = models.CharField(max_length=64)
    received_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=32, blank=True, help_text="transfer, card, direct debit, cheque...")
    reference = models.CharField(max_length=200, blank=True)
    unapplied_amount = models.DecimalField(**MONEY, help_text="derived: amount less allocations")

    class Meta:
        ordering = ["-received_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "external_id"], name="payment_unique_external_id"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unapplied_amount__gte=0) & Q(unapplied_amount__lte=models.F("amount")),
                name="payment_unapplied_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-received_date"]),
            # Unapplied cash for the aging report: the few payments not fully allocated, every column it reads.
            models.Index(
                fields=["currency", "customer", "business_unit", "received_date", "unapplied_amount"],
                condition=Q(unapplied_amount__gt=0),
                name="payment_unapplied_aging_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.external_id}"


class WriteOff(BaseModel):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="write_offs")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    date = models.DateField()
    reason = models.CharField(max_length=200)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_positive")]

    def __str__(self) -> str:
        return f"Write-off {self.amount} {self.currency} on {self.document}"


class AllocationSource(models.TextChoices):
    PAYMENT = "payment", "Payment"
    CREDIT_NOTE = "credit_note", "Credit note"
    WRITE_OFF = "write_off", "Write-off"


class Allocation(BaseModel):
    """Settles part of a debit document from exactly one source: a payment, a credit note or a write-off."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="allocations", db_index=False)
    source = models.CharField(max_length=16, choices=AllocationSource.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    credit_note = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_allocations"
    )
    write_off = models.OneToOneField(
        WriteOff, null=True, blank=True, on_delete=models.PROTECT, related_name="allocation"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    date = models.DateField(help_text="application date")

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(source="payment", payment__isnull=False, credit_note__isnull=True, write_off__isnull=True)
                    | Q(source="credit_note", payment__isnull=True, credit_note__isnull=False, write_off__isnull=True)
                    | Q(source="write_off", payment__isnull=True, credit_note__isnull=True, write_off__isnull=False)
                ),
                name="allocation_exactly_one_source",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "date"]),
            # The aging report as of a past date adds back the allocations dated after it.
            models.Index(fields=["date"], name="allocation_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.source} to {self.document_id}"


class FxRate(models.Model):
    """1 unit of `currency` = `rate` units of `quote_currency` (the reporting currency) on `date`."""

    date = models.DateField()
    currency = models.CharField(max_length=3)
    quote_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "currency", "quote_currency"], name="fxrate_unique_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fxrate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.date} 1 {self.currency} = {self.rate} {self.quote_currency}"
