"""SMS through a local HTTP provider, STOP replies, delivery receipts."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from arrears.communications.models import MessageStatus
from arrears.communications.services import message_queue, outbox_send_due, sms_inbound_process
from arrears.communications.services.channels import HttpSmsProvider, PermanentSendError, TransientSendError
from arrears.communications.services.optout import is_stop_request
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.ledger.models import ChannelConsent
from arrears.ledger.services_customers import consent_set

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.communications.tests.urls")]


class Provider(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"body": body, "auth": self.headers["Authorization"],
                                    "key": self.headers["Idempotency-Key"]})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        answer = {"id": f"sms-{len(type(self).received)}"} if type(self).status == 200 else {"error": "nope"}
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    handler = type("Handler", (Provider,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ARREARS_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.ARREARS_SMS_API_KEY = "secret-key"
    yield handler
    server.shutdown()
    server.server_close()


def test_sms_goes_to_the_provider_with_key_and_idempotency_key(provider, us_consumer):
    consent_set(contact=us_consumer.contacts.get(), channel="sms", status="granted", changed_at=NOW)
    message = message_queue(customer=us_consumer, channel="sms", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)

    assert outbox_send_due(now=NOW).get("sent") == 1

    assert len(provider.received) == 1
    sent = provider.received[0]
    assert sent["auth"] == "Bearer secret-key"
    assert sent["key"] == message.idempotency_key
    assert sent["body"]["to"] == "+12125550123"
    assert "$250.00" in sent["body"]["body"]
    assert "Reply STOP to opt out." in sent["body"]["body"]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_id == "sms-1"


def test_provider_errors_are_sorted_into_retry_and_give_up(provider):
    provider.status = 503
    with pytest.raises(TransientSendError):
        HttpSmsProvider().send("+4930901820", "hi")
    provider.status = 400
    with pytest.raises(PermanentSendError, match="HTTP 400"):
        HttpSmsProvider().send("+4930901820", "hi")


@pytest.mark.parametrize(
    ("body", "stop"),
    [("STOP", True), ("stop", True), ("Stop please", True), ("  unsubscribe", True), ("STOPP", True),
     ("Please stop texting me", True), ("Opt out", True), ("cancel", True), ("I will pay on Friday", False),
     ("Don't stop, I need the reminders", False), ("", False)],
)
def test_stop_words(body, stop):
    assert is_stop_request(body) is stop


def test_a_stop_reply_through_the_webhook_opts_the_number_out_of_sms(client, settings, us_consumer):
    settings.ARREARS_SMS_WEBHOOK_TOKEN = "hook"
    contact = us_consumer.contacts.get()

    refused = client.post("/communications/sms/inbound/", {"from": "+12125550123", "body": "STOP"})
    response = client.post("/communications/sms/inbound/", data=json.dumps({"from": "+1 212-555-0123", "body": "Stop"}),
                           content_type="application/json", headers={"X-Webhook-Token": "hook"})

    assert refused.status_code == 403
    assert response.status_code == 200
    assert response.json()["opted_out_contact_ids"] == [contact.pk]
    consent = ChannelConsent.objects.get(contact=contact, channel="sms")
    assert consent.status == "opted_out"
    assert consent.source == "sms STOP"


def test_after_stop_the_next_sms_is_blocked(provider, us_consumer):
    contact = us_consumer.contacts.get()
    consent_set(contact=contact, channel="sms", status="granted", changed_at=NOW.replace(year=2025))
    sms_inbound_process(from_number="+12125550123", body="STOP", at=NOW.replace(hour=9))
    message = message_queue(customer=us_consumer, channel="sms", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    outbox_send_due(now=NOW)
    message.refresh_from_db()
    assert message.status == MessageStatus.BLOCKED
    assert provider.received == []


def test_a_delivery_receipt_marks_the_message_delivered(provider, client, settings, us_consumer):
    settings.ARREARS_SMS_WEBHOOK_TOKEN = "hook"
    consent_set(contact=us_consumer.contacts.get(), channel="sms", status="granted", changed_at=NOW)
    message = message_queue(customer=us_consumer, channel="sms", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    outbox_send_due(now=NOW)
    response = client.post("/communications/sms/status/", data=json.dumps({"id": "sms-1", "status": "delivered"}),
                           content_type="application/json", headers={"X-Webhook-Token": "hook"})
    assert response.json() == {"updated": True, "status": "delivered"}
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
