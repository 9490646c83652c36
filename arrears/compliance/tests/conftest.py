"""A US consumer in New York, a UK business and a German business, with their contacts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from arrears.ledger.models import BusinessUnit
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory

NY = ZoneInfo("America/New_York")


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def us_unit(db):
    return BusinessUnit.objects.create(code="ACME-US", name="Acme Inc", home_currency="USD", country="US",
                                       timezone="America/New_York")


@pytest.fixture
def consumer(us_unit):
    """A US consumer at a New York address with a 212 number; one open invoice."""
    customer = CustomerFactory(business_unit=us_unit, name="Casey Consumer", external_id="C-US-1", kind="consumer",
                               jurisdiction="us_consumer", country="US")
    ContactFactory(customer=customer, name="Casey Consumer", email="casey@example.com", phone="+12125550123",
                   address_line1="1 Main St", city="New York", region="NY", postal_code="10001", country="US")
    DocumentFactory(customer=customer, external_id="INV-US-1", currency="USD")
    return customer


@pytest.fixture
def contact(consumer):
    return consumer.contacts.get()
