"""Reads. Every read of customers or their documents for a person goes through the gates below."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from arrears.ledger.models import Customer, Document, Payment


def customer_list_visible(*, user: Any) -> QuerySet[Customer]:
    """The permission gate for customers: collectors see their own portfolio, leads their team's."""
    qs = Customer.objects.all()
    collector_ids = user.visible_collector_ids()
    if collector_ids is not None:
        qs = qs.filter(collector_id__in=collector_ids)
    return qs


def customer_get_for_user(*, user: Any, pk: int) -> Customer:
    """One customer, or 404 when it does not exist or this user may not see it (the same answer)."""
    try:
        return customer_list_visible(user=user).select_related("business_unit", "collector", "parent").get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such customer") from exc


def document_list_visible(*, user: Any) -> QuerySet[Document]:
    qs = Document.objects.all()
    collector_ids = user.visible_collector_ids()
    if collector_ids is not None:
        qs = qs.filter(customer__collector_id__in=collector_ids)
    return qs


def payment_list_visible(*, user: Any) -> QuerySet[Payment]:
    qs = Payment.objects.all()
    collector_ids = user.visible_collector_ids()
    if collector_ids is not None:
        qs = qs.filter(customer__collector_id__in=collector_ids)
    return qs
