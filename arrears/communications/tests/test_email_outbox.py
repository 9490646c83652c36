"""Email through a real SMTP conversation (aiosmtpd), and the outbox's at-most-once guarantees."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import subprocess

import pytest

from arrears.communications.models import MessageStatus, OutboundMessage
from arrears.communications.services import message_queue, outbox_send_due
from arrears.communications.services import outbox as outbox_module
from arrears.communications.services.outbox import backoff_delay, outbox_recover_expired
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.compliance.models import ContactAttempt
from arrears.ledger.models import ChannelConsent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.communications.tests.urls")]


def _received(sink, index=0):
    return email.message_from_bytes(sink.messages[index].content, policy=email.policy.default)


def _pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode().replace("\xa0", " ")


def test_email_arrives_over_smtp_with_html_text_and_the_statement_pdf(smtp, de_customer):
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="run-1", now=NOW)

    counts = outbox_send_due(now=NOW)

    assert counts.get("sent") == 1
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == ["erika@mueller.example"]
    received = _received(smtp)
    assert received["Subject"] == "Zahlungserinnerung: Müller Maschinenbau GmbH"
    assert received["Reply-To"] == "collections@acme.example"
    assert "ar@acme.example" in received["From"]
    assert received["Message-ID"] == message.provider_id
    # babel puts a no-break space between amount and symbol ("1.234,56\xa0€"); compare with plain spaces.
    text = received.get_body(preferencelist=("plain",)).get_content().replace("\xa0", " ")
    html = received.get_body(preferencelist=("html",)).get_content().replace("\xa0", " ")
    assert "1.234,56 €" in text
    assert "RE-2026-0001" in text
    assert "<table" in html
    assert "1.234,56 €" in html
    pdfs = [p for p in received.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].get_filename() == "Kontoauszug.pdf"
    pdf_text = _pdf_text(pdfs[0].get_content())
    assert "Müller Maschinenbau GmbH" in pdf_text
    assert "RE-2026-0002" in pdf_text
    assert "1.234,56 €" in pdf_text
    assert "Seite 1 von 1" in pdf_text
    # No opt-out duty for an EU business customer: no List-Unsubscribe.
    assert received["List-Unsubscribe"] is None
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sent_at == NOW
    assert message.decision_id is not None
    attempt = ContactAttempt.objects.get(customer=de_customer)
    assert attempt.channel == "email"
    assert attempt.reference == f"outbox:{message.pk}"


def test_us_consumer_email_carries_list_unsubscribe_and_an_opt_out_link(smtp, us_consumer, client):
    message = message_queue(customer=us_consumer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="run-1", now=NOW)
    outbox_send_due(now=NOW)

    received = _received(smtp)
    header = received["List-Unsubscribe"]
    assert header.startswith("<mailto:collections@acme-us.example?subject=unsubscribe%20")
    https = header.split(", ")[1].strip("<>")
    assert https.startswith("http")
    assert "/communications/unsubscribe/" in https
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = received.get_body(preferencelist=("html",)).get_content()
    assert https in html
    assert "debt collector" in html
    assert message.content_flags["opt_out_statement"] is True

    # The one-click POST (RFC 8058) opts the contact out of email.
    path = https.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    consent = ChannelConsent.objects.get(contact=message.contact, channel="email")
    assert consent.status == "opted_out"
    assert consent.source == "email unsubscribe link"


def test_running_the_sender_twice_sends_each_message_once(smtp, de_customer):
    message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF, run_reference="r", now=NOW)
    again = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                          run_reference="r", now=NOW)

    first = outbox_send_due(now=NOW)
    second = outbox_send_due(now=NOW + dt.timedelta(hours=1))

    assert OutboundMessage.objects.count() == 1
    assert again.pk == OutboundMessage.objects.get().pk
    assert first.get("sent") == 1
    assert "sent" not in second
    assert len(smtp.messages) == 1


class WorkerDied(BaseException):
    """Stands for a killed process: not an Exception, so nothing in the service catches it."""


@pytest.mark.smoke
def test_a_worker_killed_after_the_smtp_send_does_not_cause_a_second_delivery(smtp, de_customer, monkeypatch):
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)

    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(outbox_module, "_mark_sent", die)
    with pytest.raises(WorkerDied):
        outbox_send_due(now=NOW)
    monkeypatch.undo()
    assert len(smtp.messages) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING

    # Another worker, while the lease runs and after it expired: nothing goes out again.
    assert outbox_send_due(now=NOW + dt.timedelta(seconds=30)).get("sent") is None
    later = outbox_send_due(now=NOW + dt.timedelta(hours=1))
    assert later["recovered"] == 1
    assert "sent" not in later
    message.refresh_from_db()
    assert message.status == MessageStatus.CHECK
    assert "delivery unknown" in message.last_error
    assert len(smtp.messages) == 1


def test_resend_unconfirmed_policy_requeues_an_expired_row(settings, de_customer):
    settings.ARREARS_OUTBOX_RESEND_UNCONFIRMED = True
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING,
                                                         lease_until=NOW - dt.timedelta(seconds=1))
    assert outbox_recover_expired(now=NOW) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED


def test_smtp_down_retries_with_exponential_backoff_then_fails(smtp_down, settings, de_customer):
    settings.ARREARS_OUTBOX_MAX_ATTEMPTS = 3
    settings.ARREARS_OUTBOX_BACKOFF_SECONDS = 60
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)

    assert outbox_send_due(now=NOW).get("queued") == 1
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert "SMTP connect" in message.last_error
    # Not due yet: nothing is tried.
    assert outbox_send_due(now=NOW + dt.timedelta(seconds=59)).get("queued") is None
    at = NOW + dt.timedelta(seconds=60)
    assert outbox_send_due(now=at).get("queued") == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == at + dt.timedelta(seconds=120)
    assert outbox_send_due(now=at + dt.timedelta(seconds=120)).get("failed") == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert message.last_error.startswith("gave up after 3 attempts")


def test_backoff_doubles_and_is_capped(settings):
    settings.ARREARS_OUTBOX_BACKOFF_SECONDS = 30
    settings.ARREARS_OUTBOX_BACKOFF_MAX_SECONDS = 200
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_a_blocked_message_is_not_sent_and_keeps_the_reason(smtp, de_customer):
    de_customer.do_not_contact = True
    de_customer.save(update_fields=["do_not_contact"])
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)

    assert outbox_send_due(now=NOW).get("blocked") == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.BLOCKED
    assert message.decision is not None
    assert not message.decision.allowed
    assert message.last_error == message.decision.reasons
    assert message.last_error
    assert smtp.messages == []
    assert not ContactAttempt.objects.filter(customer=de_customer).exists()


def test_a_us_template_without_the_opt_out_link_is_blocked_by_the_gate(smtp, us_consumer):
    from arrears.communications.selectors import template_get_active
    from arrears.communications.services import template_update

    template = template_get_active(key="reminder_1", channel="email", language="en")
    template_update(template=template, subject=template.subject,
                    html_body=template.html_body.replace("{{ opt_out_url }}", "#"),
                    text_body=template.text_body.replace("{{ opt_out_url }}", "(ask us)"))
    message = message_queue(customer=us_consumer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    assert message.content_flags["opt_out_statement"] is False

    outbox_send_due(now=NOW)

    message.refresh_from_db()
    assert message.status == MessageStatus.BLOCKED
    assert "US-ELEC" in message.decision.blocking_rules
    assert smtp.messages == []


def test_outside_contact_hours_the_message_waits_for_the_allowed_time(smtp, us_consumer):
    night = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # 01:00 in New York
    message = message_queue(customer=us_consumer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=night)

    assert outbox_send_due(now=night).get("deferred") == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 0
    assert message.next_attempt_at > night
    assert "deferred by compliance" in message.last_error
    assert smtp.messages == []
    assert outbox_send_due(now=message.next_attempt_at).get("sent") == 1
    assert len(smtp.messages) == 1


def test_a_contact_without_email_is_written_as_failed(de_customer):
    contact = de_customer.contacts.get()
    contact.email = ""
    contact.save(update_fields=["email"])
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    assert message.status == MessageStatus.FAILED
    assert "no email" in message.last_error


def test_the_celery_task_sends_one_message_by_id(smtp, de_customer):
    from arrears.communications.tasks import outbox_send

    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    assert outbox_send.delay(message.pk).get() == "sent"
    assert outbox_send.delay(message.pk).get() == "skipped"
    assert len(smtp.messages) == 1
