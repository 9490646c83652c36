"""A small portfolio on a frozen Tuesday morning (the compliance gate allows calls at 11:00 in Berlin)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from arrears.ledger.tests.factories import (
    BusinessUnitFactory,
    ContactFactory,
    CustomerFactory,
    DocumentFactory,
)
from arrears.users.models import Team

TODAY = dt.date(2026, 3, 10)
D = Decimal


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def people(make_user):
    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    other_lead = make_user("leo", role="lead")
    south = Team.objects.create(name="South", lead=other_lead)
    return {
        "lead": lead, "team": team, "south": south, "other_lead": other_lead,
        "cora": make_user("cora", team=team, first_name="Cora", last_name="Collins"),
        "carl": make_user("carl", team=team),
        "dora": make_user("dora", team=team),
        "sam": make_user("sam", team=south),
        "head": make_user("hana", role="head"),
        "auditor": make_user("otto", role="auditor"),
    }


@pytest.fixture
def unit():
    return BusinessUnitFactory(code="ACME-DE", home_currency="EUR", country="DE", timezone="Europe/Berlin")


@pytest.fixture
def make_customer(unit, people):
    def make(name="Nordlicht GmbH", *, collector="cora", overdue_days=45, amount="1000.00", **kw):
        customer = CustomerFactory(business_unit=unit, name=name, collector=people[collector] if collector else None,
                                   jurisdiction="eu_b2b", country="DE", **kw)
        ContactFactory(customer=customer, name="Pat Payable", phone="+4930123456")
        if amount is not None:
            due = TODAY - dt.timedelta(days=overdue_days)
            DocumentFactory(customer=customer, amount=D(amount), open_amount=D(amount), due_date=due,
                            issue_date=due - dt.timedelta(days=30))
        return customer

    return make
