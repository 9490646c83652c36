"""Settle promises and plan instalments as soon as cash is allocated (registered in apps.py)."""

from __future__ import annotations

from arrears.ledger.models import Payment
from arrears.promises.services.plans import plan_on_payment
from arrears.promises.services.promises import promises_on_payment


def promises_on_payments_allocated(payment_ids: list[int]) -> None:
    for payment in Payment.objects.filter(pk__in=payment_ids).order_by("received_date", "id"):
        promises_on_payment(payment=payment)
        plan_on_payment(payment=payment)
