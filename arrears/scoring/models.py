"""Model versions, the current prediction per open document, and early warnings per customer.

Probabilities and predicted dates are estimates, not money: floats and dates. Amounts stay on the
ledger's documents; the cash forecast sums their Decimal open amounts.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from arrears.ledger.models import Customer, Document
from arrears.scoring.reasons import factor_reasons


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

    # No database-level foreign keys (Django still cascades deletes): the nightly refresh replaces a
    # million rows at once with TRUNCATE and COPY, and deferred FK checks would cost a lookup per row
    # at commit (and forbid a second TRUNCATE in the same transaction). The rows are written only
    # by `prediction_rows_replace`, from the ledger's own document ids.
    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="prediction", db_constraint=False)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="predictions",
                                      db_constraint=False, db_index=False)  # one version for all rows
    as_of = models.DateField()
    predicted_date = models.DateField(help_text="expected payment date (median)")
    low_date = models.DateField(help_text="10th percentile")
    high_date = models.DateField(help_text="90th percentile")
    p_late_0 = models.FloatField(help_text="probability of being paid after the due date")
    p_late_30 = models.FloatField(help_text="... more than 30 days after it")
    p_late_60 = models.FloatField(help_text="... more than 60 days after it")
    # The top three factors of the late score, largest effect first, stored as numbers (the words are
    # written when shown: see `reasons`): an index into model_version.features, the feature's value
    # (null when missing) and its effect on the score in log-odds (SHAP value).
    reason_1 = models.PositiveSmallIntegerField(null=True, blank=True)
    reason_1_value = models.FloatField(null=True, blank=True)
    reason_1_effect = models.FloatField(null=True, blank=True)
    reason_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    reason_2_value = models.FloatField(null=True, blank=True)
    reason_2_effect = models.FloatField(null=True, blank=True)
    reason_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    reason_3_value = models.FloatField(null=True, blank=True)
    reason_3_effect = models.FloatField(null=True, blank=True)
    history_count = models.PositiveIntegerField(default=0, help_text="invoices the customer had settled by as_of")
    history_count_last10 = models.PositiveSmallIntegerField(default=0, help_text="of those, in the last-10 window")

    class Meta:
        ordering = ["predicted_date", "id"]
        indexes = [models.Index(fields=["predicted_date"])]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.predicted_date} ({self.p_late_0:.0%} late)"

    @property
    def factors(self) -> list[tuple[int | None, float | None, float | None]]:
        return [
            (self.reason_1, self.reason_1_value, self.reason_1_effect),
            (self.reason_2, self.reason_2_value, self.reason_2_effect),
            (self.reason_3, self.reason_3_value, self.reason_3_effect),
        ]

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """The factors in words: ``feature``, ``value``, ``effect`` (log-odds) and ``text``.

        Reads the model version's feature names and vocabularies: fetch predictions with
        ``select_related("model_version")`` and ``defer("model_version__model")`` (the selectors do).
        """
        if "model_version" not in self._state.fields_cache:
            self.model_version = ModelVersion.objects.defer("model").get(pk=self.model_version_id)
        version = self.model_version
        vocabularies = (version.card or {}).get("schema", {}).get("vocabularies", {})
        context = {"hist_count": self.history_count, "hist_count_last10": self.history_count_last10}
        return factor_reasons(version.features, self.factors, context, vocabularies)


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
