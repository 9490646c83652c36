import pytest

from arrears.communications.links import portal_link_for
from arrears.ledger.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_links_in_messages_are_real_portal_links_that_open_the_customers_portal(client, settings):
    settings.ARREARS_PUBLIC_URL = "http://testserver"
    customer = CustomerFactory(name="Linked Customer GmbH")
    link = portal_link_for(customer)
    path = link.removeprefix("http://testserver")
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "Linked Customer GmbH" in response.content.decode()


def test_each_message_link_is_its_own_token():
    customer = CustomerFactory()
    assert portal_link_for(customer) != portal_link_for(customer)
