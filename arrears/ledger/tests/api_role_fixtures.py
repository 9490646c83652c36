"""API fixtures shared by apps whose tests need a small team (promises, disputes): one person per role,
an authenticated API client per person, and an invoice of another collector's customer.

They use the `collector` and `customer` fixtures of the importing app's conftest."""

import pytest
from rest_framework.test import APIClient

from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears.users.models import Team


@pytest.fixture
def people(make_user, collector):
    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    collector.team = team
    collector.save(update_fields=["team"])
    return {
        "cora": collector, "lead": lead, "bob": make_user("bob"), "head": make_user("hana", role="head"),
        "auditor": make_user("otto", role="auditor"),
    }


@pytest.fixture
def client_for(people):
    def make(who):
        client = APIClient()
        client.force_authenticate(user=people[who])
        return client

    return make


@pytest.fixture
def bobs_invoice(people, customer):
    bob_customer = CustomerFactory(business_unit=customer.business_unit, collector=people["bob"], external_id="C-BOB")
    return DocumentFactory(customer=bob_customer, external_id="BOB-1")
