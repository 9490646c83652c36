"""Promise, dispute, plan request and preferences from the portal: within policy, audited, on the timeline."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.audit.models import AuditEvent
from arrears.common.clock import today
from arrears.disputes.models import Dispute, DisputeAttachment
from arrears.ledger.models import ChannelConsent, ConsentStatus
from arrears.portal.errors import PortalError, PortalErrorCode
from arrears.portal.services.actions import portal_plan_request, portal_promise_create, promise_minimum
from arrears.promises.models import PaymentPlan, PlanStatus, Promise

pytestmark = pytest.mark.django_db
D = Decimal


def _portal_event(customer, action):
    event = AuditEvent.objects.get(customer_id=customer.pk, action=action)
    assert event.actor_label == f"portal:{customer.external_id}"
    return event


def test_a_promise_within_policy_is_recorded_with_the_portal_channel(alice_portal, alice):
    customer, docs = alice
    day = (today() + dt.timedelta(days=10)).isoformat()
    response = alice_portal.post("/portal/promise/", {"documents": [docs[1].pk], "amount": "300.00", "currency": "EUR",
                                                      "promised_date": day, "note": "after our month end"})
    assert response.status_code == 302
    promise = Promise.objects.get(customer=customer)
    assert promise.channel == "portal"
    assert promise.amount == D("300.00")
    assert list(promise.documents.all()) == [docs[1]]
    _portal_event(customer, "portal.promise")
    # The promise service's own create event is attributed to the portal too.
    assert AuditEvent.objects.get(object_type="promises.promise", action="create").actor_label == "portal:K-100"


@pytest.mark.parametrize(("days", "amount", "code"), [
    (31, "300.00", PortalErrorCode.PROMISE_TOO_LATE),
    (5, "29.99", PortalErrorCode.PROMISE_TOO_SMALL),  # 10 % of 300.00 is 30.00
])
def test_promises_outside_policy_are_refused(alice, days, amount, code):
    customer, docs = alice
    with pytest.raises(PortalError) as err:
        portal_promise_create(customer=customer, amount=amount, currency="EUR", documents=[docs[1]],
                              promised_date=today() + dt.timedelta(days=days))
    assert err.value.code == code
    assert not Promise.objects.exists()


def test_the_promise_minimum_is_a_percent_of_the_balance_with_a_floor_capped_at_the_balance():
    assert promise_minimum(balance=D("1580.50"), currency="EUR") == D("158.05")
    assert promise_minimum(balance=D("50.00"), currency="EUR") == D("10.00")  # floor
    assert promise_minimum(balance=D("7.00"), currency="EUR") == D("7.00")  # never above the balance
    assert promise_minimum(balance=D("1001"), currency="JPY") == D("101")  # rounded up to the minor unit


def test_a_promise_below_the_minimum_shows_the_rule_on_the_form(alice_portal):
    response = alice_portal.post("/portal/promise/", {"amount": "5.00", "currency": "EUR",
                                                      "promised_date": today().isoformat()})
    assert response.status_code == 400
    assert "at least 158.05 EUR" in response.content.decode()


def test_a_dispute_with_an_attachment_is_opened_and_audited(alice_portal, alice):
    customer, docs = alice
    upload = SimpleUploadedFile("delivery-note.pdf", b"%PDF-1.4 proof of return", content_type="application/pdf")
    response = alice_portal.post(f"/portal/documents/{docs[0].pk}/dispute/",
                                 {"reason": "quality", "comment": "Goods arrived broken", "attachment": upload})
    assert response.status_code == 302
    dispute = Dispute.objects.get(customer=customer)
    assert dispute.disputed_amount == docs[0].open_amount
    assert dispute.description == "Goods arrived broken"
    assert dispute.attachments.get().original_name == "delivery-note.pdf"
    _portal_event(customer, "portal.dispute")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("invoice.exe", b"MZ\x90\x00", "not an accepted type"),
    ("photo.png", b"GIF89a not a png", "does not look like a .png file"),
    ("big.pdf", b"%PDF-" + b"x" * 2048, "allowed"),
])
def test_attachments_of_the_wrong_type_or_size_are_refused_and_nothing_is_opened(alice_portal, alice, settings,
                                                                                 name, content, message):
    settings.ARREARS_DISPUTE_ATTACHMENT_MAX_BYTES = 1024
    doc = alice[1][0]
    response = alice_portal.post(f"/portal/documents/{doc.pk}/dispute/", {
        "reason": "quality", "comment": "see file", "attachment": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Dispute.objects.exists()
    assert not DisputeAttachment.objects.exists()
    assert not AuditEvent.objects.filter(action="portal.dispute").exists()


def test_a_plan_request_within_limits_waits_for_approval(alice_portal, alice):
    customer, docs = alice
    response = alice_portal.post("/portal/plan/", {
        "documents": [docs[0].pk, docs[1].pk], "instalment_count": "3", "frequency": "monthly",
        "first_due_date": (today() + dt.timedelta(days=14)).isoformat()})
    assert response.status_code == 302
    plan = PaymentPlan.objects.get(customer=customer)
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert plan.instalments.count() == 3
    assert sum(i.amount for i in plan.instalments.all()) == D("1500.00")
    _portal_event(customer, "portal.plan_request")


@pytest.mark.parametrize(("count", "first_due_days", "code"), [
    (7, 14, PortalErrorCode.PLAN_TOO_MANY_INSTALMENTS),
    (4, 14, PortalErrorCode.PLAN_INSTALMENT_TOO_SMALL),  # 80.50 / 4 < 25
    (2, 45, PortalErrorCode.PLAN_FIRST_DUE_TOO_LATE),
])
def test_plan_requests_outside_the_limits_are_refused(alice, count, first_due_days, code):
    customer, docs = alice
    with pytest.raises(PortalError) as err:
        portal_plan_request(customer=customer, documents=[docs[0]] if code != PortalErrorCode.PLAN_INSTALMENT_TOO_SMALL else [docs[2]],
                            instalment_count=count, first_due_date=today() + dt.timedelta(days=first_due_days))
    assert err.value.code == code
    assert not PaymentPlan.objects.exists()


def test_opting_out_of_a_channel_is_recorded_for_every_contact(alice_portal, alice):
    customer = alice[0]
    response = alice_portal.post("/portal/preferences/", {"preferred_channel": "letter", "opted_out": ["sms", "phone"]})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.preferred_channel == "letter"
    consents = ChannelConsent.objects.filter(contact__customer=customer)
    assert {(c.channel, c.status, c.source) for c in consents} == {
        ("sms", ConsentStatus.OPTED_OUT, "portal"), ("phone", ConsentStatus.OPTED_OUT, "portal")}
    event = _portal_event(customer, "portal.preferences")
    assert event.after["opted_out"] == ["phone", "sms"]
    # Unticking grants the channel again.
    alice_portal.post("/portal/preferences/", {"preferred_channel": "letter", "opted_out": ["phone"]})
    assert ChannelConsent.objects.get(contact__customer=customer, channel="sms").status == ConsentStatus.GRANTED


def test_the_preferred_channel_cannot_be_one_opted_out_of(alice_portal):
    response = alice_portal.post("/portal/preferences/", {"preferred_channel": "sms", "opted_out": ["sms"]})
    assert response.status_code == 400
    assert "opted out of sms" in response.content.decode()
