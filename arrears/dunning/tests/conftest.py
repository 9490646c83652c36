"""A German business unit with the shipped strategies, and helpers that read like a collector's notes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.dunning.models import DocumentDunningState, DunningAction
from arrears.dunning.services.strategies import strategy_seed_defaults
from arrears.ledger.models import BusinessUnit, Document
from arrears.ledger.services import payment_allocate, payment_create
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory

# Friday 13 March 2026: day -3 is Tuesday 10 March, day 7 Friday 20 March, day 45 Monday 27 April,
# day 90 Thursday 11 June (no German public holiday on any of them).
DUE = dt.date(2026, 3, 13)


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


@pytest.fixture
def unit(db):
    return BusinessUnit.objects.create(code="ACME-DE", name="Acme GmbH", home_currency="EUR", country="DE",
                                       timezone="Europe/Berlin")


@pytest.fixture
def strategies(unit):
    return {s.name: s for s in strategy_seed_defaults()}


@pytest.fixture
def make_customer(unit, strategies):
    def make(name: str = "Brandt Maschinenbau", *, kind: str = "commercial", jurisdiction: str = "other",
             country: str = "DE", **fields):
        customer = CustomerFactory(business_unit=unit, name=name, kind=kind, jurisdiction=jurisdiction,
                                   country=country, **fields)
        ContactFactory(customer=customer, name=f"AP {name}", phone="+4930123456", address_line1="Hauptstr. 1",
                       city="Berlin", postal_code="10115", country=country)
        return customer

    return make


@pytest.fixture
def make_invoice():
    def make(customer, amount: str = "1200.00", due: dt.date = DUE, **fields) -> Document:
        return DocumentFactory(customer=customer, amount=Decimal(amount), open_amount=Decimal(amount),
                               issue_date=due - dt.timedelta(days=30), due_date=due, **fields)

    return make


@pytest.fixture
def pay():
    counter = iter(range(1, 10_000))

    def pay(document: Document, amount: str, on: dt.date):
        payment = payment_create(business_unit=document.business_unit, customer=document.customer,
                                 external_id=f"PAY-{next(counter)}", received_date=on, amount=Decimal(amount),
                                 currency=document.currency)
        return payment_allocate(payment=payment, allocations=[(document, Decimal(amount))], date=on)

    return pay


def actions_on(as_of: dt.date, customer=None):
    qs = DunningAction.objects.filter(as_of=as_of)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return list(qs.select_related("step").order_by("customer_id", "kind"))


def level_of(document: Document) -> int:
    state = DocumentDunningState.objects.filter(document=document).first()
    return state.level if state else -1
