"""A US consumer in New York, a UK business and a German business, with their contacts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

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


@pytest.fixture
def people(make_user):
    from arrears.users.models import Team

    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    return {
        "lead": lead,
        "ann": make_user("ann", team=team),
        "bob": make_user("bob"),
        "head": make_user("hana", role="head"),
        "auditor": make_user("otto", role="auditor"),
        "admin": make_user("root", role="admin"),
    }


@pytest.fixture
def log(consumer, people):
    """Ann's consumer has a blocked late call and an allowed email; Bob's customer a blocked text."""
    from arrears.compliance.services import compliance_gate

    consumer.collector = people["ann"]
    consumer.save()
    bobs = CustomerFactory(business_unit=consumer.business_unit, name="Bravo Buyer", external_id="C-US-2",
                           kind="consumer", jurisdiction="us_consumer", country="US", collector=people["bob"],
                           do_not_contact=True)
    ContactFactory(customer=bobs, phone="+12125550199", region="NY", country="US")
    decided = {}
    for name, day, customer, channel, when, kwargs in (
        ("late_call", 20, consumer, "phone", ny(2026, 11, 23, 22), {"initiated_by": "manual", "actor": people["ann"]}),
        ("email", 21, consumer, "email", ny(2026, 11, 23, 10), {}),
        ("dnc_text", 22, bobs, "sms", ny(2026, 11, 23, 10), {}),
    ):
        with time_machine.travel(dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC), tick=False):
            decided[name] = compliance_gate(customer=customer, channel=channel, when=when, **kwargs)
    return {**people, "consumer": consumer, "bobs": bobs, **decided}
