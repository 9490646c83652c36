"""History for the dashboards: balances and buckets per customer and currency on a date, and the
cash forecast as it stood on a date (so it can later be compared with what was collected).

Both are written in bulk by `analytics.services`, replaced as a whole for their date (safe to run
twice), and reconstructible for any past date from the ledger's allocation history.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from arrears.ledger.models import MONEY, Customer

ZERO = Decimal("0")


class BalanceSnapshot(models.Model):
    """One customer's open balance in one currency at the end of `date`, by due-date aging bucket.

    `open_total` is the sum of the buckets (open debit documents); `unapplied` is unapplied cash
    plus open credit notes (positive here), so total AR = open_total - unapplied (KPIS.md §0).
    """

    date = models.DateField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="balance_snapshots", db_index=False)
    currency = models.CharField(max_length=3)
    current = models.DecimalField(**MONEY, default=ZERO)
    d1_30 = models.DecimalField(**MONEY, default=ZERO)
    d31_60 = models.DecimalField(**MONEY, default=ZERO)
    d61_90 = models.DecimalField(**MONEY, default=ZERO)
    d91_120 = models.DecimalField(**MONEY, default=ZERO)
    d121_plus = models.DecimalField(**MONEY, default=ZERO)
    disputed = models.DecimalField(**MONEY, default=ZERO, help_text="of which disputed (part of open_total)")
    unapplied = models.DecimalField(**MONEY, default=ZERO, help_text="unapplied cash and open credit notes")
    open_total = models.DecimalField(**MONEY, default=ZERO, help_text="sum of the buckets")
    documents = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "customer_id", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["date", "customer", "currency"], name="balance_snapshot_unique_day"),
        ]
        indexes = [models.Index(fields=["customer", "date"], name="balance_snapshot_customer")]

    def __str__(self) -> str:
        return f"{self.date} customer {self.customer_id}: {self.open_total} {self.currency}"

    @property
    def total_ar(self) -> Decimal:
        return self.open_total - self.unapplied


BUCKET_FIELDS = ("current", "d1_30", "d31_60", "d61_90", "d91_120", "d121_plus")


class ForecastSnapshot(models.Model):
    """Expected collections for one week as forecast on `taken_on` (from arrears.scoring's predictions)."""

    taken_on = models.DateField()
    currency = models.CharField(max_length=3)
    business_unit = models.CharField(max_length=32, help_text="business unit code")
    week = models.PositiveSmallIntegerField(help_text="0 = the week starting on taken_on")
    week_start = models.DateField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["taken_on", "currency", "business_unit", "week"]
        constraints = [
            models.UniqueConstraint(
                fields=["taken_on", "currency", "business_unit", "week"], name="forecast_snapshot_unique_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.taken_on} forecast week {self.week}: {self.amount} {self.currency} ({self.business_unit})"
