import datetime as dt

import pytest

from arrears.compliance.errors import ComplianceError, ComplianceErrorCode
from arrears.compliance.models import ContactAttempt
from arrears.compliance.selectors import contact_attempt_list
from arrears.compliance.services import compliance_gate, contact_attempt_record
from arrears.compliance.tests.conftest import ny
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_an_attempt_records_who_what_when_and_the_decision(consumer, contact, make_user):
    collector = make_user("cole")
    decision = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10), initiated_by="manual")
    document = consumer.documents.get()

    attempt = contact_attempt_record(customer=consumer, contact=contact, channel="phone", at=ny(2026, 11, 23, 10, 2),
                                     outcome="conversation", decision=decision, source="call log", reference="call-1",
                                     debt_ids=[document.pk], actor=collector)

    stored = ContactAttempt.objects.get()
    assert stored == attempt
    assert (stored.outcome, stored.decision, stored.actor, stored.debt_ids) == (
        "conversation", decision, collector, [document.pk])
    assert list(contact_attempt_list(customer_id=consumer.pk)) == [attempt]


def test_the_same_reference_twice_is_one_contact_whose_outcome_only_moves_forward(consumer):
    sent = contact_attempt_record(customer=consumer, channel="email", at=ny(2026, 11, 23, 10), source="outbox",
                                  reference="msg-7")
    delivered = contact_attempt_record(customer=consumer, channel="email", at=ny(2026, 11, 23, 10), source="outbox",
                                       reference="msg-7", outcome="delivered")
    late_retry = contact_attempt_record(customer=consumer, channel="email", at=ny(2026, 11, 23, 10), source="outbox",
                                        reference="msg-7", outcome="attempted")

    assert sent.pk == delivered.pk == late_retry.pk
    assert ContactAttempt.objects.get().outcome == "delivered"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"outcome": "maybe"}, "outcome"),
        ({"at": dt.datetime(2026, 11, 23, 10)}, "at"),
        ({"debt_ids": "INV-1"}, "debt_ids"),
    ],
)
def test_bad_attempts_name_the_field(consumer, kwargs, field):
    args = {"customer": consumer, "channel": "phone", "at": ny(2026, 11, 23, 10), **kwargs}

    with pytest.raises(ComplianceError) as error:
        contact_attempt_record(**args)

    assert error.value.field == field
    assert ContactAttempt.objects.count() == 0


def test_an_attempt_with_another_customers_contact_or_decision_is_refused(consumer):
    other = CustomerFactory(business_unit=consumer.business_unit)
    stranger = ContactFactory(customer=other)
    their_decision = compliance_gate(customer=other, channel="email", when=ny(2026, 11, 23, 10))

    with pytest.raises(ComplianceError) as wrong_contact:
        contact_attempt_record(customer=consumer, channel="phone", at=ny(2026, 11, 23, 10), contact=stranger)
    with pytest.raises(ComplianceError) as wrong_decision:
        contact_attempt_record(customer=consumer, channel="phone", at=ny(2026, 11, 23, 10), decision=their_decision)

    assert wrong_contact.value.code == ComplianceErrorCode.CONTACT_MISMATCH
    assert wrong_decision.value.code == ComplianceErrorCode.DECISION_MISMATCH
