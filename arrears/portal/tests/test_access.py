"""A portal session reaches only its own customer's documents, and every POST needs the CSRF token."""

import re

import pytest
from django.test import Client

from arrears.disputes.models import Dispute
from arrears.portal.models import PaymentIntent
from arrears.portal.services.tokens import portal_token_create
from arrears.promises.models import Promise

pytestmark = pytest.mark.django_db


def test_a_session_for_a_cannot_read_bs_documents(alice_portal, alice, bob):
    b_doc = bob[1][0]
    assert alice_portal.get(f"/portal/documents/{alice[1][0].pk}/pdf/").status_code == 200
    for url in (f"/portal/documents/{b_doc.pk}/pdf/", f"/portal/documents/{b_doc.pk}/dispute/",
                f"/portal/pay/?documents={b_doc.pk}", f"/portal/promise/?document={b_doc.pk}",
                f"/portal/pay/mandate/?documents={b_doc.pk}"):
        assert alice_portal.get(url).status_code == 404, url


def test_a_session_for_a_cannot_act_on_bs_documents(alice_portal, bob):
    b_doc = bob[1][0]
    response = alice_portal.post(f"/portal/documents/{b_doc.pk}/dispute/", {"reason": "pricing", "comment": "x"})
    assert response.status_code == 404
    response = alice_portal.post("/portal/pay/", {"documents": [b_doc.pk], "method": "bank_transfer",
                                                  "idempotency_key": "k1"})
    assert response.status_code in (400, 404)
    response = alice_portal.post("/portal/promise/", {"documents": [b_doc.pk], "amount": "999.00", "currency": "EUR",
                                                      "promised_date": "2030-01-01"})
    assert response.status_code in (400, 404)
    assert not Dispute.objects.exists()
    assert not Promise.objects.exists()
    assert not PaymentIntent.objects.exists()


def test_bs_payment_request_is_404_for_a(alice_portal, bob):
    from arrears.portal.services.payments import bank_transfer_intent_create

    intent = bank_transfer_intent_create(customer=bob[0], documents=bob[1], idempotency_key="b-1")
    assert alice_portal.get(f"/portal/payments/{intent.pk}/").status_code == 404


def test_the_document_pdf_and_the_statement_are_pdfs(alice_portal, alice):
    doc = alice[1][0]
    response = alice_portal.get(f"/portal/documents/{doc.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    statement = alice_portal.get("/portal/statement.pdf")
    assert statement.status_code == 200
    assert statement.content.startswith(b"%PDF-")
    assert "attachment" in statement["Content-Disposition"]


def test_posts_without_the_csrf_token_are_refused(alice):
    client = Client(enforce_csrf_checks=True)
    _t, raw = portal_token_create(customer=alice[0])
    client.get(f"/portal/{raw}/")
    doc = alice[1][0]
    refused = client.post(f"/portal/documents/{doc.pk}/dispute/", {"reason": "pricing", "comment": "wrong price"})
    assert refused.status_code == 403
    assert not Dispute.objects.exists()
    page = client.get(f"/portal/documents/{doc.pk}/dispute/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    accepted = client.post(f"/portal/documents/{doc.pk}/dispute/",
                           {"reason": "pricing", "comment": "wrong price", "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Dispute.objects.filter(customer=alice[0]).count() == 1
