"""Fixtures: a real SMTP server (aiosmtpd) on a free port, customers with contacts and open items."""

from __future__ import annotations

import datetime as dt
import socket
from decimal import Decimal

import pytest

from arrears.communications.models import SenderProfile
from arrears.ledger.models import Jurisdiction
from arrears.ledger.tests.factories import (
    BusinessUnitFactory,
    ContactFactory,
    CustomerFactory,
    DocumentFactory,
)

# A Tuesday afternoon in Berlin and in New York: inside every profile's contact hours.
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 3, 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture
def smtp(smtp_sink, settings):
    """Django's SMTP backend pointed at the in-process server (pytest-django forces locmem otherwise)."""
    controller, sink = smtp_sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return sink


@pytest.fixture
def smtp_down(settings):
    """SMTP settings that point at a port nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def de_customer(db):
    unit = BusinessUnitFactory(code="ACME-DE", name="Acme GmbH", country="DE", home_currency="EUR",
                               timezone="Europe/Berlin")
    SenderProfile.objects.create(business_unit=unit, from_name="Acme GmbH", from_email="ar@acme.example",
                                 reply_to="collections@acme.example", letterhead="Acme GmbH\nHauptstraße 1\n10115 Berlin",
                                 return_address="Acme GmbH · Hauptstraße 1 · 10115 Berlin")
    customer = CustomerFactory(business_unit=unit, name="Müller Maschinenbau GmbH", external_id="K-1001",
                               language="de", country="DE", jurisdiction=Jurisdiction.EU_B2B)
    ContactFactory(customer=customer, name="Erika Mustermann", email="erika@mueller.example", phone="+4930901820",
                   address_line1="Industriestraße 5", postal_code="80331", city="München", country="DE")
    DocumentFactory(customer=customer, external_id="RE-2026-0001", issue_date=dt.date(2026, 1, 5),
                    due_date=dt.date(2026, 2, 4), amount=Decimal("1000.00"))
    DocumentFactory(customer=customer, external_id="RE-2026-0002", issue_date=dt.date(2026, 1, 20),
                    due_date=dt.date(2026, 2, 19), amount=Decimal("234.56"))
    return customer


@pytest.fixture
def us_consumer(db):
    unit = BusinessUnitFactory(code="ACME-US", name="Acme Inc.", country="US", home_currency="USD",
                               timezone="America/New_York")
    SenderProfile.objects.create(business_unit=unit, from_name="Acme Inc.", from_email="ar@acme-us.example",
                                 reply_to="collections@acme-us.example", letterhead="Acme Inc.\n1 Main St\nNew York")
    customer = CustomerFactory(business_unit=unit, name="Jane Doe", external_id="US-1", language="en", country="US",
                               kind="consumer", jurisdiction=Jurisdiction.US_CONSUMER)
    ContactFactory(customer=customer, name="Jane Doe", email="jane@doe.example", phone="+12125550123",
                   address_line1="5 Park Ave", postal_code="10016", city="New York", region="NY", country="US")
    DocumentFactory(customer=customer, external_id="INV-9001", issue_date=dt.date(2026, 1, 1),
                    due_date=dt.date(2026, 1, 31), amount=Decimal("250.00"))
    return customer
