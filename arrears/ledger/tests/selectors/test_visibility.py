import pytest
from django.http import Http404

from arrears.ledger.selectors import customer_get_for_user, customer_list_visible, document_list_visible
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears.users.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(make_user):
    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    ann = make_user("ann", team=team)
    bob = make_user("bob")  # in no team
    return {
        "lead": lead, "ann": ann, "bob": bob,
        "head": make_user("hana", role="head"), "auditor": make_user("otto", role="auditor"),
        "ann_c": CustomerFactory(collector=ann), "bob_c": CustomerFactory(collector=bob),
        "nobody_c": CustomerFactory(collector=None),
    }


def test_collector_sees_only_their_own_customers(portfolio):
    p = portfolio
    assert list(customer_list_visible(user=p["ann"])) == [p["ann_c"]]
    with pytest.raises(Http404):
        customer_get_for_user(user=p["ann"], pk=p["bob_c"].pk)


def test_lead_sees_the_team_but_not_other_teams(portfolio):
    p = portfolio
    assert set(customer_list_visible(user=p["lead"])) == {p["ann_c"]}
    with pytest.raises(Http404):
        customer_get_for_user(user=p["lead"], pk=p["bob_c"].pk)


@pytest.mark.parametrize("who", ["head", "auditor"])
def test_head_and_auditor_see_everything(portfolio, who):
    p = portfolio
    assert customer_list_visible(user=p[who]).count() == 3


def test_documents_follow_the_customer_gate(portfolio):
    p = portfolio
    mine = DocumentFactory(customer=p["ann_c"])
    DocumentFactory(customer=p["bob_c"])
    assert list(document_list_visible(user=p["ann"])) == [mine]
