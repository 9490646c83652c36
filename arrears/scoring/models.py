"""Model versions, the current prediction per open document, and early warnings per customer.

Probabilities and predicted dates are estimates, not money: floats and dates. Amounts stay on the
ledger's documents; the cash forecast sums their Decimal open amounts.
"""

from __future__ import annotations

from django.db import models

from arrears.ledger.models import Customer, Document


class ModelKind(models.TextChoices):
    PAYMENT = "payment", "Payment date and lateness"


class ModelVersion(models.Model):
    """One trained model with its model card: data window, features, metrics, date, training rows."""

    kind = models.CharField(max_length=16, choices=ModelKind.choices, default=ModelKind.PAYMENT)
    created_at = models.DateTimeField(auto_now_add=True)
    trained_on = models.DateField(help_text="business date the data was known on (the cutoff)")
    data_from = models.DateField(null=True, blank=True, help_text="first issue date in the training rows")
    data_to = models.DateField(null=True, blank=True, help_text="last prediction date in the training rows")
    training_rows = models.PositiveIntegerField(default=0)
    features = models.JSONField(default=list)
    metrics = models.JSONField(default=dict, blank=True)
    card = models.JSONField(default=dict, blank=True, help_text="the model card as data")
    card_text = models.TextField(blank=True, help_text="the model card in words")
    model = models.BinaryField(help_text="joblib of arrears.scoring.learn.PaymentModel (written by this system only)")
    is_active = models.BooleanField(default=True, help_text="the version the nightly predictions use")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "is_active", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} model v{self.pk} (data to {self.trained_on})"


class Prediction(models.Model):
    """The latest prediction for one open debit document, replaced by each refresh."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="prediction")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="predictions")
    as_of = models.DateField()
    predicted_date = models.DateField(help_text="expected payment date (median)")
    low_date = models.DateField(help_text="10th percentile")
    high_date = models.DateField(help_text="90th percentile")
    p_late_0 = models.FloatField(help_text="probability of being paid after the due date")
    p_late_30 = models.FloatField(help_text="... more than 30 days after it")
    p_late_60 = models.FloatField(help_text="... more than 60 days after it")
    reasons = models.JSONField(default=list, blank=True, help_text="top factors: feature, value, effect, text")

    class Meta:
        ordering = ["predicted_date", "id"]
        indexes = [models.Index(fields=["predicted_date"])]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.predicted_date} ({self.p_late_0:.0%} late)"


class WarningCode(models.TextChoices):
    PAYING_SLOWER = "paying_slower", "Paying slower than usual"
    OVER_CREDIT_LIMIT = "over_credit_limit", "Balance above credit limit"
    GROWING_BALANCE = "growing_balance", "Growing balance"
    PARTIAL_PAYMENTS = "partial_payments", "Repeated partial payments"
    BROKEN_PROMISES = "broken_promises", "Broken promises"
    RISING_DISPUTES = "rising_disputes", "Rising dispute rate"
    SILENCE = "silence", "No response to contacts"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"


class EarlyWarning(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="early_warnings")
    code = models.CharField(max_length=32, choices=WarningCode.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    reason = models.TextField(help_text="the reason in words")
    details = models.JSONField(default=dict, blank=True, help_text="the figures behind the reason")
    as_of = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-severity", "customer_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "code", "as_of"], name="early_warning_unique_per_day"),
        ]
        indexes = [models.Index(fields=["as_of", "severity"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.code} ({self.as_of})"
