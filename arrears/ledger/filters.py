"""django-filter FilterSets for the ledger API, and the per-page balance read of the customer list.

Every FilterSet here narrows a queryset that already went through a permission gate in
`ledger.selectors`; filters never widen what a user may see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import django_filters as filters
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from arrears.common.clock import today
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    BusinessUnit,
    Contact,
    Customer,
    CustomerKind,
    Document,
    DocumentKind,
    DocumentStatus,
    Jurisdiction,
    Payment,
)


def overdue_documents(*, as_of: dt.date) -> QuerySet[Document]:
    """Debit documents with something still open whose due date has passed on `as_of`."""
    return Document.objects.filter(open_amount__gt=0, due_date__lt=as_of).exclude(kind=DocumentKind.CREDIT_NOTE)


def customer_open_balances(*, customer_ids: Iterable[int], as_of: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Open, overdue and unapplied-credit amounts per customer and currency, in ONE grouped query.

    The list API calls this once for the page it renders, so the cost does not grow with the page size.
    """
    credit = Q(kind=DocumentKind.CREDIT_NOTE)
    rows = (
        Document.objects.filter(customer_id__in=list(customer_ids), open_amount__gt=0)
        .values("customer_id", "currency")
        .annotate(
            open_debit=Sum("open_amount", filter=~credit),
            overdue_debit=Sum("open_amount", filter=~credit & Q(due_date__lt=as_of)),
            open_credit=Sum("open_amount", filter=credit),
        )
        .order_by("customer_id", "currency")
    )
    balances: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        balances[row["customer_id"]].append(
            {
                "currency": row["currency"],
                "open_amount": row["open_debit"] or ZERO,
                "overdue_amount": row["overdue_debit"] or ZERO,
                "credit_amount": row["open_credit"] or ZERO,
            }
        )
    return dict(balances)


class BusinessUnitFilter(filters.FilterSet):
    code = filters.CharFilter(field_name="code", help_text="exact business unit code")
    country = filters.CharFilter(field_name="country", lookup_expr="iexact")

    class Meta:
        model = BusinessUnit
        fields = ["code", "country"]


class CustomerFilter(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", help_text="name or external id contains (any case)")
    business_unit = filters.CharFilter(field_name="business_unit__code", help_text="business unit code")
    segment = filters.CharFilter(field_name="segment")
    kind = filters.ChoiceFilter(choices=CustomerKind.choices)
    jurisdiction = filters.ChoiceFilter(choices=Jurisdiction.choices)
    collector = filters.NumberFilter(field_name="collector_id", help_text="collector (user) id")
    unassigned = filters.BooleanFilter(field_name="collector", lookup_expr="isnull", help_text="no collector assigned")
    has_overdue = filters.BooleanFilter(
        method="filter_has_overdue", help_text="has (true) or has no (false) overdue open document as of today"
    )

    class Meta:
        model = Customer
        fields = ["search", "business_unit", "segment", "kind", "jurisdiction", "collector", "has_overdue"]

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_id__icontains=value))

    def filter_has_overdue(self, queryset: QuerySet[Customer], name: str, value: bool | None) -> QuerySet[Customer]:
        if value is None:
            return queryset
        overdue = Exists(overdue_documents(as_of=today()).filter(customer_id=OuterRef("pk")))
        return queryset.filter(overdue if value else ~overdue)


class ContactFilter(filters.FilterSet):
    is_primary = filters.BooleanFilter()
    search = filters.CharFilter(method="filter_search", help_text="name, email or phone contains")

    class Meta:
        model = Contact
        fields = ["is_primary", "search"]

    def filter_search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value) | Q(phone__icontains=value))


class DocumentFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id", help_text="customer id")
    business_unit = filters.CharFilter(field_name="business_unit__code", help_text="business unit code")
    kind = filters.MultipleChoiceFilter(choices=DocumentKind.choices, help_text="repeat for several kinds")
    status = filters.MultipleChoiceFilter(choices=DocumentStatus.choices, help_text="repeat for several statuses")
    currency = filters.CharFilter(field_name="currency", lookup_expr="iexact")
    external_id = filters.CharFilter(field_name="external_id")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte", help_text="due on or before")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte", help_text="due on or after")
    issue_before = filters.DateFilter(field_name="issue_date", lookup_expr="lte", help_text="issued on or before")
    issue_after = filters.DateFilter(field_name="issue_date", lookup_expr="gte", help_text="issued on or after")
    overdue_as_of = filters.DateFilter(
        method="filter_overdue_as_of", help_text="debit documents still open and past due on this date"
    )
    min_open = filters.NumberFilter(field_name="open_amount", lookup_expr="gte", help_text="open amount at least")
    max_open = filters.NumberFilter(field_name="open_amount", lookup_expr="lte", help_text="open amount at most")

    class Meta:
        model = Document
        fields = [
            "customer", "business_unit", "kind", "status", "currency", "external_id", "due_before", "due_after",
            "issue_before", "issue_after", "overdue_as_of", "min_open", "max_open",
        ]

    def filter_overdue_as_of(
        self, queryset: QuerySet[Document], name: str, value: dt.date | None
    ) -> QuerySet[Document]:
        if value is None:
            return queryset
        return queryset.filter(open_amount__gt=0, due_date__lt=value).exclude(kind=DocumentKind.CREDIT_NOTE)


class PaymentFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id", help_text="customer id")
    business_unit = filters.CharFilter(field_name="business_unit__code", help_text="business unit code")
    currency = filters.CharFilter(field_name="currency", lookup_expr="iexact")
    external_id = filters.CharFilter(field_name="external_id")
    method = filters.CharFilter(field_name="method", lookup_expr="iexact")
    received_before = filters.DateFilter(field_name="received_date", lookup_expr="lte", help_text="on or before")
    received_after = filters.DateFilter(field_name="received_date", lookup_expr="gte", help_text="on or after")
    has_unapplied = filters.BooleanFilter(method="filter_has_unapplied", help_text="some cash not yet allocated")

    class Meta:
        model = Payment
        fields = [
            "customer", "business_unit", "currency", "external_id", "method", "received_before", "received_after",
            "has_unapplied",
        ]

    def filter_has_unapplied(self, queryset: QuerySet[Payment], name: str, value: bool | None) -> QuerySet[Payment]:
        if value is None:
            return queryset
        return queryset.filter(unapplied_amount__gt=Decimal(0)) if value else queryset.filter(unapplied_amount=0)


class AllocationFilter(filters.FilterSet):
    document = filters.NumberFilter(field_name="document_id", help_text="document id")
    payment = filters.NumberFilter(field_name="payment_id", help_text="payment id")
    source = filters.ChoiceFilter(choices=AllocationSource.choices)
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="applied on or before")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="applied on or after")

    class Meta:
        model = Allocation
        fields = ["document", "payment", "source", "date_before", "date_after"]
