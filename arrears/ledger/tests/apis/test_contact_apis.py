import datetime as dt

import pytest

from arrears.audit.models import AuditEvent
from arrears.ledger.models import ChannelConsent, Contact
from arrears.ledger.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def contacts_url(customer):
    return f"/api/customers/{customer.pk}/contacts/"


def test_create_contact_normalises_the_phone_and_is_audited(client_for, people, ann_customer):
    response = client_for("ann").post(
        contacts_url(ann_customer),
        {"name": "Pat", "email": "pat@example.com", "phone": "030 1234567", "country": "de", "is_primary": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["phone"], body["country"], body["customer"]) == ("+49301234567", "DE", ann_customer.pk)
    assert [c["status"] for c in body["consents"]] == ["unknown"] * 4
    event = AuditEvent.objects.get(object_type="ledger.contact")
    assert (event.action, event.actor, event.customer_id) == ("create", people["ann"], ann_customer.pk)


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"phone": "12"}, "phone"), ({"email": "not-an-email"}, "email"), ({"name": ""}, "name")],
)
def test_create_contact_rejects_bad_input_naming_the_field(head_api, ann_customer, payload, field):
    response = head_api.post(contacts_url(ann_customer), {"name": "Pat", **payload}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Contact.objects.exists()


def test_contacts_list_and_a_new_primary_demotes_the_old_one(head_api, ann_customer, bob_customer):
    old = ContactFactory(customer=ann_customer, name="Old", is_primary=True)
    ContactFactory(customer=bob_customer, name="Elsewhere", is_primary=True)
    new = ContactFactory(customer=ann_customer, name="New", is_primary=False)
    response = head_api.patch(f"{contacts_url(ann_customer)}{new.pk}/", {"is_primary": True, "role": "CFO"}, format="json")
    assert response.status_code == 200
    assert (response.json()["is_primary"], response.json()["role"]) == (True, "CFO")
    rows = head_api.get(contacts_url(ann_customer)).json()["results"]
    assert [(r["name"], r["is_primary"]) for r in rows] == [("New", True), ("Old", False)]
    old.refresh_from_db()
    assert not old.is_primary
    assert Contact.objects.get(name="Elsewhere").is_primary  # other customers untouched


def test_a_contact_is_reached_only_through_its_customer(head_api, ann_customer, bob_customer):
    contact = ContactFactory(customer=bob_customer)
    assert head_api.get(f"{contacts_url(ann_customer)}{contact.pk}/").status_code == 404
    assert head_api.get(f"{contacts_url(bob_customer)}{contact.pk}/").status_code == 200


def test_consents_read_one_row_per_channel(head_api, ann_customer):
    contact = ContactFactory(customer=ann_customer)
    ChannelConsent.objects.create(contact=contact, channel="sms", status="granted", source="signup")
    response = head_api.get(f"{contacts_url(ann_customer)}{contact.pk}/consents/")
    assert response.status_code == 200
    assert [(c["channel"], c["status"]) for c in response.json()] == [
        ("email", "unknown"), ("letter", "unknown"), ("sms", "granted"), ("phone", "unknown"),
    ]


def test_opting_out_of_a_channel_is_recorded_and_audited(client_for, people, ann_customer):
    contact = ContactFactory(customer=ann_customer)
    url = f"{contacts_url(ann_customer)}{contact.pk}/consents/email/"
    api = client_for("ann")
    first = api.put(url, {"status": "granted", "source": "web form", "changed_at": "2026-01-02T10:00:00Z"}, format="json")
    assert first.status_code == 200, first.json()
    second = api.put(url, {"status": "opted_out", "source": "reply STOP"}, format="json")
    assert second.status_code == 200
    body = api.get(url).json()
    assert (body["channel"], body["status"], body["source"]) == ("email", "opted_out", "reply STOP")
    assert dt.datetime.fromisoformat(body["changed_at"]) > dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)
    events = AuditEvent.objects.filter(object_type="ledger.channelconsent").order_by("id")
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].before["status"] == "granted"
    assert events[1].after["status"] == "opted_out"
    assert events[1].actor == people["ann"]


def test_consent_for_an_unknown_channel_is_404_and_a_bad_status_names_the_field(head_api, ann_customer):
    contact = ContactFactory(customer=ann_customer)
    base = f"{contacts_url(ann_customer)}{contact.pk}/consents/"
    assert head_api.put(f"{base}pigeon/", {"status": "granted"}, format="json").status_code == 404
    response = head_api.put(f"{base}sms/", {"status": "maybe"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]
