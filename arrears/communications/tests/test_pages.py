"""Pages: the outbox list and detail, template edit with live preview, inbound confirm, opt-out link."""

from __future__ import annotations

import pytest

from arrears.communications.links import opt_out_url
from arrears.communications.models import InboundMessage, MessageStatus, MessageTemplate, OutboundMessage
from arrears.communications.selectors import message_list_for_customer, template_get_active
from arrears.communications.services import inbound_process, message_queue
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.communications.tests.test_inbound import _mail
from arrears.ledger.models import ChannelConsent
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.communications.tests.urls")]


@pytest.fixture
def queued(de_customer):
    return message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                         run_reference="r", now=NOW)


def test_outbox_list_filters_and_links_to_the_rendered_message(client, admin_user, queued, de_customer):
    other = CustomerFactory(business_unit=de_customer.business_unit, name="Zeta AG", language="de")
    ContactFactory(customer=other)
    message_queue(customer=other, channel="letter", step_key="reminder_1", as_of=AS_OF, run_reference="r", now=NOW)
    client.force_login(admin_user)

    everything = client.get("/communications/outbox/")
    emails = client.get("/communications/outbox/", {"channel": "email", "status": "queued"})
    partial = client.get("/communications/outbox/", {"q": "Zeta"}, headers={"HX-Request": "true"})

    assert everything.status_code == 200
    assert "Müller Maschinenbau GmbH" in everything.text
    assert "Zeta AG" in everything.text
    assert "Zeta AG" not in emails.text
    assert f'href="/communications/outbox/{queued.pk}/"' in emails.text
    assert "<html" not in partial.text
    assert "Zeta AG" in partial.text
    detail = client.get(f"/communications/outbox/{queued.pk}/")
    assert detail.status_code == 200
    assert "Zahlungserinnerung: Müller Maschinenbau GmbH" in detail.text
    assert "srcdoc=" in detail.text
    assert "RE-2026-0001" in detail.text
    assert queued.idempotency_key in detail.text


def test_a_collector_sees_only_their_customers_messages(client, make_user, queued):
    collector = make_user("cara", role="collector")
    client.force_login(collector)
    assert "Müller" not in client.get("/communications/outbox/").text
    assert client.get(f"/communications/outbox/{queued.pk}/").status_code == 404


def test_a_check_message_can_be_resent_from_its_page(client, admin_user, queued):
    OutboundMessage.objects.filter(pk=queued.pk).update(status=MessageStatus.CHECK, last_error="lease expired")
    client.force_login(admin_user)
    page = client.get(f"/communications/outbox/{queued.pk}/")
    assert "not known whether this message went out" in page.text
    client.post(f"/communications/outbox/{queued.pk}/resolve/", {"action": "resend"})
    queued.refresh_from_db()
    assert queued.status == MessageStatus.QUEUED
    assert queued.attempts == 0


def test_template_preview_against_a_real_customer_and_htmx_draft(client, admin_user, de_customer):
    template = template_get_active(key="reminder_1", channel="email", language="de")
    client.force_login(admin_user)

    page = client.get(f"/communications/templates/{template.pk}/preview/", {"customer": de_customer.pk})
    draft = client.post(
        f"/communications/templates/{template.pk}/preview/",
        {"customer": de_customer.pk, "subject": "Hallo {{ customer.name }} {{ total.amount|money(total.currency) }}",
         "html_body": "<p>{{ documents|length }} Posten</p>", "text_body": "x"},
        headers={"HX-Request": "true"},
    )
    broken = client.post(f"/communications/templates/{template.pk}/preview/",
                         {"customer": de_customer.pk, "subject": "{{ customer.__class__ }}", "html_body": "", "text_body": ""},
                         headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert "Zahlungserinnerung: Müller Maschinenbau GmbH" in page.text
    assert draft.status_code == 200
    assert "<html" not in draft.text
    assert "Hallo Müller Maschinenbau GmbH 1.234,56\xa0€" in draft.text
    assert "2 Posten" in draft.text
    assert 'role="alert"' in broken.text
    assert "subject" in broken.text
    assert MessageTemplate.objects.filter(key="reminder_1", channel="email", language="de").count() == 1


def test_saving_a_template_creates_a_version_and_collectors_cannot(client, admin_user, make_user):
    template = template_get_active(key="thank_you", channel="sms", language="en")
    collector = make_user("cara", role="collector")
    client.force_login(collector)
    assert client.post(template.get_absolute_url(), {"text_body": "x"}).status_code == 403
    client.force_login(admin_user)
    response = client.post(template.get_absolute_url(), {"subject": "", "html_body": "", "text_body": "Thanks! {{ portal_link }}"})
    new = template_get_active(key="thank_you", channel="sms", language="en")
    assert response.status_code == 302
    assert response["Location"] == new.get_absolute_url()
    assert new.version == 2
    assert new.text_body == "Thanks! {{ portal_link }}"
    invalid = client.post(new.get_absolute_url(), {"subject": "", "html_body": "", "text_body": "{% if %}"})
    assert invalid.status_code == 200
    assert "text_body" in invalid.text


def test_inbound_reply_confirmed_in_one_click(client, admin_user, de_customer):
    inbound_process(raw=_mail(), at=NOW)
    row = InboundMessage.objects.get()
    client.force_login(admin_user)
    listing = client.get("/communications/inbound/")
    assert "Confirm promise to pay" in listing.text
    response = client.post(f"/communications/inbound/{row.pk}/confirm/", headers={"HX-Request": "true"})
    row.refresh_from_db()
    assert response.status_code == 200
    assert row.status == "confirmed"
    assert row.confirmed_by == admin_user
    assert f'id="inbound-{row.pk}"' in response.text


def test_the_opt_out_link_needs_a_post_and_rejects_forged_tokens(client, de_customer):
    contact = de_customer.contacts.get()
    url = opt_out_url(contact_id=contact.pk).split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + url).status_code == 200
    assert not ChannelConsent.objects.exists()  # link scanners only GET
    assert client.post("/" + url).status_code == 200
    assert ChannelConsent.objects.get(contact=contact, channel="email").status == "opted_out"
    assert client.post("/communications/unsubscribe/forged:token/").status_code == 400


def test_customer_timeline_selector_lists_messages_with_bodies(queued, de_customer, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(message_list_for_customer(customer_id=de_customer.pk))
        assert rows[0].template.key == "reminder_1"
    assert rows == [queued]
    assert "RE-2026-0001" in rows[0].html_body
