import pytest
from django.core.exceptions import ValidationError

from arrears.audit.context import acting_as
from arrears.audit.models import AuditEvent
from arrears.ledger.services import customer_update
from arrears.ledger.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_update_records_who_and_only_the_changed_fields(make_user):
    lead = make_user("lea", role="lead")
    customer = CustomerFactory(segment="smb", payment_terms_days=30)
    with acting_as(lead):
        customer_update(customer=customer, segment="enterprise", payment_terms_days=30)
    event = AuditEvent.objects.get(customer_id=customer.pk)
    assert (event.actor, event.action) == (lead, "update")
    assert event.before == {"segment": "smb"}
    assert event.after == {"segment": "enterprise"}


def test_update_that_changes_nothing_writes_no_audit_event():
    customer = CustomerFactory(segment="smb")
    customer_update(customer=customer, segment="smb")
    assert not AuditEvent.objects.exists()


def test_derived_or_unknown_fields_cannot_be_updated():
    customer = CustomerFactory()
    with pytest.raises(ValueError, match="not editable: external_id"):
        customer_update(customer=customer, external_id="X")


def test_invalid_values_are_refused_before_anything_is_written():
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        customer_update(customer=customer, preferred_channel="pigeon")
    assert not AuditEvent.objects.exists()
