"""A customer with two open EUR invoices (200 and 500), and a dispute helper."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.disputes.services import dispute_open
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory


@pytest.fixture
def collector(make_user):
    return make_user("cora", role="collector")


@pytest.fixture
def customer(collector):
    return CustomerFactory(business_unit=BusinessUnitFactory(), collector=collector)


@pytest.fixture
def invoices(customer):
    return [
        DocumentFactory(customer=customer, external_id=f"INV-{n}", amount=Decimal(n), due_date=dt.date(2026, 2, 28))
        for n in (200, 500)
    ]


@pytest.fixture
def open_dispute(customer, invoices):
    """open_dispute(amount="80", reason="pricing", on=date(2026, 3, 6)) over the first invoice."""

    def make(amount="80", reason="pricing", on=dt.date(2026, 3, 6), lines=None):
        return dispute_open(
            customer=customer, reason=reason, opened_on=on,
            lines=lines if lines is not None else [(invoices[0], None if amount is None else Decimal(amount))],
        )

    return make
