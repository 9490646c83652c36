"""A customer with open invoices, and helpers to pay them through the ledger's own services."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.ledger.services import payment_allocate, payment_create
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory

D = Decimal


@pytest.fixture
def collector(make_user):
    return make_user("cora", role="collector")


@pytest.fixture
def customer(collector):
    return CustomerFactory(business_unit=BusinessUnitFactory(), collector=collector, jurisdiction="eu_b2b")


@pytest.fixture
def invoices(customer):
    """Three open EUR invoices of 100, 200 and 300."""
    return [
        DocumentFactory(customer=customer, external_id=f"INV-{n}", amount=D(n), due_date=dt.date(2026, 1, 31))
        for n in (100, 200, 300)
    ]


@pytest.fixture
def pay(customer):
    """pay(amount, on, [(document, amount), ...]) -> the payment, allocated as given (or oldest first)."""
    counter = iter(range(1, 10_000))

    def make(amount, on, to=None, allocate=True):
        payment = payment_create(
            business_unit=customer.business_unit, customer=customer, external_id=f"P{next(counter)}",
            received_date=on, amount=D(amount), currency="EUR",
        )
        if allocate:
            payment_allocate(payment=payment, allocations=[(d, D(a)) for d, a in to] if to else None, date=on)
        payment.refresh_from_db()
        return payment

    return make
