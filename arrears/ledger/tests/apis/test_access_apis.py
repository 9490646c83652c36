"""Who may see and change what: the selectors' gates, seen through the API."""

import pytest
from rest_framework.test import APIClient

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Customer
from arrears.ledger.tests.factories import ContactFactory, DocumentFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs(bob_customer):
    return {
        "customer": bob_customer,
        "document": DocumentFactory(customer=bob_customer),
        "payment": PaymentFactory(customer=bob_customer),
        "contact": ContactFactory(customer=bob_customer),
    }


def test_a_collector_lists_only_their_own_portfolio(client_for, ann_customer, bobs):
    api = client_for("ann")
    DocumentFactory(customer=ann_customer, external_id="MINE")
    assert [r["id"] for r in api.get("/api/customers/").json()["results"]] == [ann_customer.pk]
    assert [r["external_id"] for r in api.get("/api/documents/").json()["results"]] == ["MINE"]
    assert api.get("/api/payments/").json()["count"] == 0
    assert api.get("/api/documents/", {"customer": bobs["customer"].pk}).json()["count"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/customers/{customer}/",
        "/api/customers/{customer}/contacts/",
        "/api/customers/{customer}/contacts/{contact}/",
        "/api/customers/{customer}/contacts/{contact}/consents/",
        "/api/customers/{customer}/contacts/{contact}/consents/email/",
        "/api/documents/{document}/",
        "/api/payments/{payment}/",
    ],
)
def test_another_collectors_records_are_404(client_for, bobs, url):
    ids = {k: v.pk for k, v in bobs.items()}
    response = client_for("ann").get(url.format(**ids))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client_for("bob").get(url.format(**ids)).status_code == 200


def test_another_collectors_records_cannot_be_changed(client_for, bobs):
    api = client_for("ann")
    assert api.patch(f"/api/customers/{bobs['customer'].pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.post(f"/api/payments/{bobs['payment'].pk}/allocate/", {"auto": True}, format="json").status_code == 404
    assert api.post(
        f"/api/customers/{bobs['customer'].pk}/contacts/", {"name": "x"}, format="json"
    ).status_code == 404
    assert Customer.objects.get(pk=bobs["customer"].pk).name == "Bob's Garage"


def test_a_lead_sees_the_team_but_not_other_teams(client_for, ann_customer, bobs):
    api = client_for("lead")
    assert [r["id"] for r in api.get("/api/customers/").json()["results"]] == [ann_customer.pk]
    assert api.get(f"/api/customers/{bobs['customer'].pk}/").status_code == 404


def test_allocations_follow_their_documents_gate(client_for, bobs):
    from arrears.ledger.services import payment_allocate

    payment_allocate(payment=bobs["payment"])
    assert client_for("ann").get("/api/allocations/").json()["count"] == 0
    assert client_for("bob").get("/api/allocations/").json()["count"] == 1


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("post", "/api/customers/", {"business_unit": "ACME-DE", "external_id": "Z", "name": "Z"}),
        ("patch", "/api/customers/{customer}/", {"name": "Renamed"}),
        ("post", "/api/customers/{customer}/contacts/", {"name": "Pat"}),
        ("patch", "/api/customers/{customer}/contacts/{contact}/", {"name": "Pat"}),
        ("put", "/api/customers/{customer}/contacts/{contact}/consents/email/", {"status": "opted_out"}),
        ("post", "/api/documents/", {"customer": "{customer}"}),
        ("post", "/api/documents/{document}/write-off/", {"date": "2026-03-01", "reason": "x"}),
        ("post", "/api/payments/", {"customer": "{customer}"}),
        ("post", "/api/payments/{payment}/allocate/", {"auto": True}),
    ],
)
def test_an_auditor_reads_everything_but_writes_nothing(client_for, bobs, method, url, payload):
    ids = {k: v.pk for k, v in bobs.items()}
    api = client_for("auditor")
    assert api.get("/api/customers/").json()["count"] == 1
    payload = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in payload.items()}
    response = getattr(api, method)(url.format(**ids), payload, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("url", ["/api/customers/", "/api/documents/", "/api/payments/", "/api/business-units/"])
def test_anonymous_requests_are_401(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
