"""Paying from the portal: bank transfer details with an RF reference, card checkout through the provider,
and the provider's signed webhooks (bad signature, stale, replayed, paid twice)."""

import re
import time
from decimal import Decimal

import pytest
from django.db.models import Sum
from stdnum import iso11649

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Allocation, Document, Payment
from arrears.payments.references import creditor_reference_for
from arrears.portal.errors import PortalError, PortalErrorCode
from arrears.portal.models import IntentStatus, PaymentIntent, WebhookEvent
from arrears.portal.selectors import bank_transfer_reference_resolve
from arrears.portal.services.payments import bic_for, iban_validate
from arrears.portal.tests.conftest import signed_post

pytestmark = pytest.mark.django_db
D = Decimal


def _pay(client, docs, method, key="key-1"):
    return client.post("/portal/pay/", {"documents": [d.pk for d in docs], "method": method, "idempotency_key": key})


def _assert_ledger_consistent():
    for doc in Document.objects.all():
        used = Allocation.objects.filter(document=doc).aggregate(s=Sum("amount"))["s"] or D(0)
        assert doc.open_amount == doc.amount - used
    for payment in Payment.objects.all():
        used = Allocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"] or D(0)
        assert payment.unapplied_amount == payment.amount - used


def test_bank_transfer_shows_the_units_iban_and_an_rf_reference_for_exactly_the_selection(alice_portal, alice):
    customer, docs = alice
    chooser = alice_portal.get(f"/portal/pay/?documents={docs[0].pk}&documents={docs[1].pk}")
    assert chooser.status_code == 200
    assert "1,500.00" in chooser.content.decode()
    response = _pay(alice_portal, docs[:2], "bank_transfer")
    intent = PaymentIntent.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/payments/{intent.pk}/"
    page = alice_portal.get(response["Location"]).content.decode()
    assert "DE89 3704 0044 0532 0130 00" in page
    assert "COBADEFFXXX" in page
    reference = re.search(r'id="reference"><strong>([A-Z0-9]+)</strong>', page).group(1)
    assert iso11649.is_valid(reference)
    assert reference == intent.creditor_reference
    assert intent.amount == D("1500.00")
    assert intent.status == IntentStatus.PENDING
    # The reference resolves back to exactly these documents for cash application.
    assert sorted(bank_transfer_reference_resolve(reference=reference)) == sorted(
        [(docs[0].pk, D("1200.00")), (docs[1].pk, D("300.00"))])
    assert AuditEvent.objects.get(action="portal.pay", customer_id=customer.pk).actor_label == "portal:K-100"


def test_one_document_gets_the_documents_own_rf_reference(alice_portal, alice):
    _pay(alice_portal, alice[1][2:], "bank_transfer")
    intent = PaymentIntent.objects.get()
    assert intent.creditor_reference == creditor_reference_for(alice[1][2])
    assert iso11649.is_valid(intent.creditor_reference)


def test_a_double_submitted_payment_form_makes_one_request(alice_portal, alice):
    first = _pay(alice_portal, alice[1][:1], "bank_transfer", key="same")
    second = _pay(alice_portal, alice[1][:1], "bank_transfer", key="same")
    assert first["Location"] == second["Location"]
    assert PaymentIntent.objects.count() == 1


@pytest.mark.parametrize(("iban", "message"), [
    ("DE89 3704 0044 0532 0130 01", "invalid checksum digits"),
    ("DE89 3704", "invalid iban length"),
    ("XX12 3456", "is not a valid IBAN"),
    ("", "enter an IBAN"),
])
def test_iban_errors_say_what_is_wrong(iban, message):
    with pytest.raises(PortalError) as err:
        iban_validate(iban)
    assert err.value.code == PortalErrorCode.INVALID_IBAN
    assert message.lower() in err.value.message.lower()
    assert err.value.message.startswith("iban: ")


def test_the_bic_comes_from_the_iban_or_is_validated():
    iban = iban_validate("DE89 3704 0044 0532 0130 00")
    assert bic_for(iban) == "COBADEFFXXX"
    with pytest.raises(PortalError, match="bic: 'NOTABIC!' is not a valid BIC"):
        bic_for(iban, "NOTABIC!")


def test_the_mandate_form_shows_iban_errors_on_the_field(alice_portal, alice):
    doc = alice[1][0]
    response = alice_portal.post("/portal/pay/mandate/", {
        "documents": [doc.pk], "debtor_name": "Alpha Handel GmbH", "iban": "DE89 3704 0044 0532 0130 01",
        "accept": "on", "idempotency_key": "m-1"})
    assert response.status_code == 400
    assert "Invalid checksum digits" in response.content.decode() or "invalid checksum digits" in response.content.decode()


def test_card_payment_creates_a_hosted_checkout_and_redirects_to_it(alice_portal, alice, provider):
    response = _pay(alice_portal, alice[1][:2], "card")
    intent = PaymentIntent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{provider.url}/checkout/cs_test_1"
    assert intent.provider_session_id == "cs_test_1"
    assert intent.status == IntentStatus.PENDING
    sent = provider.requests[0]
    assert sent["path"] == "/sessions"
    assert sent["auth"] == "Bearer sk_test"
    assert sent["body"]["amount"] == 150000
    assert sent["body"]["currency"] == "EUR"


def test_an_unreachable_provider_fails_the_request_clearly(alice_portal, alice, settings):
    settings.ARREARS_PAYMENT_PROVIDER = {"url": "http://127.0.0.1:9", "webhook_secret": "x", "timeout": 2}
    response = _pay(alice_portal, alice[1][:1], "card")
    assert response.status_code == 400
    assert "did not answer" in response.content.decode()
    assert PaymentIntent.objects.get().status == IntentStatus.FAILED


def _checkout(client, docs):
    _pay(client, docs, "card")
    return PaymentIntent.objects.get()


def _completed(intent, event_id="evt_1", amount=None):
    from arrears.common.money import to_minor

    return {"id": event_id, "type": "checkout.session.completed",
            "data": {"session_id": intent.provider_session_id, "currency": "EUR",
                     "amount": to_minor(intent.amount if amount is None else amount, "EUR")}}


def test_a_good_webhook_posts_the_payment_and_its_allocations(client, alice_portal, alice, provider):
    customer, docs = alice
    intent = _checkout(alice_portal, docs[:2])
    response = signed_post(client, _completed(intent))
    assert response.status_code == 200
    assert response.json()["status"] == "paid"
    intent.refresh_from_db()
    payment = Payment.objects.get(customer=customer)
    assert intent.status == IntentStatus.PAID
    assert intent.payment == payment
    assert payment.amount == D("1500.00")
    assert payment.unapplied_amount == D("0")
    assert payment.method == "card"
    assert {(a.document_id, a.amount) for a in payment.allocations.all()} == {(docs[0].pk, D("1200.00")), (docs[1].pk, D("300.00"))}
    for doc in docs[:2]:
        doc.refresh_from_db()
        assert doc.open_amount == 0
        assert doc.status == "paid"
    _assert_ledger_consistent()
    assert AuditEvent.objects.filter(action="portal.pay", customer_id=customer.pk, after__step="paid").exists()


def test_a_webhook_with_a_bad_signature_changes_nothing(client, alice_portal, alice, provider):
    intent = _checkout(alice_portal, alice[1][:1])
    for response in (
        signed_post(client, _completed(intent), secret="not-the-secret"),
        signed_post(client, _completed(intent), header="t=123,v1=deadbeef"),
        signed_post(client, _completed(intent), header=""),
    ):
        assert response.status_code == 400
        assert response.json()["code"] == "bad_signature"
    assert not Payment.objects.exists()
    assert not WebhookEvent.objects.exists()
    intent.refresh_from_db()
    assert intent.status == IntentStatus.PENDING


def test_a_webhook_signed_long_ago_is_refused(client, alice_portal, alice, provider):
    intent = _checkout(alice_portal, alice[1][:1])
    response = signed_post(client, _completed(intent), timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert response.json()["code"] == "stale_signature"
    assert not Payment.objects.exists()
    assert not WebhookEvent.objects.exists()


def test_a_tampered_body_fails_the_signature(client, alice_portal, alice, provider):
    import json

    from arrears.portal.providers import webhook_signature_header

    intent = _checkout(alice_portal, alice[1][:1])
    body = json.dumps(_completed(intent)).encode()
    header = webhook_signature_header(body=body, secret="whsec_test_0123456789", timestamp=int(time.time()))
    forged = body.replace(b'"amount": 120000', b'"amount": 1')
    response = client.post("/portal/webhooks/hosted/", data=forged, content_type="application/json",
                           headers={"Arrears-Signature": header})
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_replayed_event_changes_nothing(client, alice_portal, alice, provider):
    intent = _checkout(alice_portal, alice[1][:1])
    assert signed_post(client, _completed(intent)).json()["status"] == "paid"
    replay = signed_post(client, _completed(intent))
    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate"
    assert Payment.objects.count() == 1
    assert Allocation.objects.count() == 1
    assert WebhookEvent.objects.count() == 1
    _assert_ledger_consistent()


def test_the_same_payment_reported_by_two_events_is_recorded_once(client, alice_portal, alice, provider):
    intent = _checkout(alice_portal, alice[1][:2])
    assert signed_post(client, _completed(intent, "evt_a")).json()["status"] == "paid"
    second = signed_post(client, _completed(intent, "evt_b"))
    assert second.status_code == 200
    assert second.json()["status"] == "already_paid"
    assert Payment.objects.count() == 1
    assert Allocation.objects.count() == 2
    assert WebhookEvent.objects.count() == 2
    _assert_ledger_consistent()


def test_a_document_paid_meanwhile_leaves_the_rest_unapplied(client, alice_portal, alice, provider):
    from arrears.ledger.services import payment_allocate, payment_create

    customer, docs = alice
    intent = _checkout(alice_portal, docs[1:3])  # 300.00 + 80.50
    other = payment_create(business_unit=customer.business_unit, customer=customer, external_id="BANK-1",
                           received_date=docs[1].due_date, amount=D("100.00"), currency="EUR")
    payment_allocate(payment=other, allocations=[(docs[1], D("100.00"))])
    assert signed_post(client, _completed(intent)).json()["status"] == "paid"
    payment = Payment.objects.get(method="card")
    assert payment.amount == D("380.50")
    assert payment.unapplied_amount == D("100.00")
    _assert_ledger_consistent()


def test_a_failed_checkout_marks_the_request_failed(client, alice_portal, alice, provider):
    intent = _checkout(alice_portal, alice[1][:1])
    response = signed_post(client, {"id": "evt_x", "type": "checkout.session.expired",
                                    "data": {"session_id": intent.provider_session_id}})
    assert response.json()["status"] == "failed"
    intent.refresh_from_db()
    assert intent.status == IntentStatus.FAILED
    assert not Payment.objects.exists()
