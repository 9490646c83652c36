import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from arrears.ledger.models import BusinessUnit
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears.users.models import Team

TODAY = dt.date(2026, 3, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    """Every page computes "today" from the clock; pin it so days past due are exact."""
    with time_machine.travel(dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def people(make_user):
    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    return {
        "lead": lead,
        "ann": make_user("ann", team=team, first_name="Ann", last_name="Archer"),
        "bob": make_user("bob", first_name="Bob", last_name="Baker"),
        "head": make_user("hana", role="head"),
        "auditor": make_user("otto", role="auditor"),
        "admin": make_user("root", role="admin"),
    }


@pytest.fixture
def usd_unit():
    return BusinessUnit.objects.create(code="ACME-US", name="Acme Inc", home_currency="USD", country="US")


def overdue_invoice(customer, *, days_late: int, amount: str, open_amount: str | None = None, **kw):
    due = TODAY - dt.timedelta(days=days_late)
    status = "open" if open_amount is None or open_amount == amount else "partially_paid"
    return DocumentFactory(
        customer=customer, issue_date=due - dt.timedelta(days=30), due_date=due,
        amount=Decimal(amount), open_amount=Decimal(open_amount or amount), status=status, **kw,
    )


@pytest.fixture
def portfolio(people, usd_unit):
    """Ann (in Lea's team) and Bob each own customers with open, overdue and paid items."""
    ann_c = CustomerFactory(name="Alpha Traders", external_id="C-ALPHA", collector=people["ann"], segment="enterprise")
    ann_c2 = CustomerFactory(name="Apex Retail", external_id="C-APEX", collector=people["ann"], segment="smb")
    bob_c = CustomerFactory(
        name="Bravo Foods", external_id="C-BRAVO", collector=people["bob"], segment="smb", business_unit=usd_unit
    )
    docs = {
        "a_late": overdue_invoice(ann_c, days_late=45, amount="1000.00", external_id="INV-A1", reference="PO-77"),
        "a_part": overdue_invoice(ann_c, days_late=5, amount="500.00", open_amount="200.00", external_id="INV-A2"),
        "a_future": overdue_invoice(ann_c, days_late=-10, amount="300.00", external_id="INV-A3"),
        "a_usd": overdue_invoice(ann_c, days_late=130, amount="70.00", currency="USD", external_id="INV-A4"),
        "a_paid": DocumentFactory(
            customer=ann_c, external_id="INV-A5", amount=Decimal("80.00"), open_amount=Decimal("0"), status="paid"
        ),
        "a_credit": DocumentFactory(
            customer=ann_c, external_id="CN-A1", kind="credit_note", amount=Decimal("50.00"),
            open_amount=Decimal("50.00"), issue_date=TODAY, due_date=TODAY,
        ),
        "apex": overdue_invoice(ann_c2, days_late=-3, amount="10.00", external_id="INV-P1"),
        "b_late": overdue_invoice(bob_c, days_late=95, amount="400.00", external_id="INV-B1"),
    }
    return {**people, "ann_c": ann_c, "ann_c2": ann_c2, "bob_c": bob_c, **docs}


def login(client, user):
    client.force_login(user)
    return client
