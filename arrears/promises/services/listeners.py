"""Settle promises and plan instalments as soon as cash is allocated (registered in apps.py)."""

from __future__ import annotations

from arrears.ledger.models import Payment
from arrears.promises.models import PaymentPlan, PlanStatus, Promise, PromiseStatus
from arrears.promises.services.plans import plan_on_payment
from arrears.promises.services.promises import promises_on_payment


def promises_on_payments_allocated(payment_ids: list[int]) -> None:
    """Only customers with a pending promise or an active plan need work: one query finds them, so a
    bank statement posting 20,000 payments costs two queries here, not 20,000 rounds."""
    payments = Payment.objects.filter(pk__in=payment_ids)
    customers = set(payments.values_list("customer_id", flat=True).distinct())
    promised = set(
        Promise.objects.filter(customer_id__in=customers, status=PromiseStatus.PENDING)
        .values_list("customer_id", flat=True).distinct()
    )
    planned = set(
        PaymentPlan.objects.filter(customer_id__in=customers, status=PlanStatus.ACTIVE)
        .values_list("customer_id", flat=True).distinct()
    )
    if not (promised or planned):
        return
    for payment in payments.filter(customer_id__in=promised | planned).order_by("received_date", "id"):
        if payment.customer_id in promised:
            promises_on_payment(payment=payment)
        if payment.customer_id in planned:
            plan_on_payment(payment=payment)
