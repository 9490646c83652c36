"""A small portfolio with people of every role, and API clients signed in as each of them."""

import pytest
from rest_framework.test import APIClient

from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory
from arrears.users.models import Team


@pytest.fixture
def people(make_user):
    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    return {
        "admin": make_user("adam", role="admin"),
        "head": make_user("hana", role="head"),
        "lead": lead,
        "ann": make_user("ann", team=team),
        "bob": make_user("bob"),
        "auditor": make_user("otto", role="auditor"),
    }


@pytest.fixture
def bu():
    return BusinessUnitFactory()


@pytest.fixture
def ann_customer(people, bu):
    return CustomerFactory(business_unit=bu, collector=people["ann"], name="Ann's Bakery", external_id="C-ANN")


@pytest.fixture
def bob_customer(people, bu):
    return CustomerFactory(business_unit=bu, collector=people["bob"], name="Bob's Garage", external_id="C-BOB")


@pytest.fixture
def client_for(people):
    """client_for("ann") -> an APIClient authenticated as Ann."""

    def make(who):
        client = APIClient()
        client.force_authenticate(user=people[who])
        return client

    return make


@pytest.fixture
def head_api(client_for):
    return client_for("head")
