"""Factories that build consistent graphs: a document's business unit and currency follow its customer."""

import datetime as dt
from decimal import Decimal

import factory

from arrears.ledger.models import BusinessUnit, Contact, Customer, Document, DocumentKind, Payment


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("code",)

    code = "ACME-DE"
    name = "Acme GmbH"
    home_currency = "EUR"
    country = "DE"
    timezone = "Europe/Berlin"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    business_unit = factory.SubFactory(BusinessUnitFactory)
    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    segment = "smb"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "Pat Payable"
    role = "Accounts payable"
    email = factory.Sequence(lambda n: f"ap{n}@example.com")
    is_primary = True


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    customer = factory.SubFactory(CustomerFactory)
    business_unit = factory.LazyAttribute(lambda o: o.customer.business_unit)
    external_id = factory.Sequence(lambda n: f"INV{n:06d}")
    kind = DocumentKind.INVOICE
    issue_date = dt.date(2026, 1, 1)
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=30))
    amount = Decimal("100.00")
    currency = factory.LazyAttribute(lambda o: o.customer.business_unit.home_currency)
    open_amount = factory.LazyAttribute(lambda o: o.amount)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    customer = factory.SubFactory(CustomerFactory)
    business_unit = factory.LazyAttribute(lambda o: o.customer.business_unit)
    external_id = factory.Sequence(lambda n: f"PAY{n:06d}")
    received_date = dt.date(2026, 2, 1)
    amount = Decimal("100.00")
    currency = factory.LazyAttribute(lambda o: o.customer.business_unit.home_currency)
    unapplied_amount = factory.LazyAttribute(lambda o: o.amount)
