"""Ledger histories for scoring tests, written in bulk with derived fields computed from the allocations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from arrears.ledger.models import (
    Allocation,
    AllocationSource,
    BusinessUnit,
    Customer,
    Document,
    DocumentStatus,
    Payment,
)
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory

Pay = tuple[int, Decimal]  # (days after the due date, amount)


def history_build(
    *,
    customer: Customer | None = None,
    business_unit: BusinessUnit | None = None,
    start: dt.date,
    payments: Sequence[Sequence[Pay] | int | None],
    every: int = 10,
    terms: int = 30,
    amount: Decimal = Decimal("100.00"),
    **customer_fields,
) -> tuple[Customer, list[Document]]:
    """One invoice every ``every`` days; each entry pays it: an int = in full that many days after the
    due date, a list of (days, amount) = in parts, None = not at all."""
    bu = business_unit or BusinessUnitFactory()
    customer = customer or CustomerFactory(business_unit=bu, **customer_fields)
    docs, pays, allocs = [], [], []
    for i, plan in enumerate(payments):
        issue = start + dt.timedelta(days=every * i)
        due = issue + dt.timedelta(days=terms)
        parts: list[Pay] = [] if plan is None else [(plan, amount)] if isinstance(plan, int) else list(plan)
        paid = sum((a for _, a in parts), Decimal("0"))
        last = max((due + dt.timedelta(days=d) for d, _ in parts), default=None)
        open_amount = amount - paid
        status = DocumentStatus.PAID if open_amount == 0 else DocumentStatus.PARTIALLY_PAID if paid else DocumentStatus.OPEN
        doc = Document(
            business_unit=customer.business_unit, customer=customer, external_id=f"{customer.external_id}-{i}",
            issue_date=issue, due_date=due, amount=amount, currency=customer.business_unit.home_currency,
            open_amount=open_amount, status=status, closed_date=last if open_amount == 0 else None,
        )
        docs.append(doc)
        for j, (d, a) in enumerate(parts):
            pays.append((doc, Payment(
                business_unit=customer.business_unit, customer=customer, external_id=f"P-{doc.external_id}-{j}",
                received_date=due + dt.timedelta(days=d), amount=a, currency=doc.currency, unapplied_amount=Decimal(0),
            )))
    Document.objects.bulk_create(docs)
    Payment.objects.bulk_create([p for _, p in pays])
    for doc, p in pays:
        allocs.append(Allocation(document=doc, source=AllocationSource.PAYMENT, payment=p, amount=p.amount,
                                 currency=p.currency, date=p.received_date))
    Allocation.objects.bulk_create(allocs)
    return customer, docs
