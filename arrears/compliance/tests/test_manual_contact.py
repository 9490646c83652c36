import pytest

from arrears.compliance.errors import ComplianceBlocked, ComplianceErrorCode
from arrears.compliance.models import ComplianceDecision
from arrears.compliance.services import manual_contact_check_or_raise
from arrears.compliance.tests.conftest import ny

pytestmark = pytest.mark.django_db


def test_a_manual_call_at_22_00_local_time_is_refused_naming_the_rule_and_reason(consumer, make_user):
    collector = make_user("cole")

    with pytest.raises(ComplianceBlocked) as refused:
        manual_contact_check_or_raise(customer=consumer, channel="phone", when=ny(2026, 11, 23, 22), actor=collector)

    error = refused.value
    assert error.code == ComplianceErrorCode.CONTACT_BLOCKED
    assert str(error) == (
        "Refused by US-TIME: America/New_York: 22:00 is outside 08:00-21:00. Next allowed at 2026-11-24 13:00 UTC."
    )
    stored = ComplianceDecision.objects.get()  # the refusal itself is on record
    assert error.decision.pk == stored.pk
    assert (stored.initiated_by, stored.actor, stored.source) == ("manual", collector, "manual")


def test_a_manual_call_to_a_do_not_contact_customer_is_refused_without_a_next_time(consumer):
    consumer.do_not_contact = True
    consumer.save()

    with pytest.raises(ComplianceBlocked) as refused:
        manual_contact_check_or_raise(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10))

    assert str(refused.value) == "Refused by HOLD-DNC: the customer is marked do-not-contact."


def test_an_allowed_manual_contact_returns_the_stored_decision(consumer):
    decision = manual_contact_check_or_raise(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10))

    assert decision.allowed
    assert decision.pk == ComplianceDecision.objects.get().pk
    assert decision.reasons.startswith("All checks passed (US-SCOPE, TCPA")
