import datetime as dt
from decimal import Decimal

import pytest

from arrears.compliance.context import dispute_source_register, dispute_source_unregister
from arrears.compliance.errors import ComplianceError, ComplianceErrorCode
from arrears.compliance.models import ComplianceDecision, ContactAttempt
from arrears.compliance.rules import Dispute
from arrears.compliance.services import compliance_gate, compliance_gate_many, contact_attempt_record
from arrears.compliance.tests.conftest import ny
from arrears.ledger.models import BusinessUnit, ChannelConsent, Document
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db


def hit(decision, rule_id):
    return next(h for h in decision.decision["hits"] if h["rule_id"] == rule_id)


@pytest.mark.smoke
def test_gate_stores_the_decision_with_rule_inputs_and_reason(consumer, contact, make_user):
    collector = make_user("cole")

    decision = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 22, 0),
                               initiated_by="manual", actor=collector, source="call log")

    stored = ComplianceDecision.objects.get()
    assert stored.pk == decision.pk
    assert (stored.allowed, stored.outcome, stored.blocking_rules) == (False, "BLOCK", ["US-TIME"])
    assert stored.customer == consumer
    assert stored.contact == contact
    assert stored.actor == collector
    assert (stored.channel, stored.initiated_by, stored.source) == ("phone", "manual", "call log")
    assert stored.planned_at == ny(2026, 11, 23, 22, 0)
    assert "US-TIME [BLOCK] INCONVENIENT_TIME: America/New_York: 22:00 is outside 08:00-21:00" in stored.reasons
    time_hit = hit(stored, "US-TIME")
    assert time_hit["inputs"]["zones"] == ["America/New_York"]
    assert time_hit["inputs"]["local_times"] == {"America/New_York": "2026-11-23 22:00 EST"}
    # The next morning at 08:00 New York time.
    assert stored.next_allowed_at == ny(2026, 11, 24, 8, 0)
    assert stored.decision["next_allowed_at"] == "2026-11-24T13:00:00Z"
    assert stored.rule_keys == "|US-TIME|"


def test_a_call_at_20_59_local_time_is_allowed_and_21_00_is_not(consumer):
    assert compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 20, 59)).allowed
    assert not compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 21, 0)).allowed


def test_a_new_york_address_and_a_los_angeles_number_must_both_be_convenient(consumer, contact):
    contact.phone = "+13105550123"
    contact.save()

    ten_thirty = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10, 30))  # 07:30 in LA
    eleven = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 11, 0))  # 08:00 in LA

    assert ten_thirty.blocking_rules == ["US-TIME"]
    assert hit(ten_thirty, "US-TIME")["inputs"]["zones"] == ["America/New_York", "America/Los_Angeles"]
    assert ten_thirty.next_allowed_at == ny(2026, 11, 23, 11, 0)
    assert eleven.allowed


def test_do_not_contact_blocks_every_channel(consumer):
    consumer.do_not_contact = True
    consumer.save()
    for channel in ("email", "letter", "sms", "phone"):
        decision = compliance_gate(customer=consumer, channel=channel, when=ny(2026, 11, 23, 10))
        assert decision.blocking_rules[0] == "HOLD-DNC", channel  # an automatic text also lacks TCPA consent
        assert decision.next_allowed_at is None


def test_an_email_opt_out_blocks_email_to_that_address_but_not_a_letter(consumer, contact):
    ChannelConsent.objects.create(contact=contact, channel="email", status="opted_out",
                                  changed_at=ny(2026, 11, 1, 9), source="unsubscribe link")

    email = compliance_gate(customer=consumer, channel="email", when=ny(2026, 11, 23, 10))
    letter = compliance_gate(customer=consumer, channel="letter", when=ny(2026, 11, 23, 10))

    assert email.blocking_rules == ["US-ELEC"]
    assert hit(email, "US-ELEC")["code"] == "ELECTRONIC_OPT_OUT"
    assert "casey@example.com opted out on 2026-11-01" in email.reasons
    assert letter.allowed


def test_a_phone_opt_out_blocks_calls_to_that_number(consumer, contact):
    ChannelConsent.objects.create(contact=contact, channel="phone", status="opted_out")

    decision = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10))

    assert decision.blocking_rules == ["US-MEDIUM"]


def test_seven_calls_in_seven_days_block_the_eighth_until_a_day_drops_out(consumer, contact):
    for day in range(16, 23):  # one call a day, 16-22 November
        contact_attempt_record(customer=consumer, contact=contact, channel="phone", at=ny(2026, 11, day, 11))

    eighth = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 22, 15))
    next_day = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 11))

    assert eighth.blocking_rules == ["US-FREQ"]
    assert hit(eighth, "US-FREQ")["code"] == "FREQ_7_IN_7"
    assert hit(eighth, "US-FREQ")["inputs"]["calls_in_window[America/New_York]"] == 7
    assert eighth.next_allowed_at == ny(2026, 11, 23, 8, 0)
    assert next_day.allowed
    assert hit(next_day, "US-FREQ")["inputs"]["calls_in_window[America/New_York]"] == 6


def test_failed_calls_do_not_count_towards_seven_in_seven(consumer, contact):
    for day in range(16, 23):
        contact_attempt_record(customer=consumer, contact=contact, channel="phone", at=ny(2026, 11, day, 11),
                               outcome="failed" if day == 20 else "attempted")

    assert compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 22, 15)).allowed


def test_a_conversation_blocks_calls_for_seven_days_but_not_email(consumer, contact):
    contact_attempt_record(customer=consumer, contact=contact, channel="phone", at=ny(2026, 11, 20, 11),
                           outcome="conversation")

    call = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 26, 11))
    email = compliance_gate(customer=consumer, channel="email", when=ny(2026, 11, 26, 11))
    later = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 27, 11))

    assert hit(call, "US-FREQ")["code"] == "FREQ_POST_CONVERSATION"
    assert call.next_allowed_at == ny(2026, 11, 27, 8, 0)
    assert email.allowed
    assert later.allowed


def test_attempts_about_another_document_do_not_count_for_this_one(consumer, contact):
    first = consumer.documents.get()
    second = DocumentFactory(customer=consumer, external_id="INV-US-2", currency="USD")
    for day in range(16, 23):
        contact_attempt_record(customer=consumer, contact=contact, channel="phone", at=ny(2026, 11, day, 11),
                               debt_ids=[first.pk])

    about_first = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 22, 15), debt_ids=[first.pk])
    about_second = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 22, 15),
                                   debt_ids=[second.pk])
    about_both = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 22, 15))

    assert about_first.blocking_rules == ["US-FREQ"]
    assert "INV-US-1" in about_first.reasons
    assert about_second.allowed
    assert about_both.blocking_rules == ["US-FREQ"]  # a call about every open document includes INV-US-1


def test_record_false_evaluates_without_writing(consumer):
    decision = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 22), record=False)

    assert decision.pk is None
    assert decision.blocking_rules == ["US-TIME"]
    assert decision.result.outcome.value == "BLOCK"
    assert ComplianceDecision.objects.count() == 0
    assert ContactAttempt.objects.count() == 0


@pytest.mark.parametrize(
    ("flag", "rule_id"),
    [("cease_communication", "US-CEASE"), ("attorney_represented", "US-ATTY"), ("bankruptcy", "US-BK")],
)
def test_customer_holds_block_a_collection_call(consumer, flag, rule_id):
    setattr(consumer, flag, True)
    consumer.save()

    decision = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10))

    assert decision.blocking_rules == [rule_id]
    assert decision.next_allowed_at is None


def test_a_paused_customer_gets_no_automatic_contact_but_a_person_may_call(consumer):
    consumer.paused = True
    consumer.save()

    automatic = compliance_gate(customer=consumer, channel="email", when=ny(2026, 11, 23, 10))
    manual = compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10), initiated_by="manual")

    assert automatic.blocking_rules == ["HOLD-PAUSED"]
    assert (manual.allowed, manual.outcome) == (True, "ALLOW_WITH_FLAG")
    assert "HOLD-PAUSED [ALLOW_WITH_FLAG] COLLECTIONS_PAUSED" in manual.reasons


def test_an_email_without_an_opt_out_statement_is_blocked_by_the_content_flags(consumer):
    decision = compliance_gate(customer=consumer, channel="email", when=ny(2026, 11, 23, 10),
                               content_flags={"opt_out_statement": False})

    assert decision.blocking_rules == ["US-ELEC"]
    assert hit(decision, "US-ELEC")["code"] == "OPT_OUT_STATEMENT_MISSING"


def test_automatic_texts_need_tcpa_consent_which_a_granted_sms_consent_gives(consumer, contact):
    without = compliance_gate(customer=consumer, channel="sms", when=ny(2026, 11, 23, 10))
    ChannelConsent.objects.create(contact=contact, channel="sms", status="granted", changed_at=ny(2026, 1, 1, 9))
    with_consent = compliance_gate(customer=consumer, channel="sms", when=ny(2026, 11, 23, 10))

    assert without.blocking_rules == ["TCPA"]
    assert with_consent.allowed


def test_a_uk_customer_is_not_contacted_on_a_bank_holiday(db):
    unit = BusinessUnit.objects.create(code="ACME-UK", name="Acme Ltd", home_currency="GBP", country="GB",
                                       timezone="Europe/London")
    customer = CustomerFactory(business_unit=unit, jurisdiction="uk", country="GB")
    ContactFactory(customer=customer, country="GB", city="Leeds", phone="+441132345678")

    christmas = compliance_gate(customer=customer, channel="phone",
                                when=dt.datetime(2026, 12, 25, 11, tzinfo=dt.UTC))
    weekday = compliance_gate(customer=customer, channel="phone", when=dt.datetime(2026, 12, 22, 11, tzinfo=dt.UTC))

    assert christmas.blocking_rules == ["HOLIDAY"]
    assert weekday.allowed


def test_other_jurisdiction_uses_the_business_courtesy_window_in_the_debtors_zone(db):
    unit = BusinessUnit.objects.create(code="ACME-DE", name="Acme GmbH", home_currency="EUR", country="DE",
                                       timezone="Europe/Berlin")
    customer = CustomerFactory(business_unit=unit, jurisdiction="other", country="DE")

    early = compliance_gate(customer=customer, channel="email", when=dt.datetime(2026, 11, 23, 6, 30, tzinfo=dt.UTC))
    morning = compliance_gate(customer=customer, channel="email", when=dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC))

    assert early.blocking_rules == ["B2B-TIME"]  # 07:30 in Berlin
    assert morning.allowed  # 08:00 in Berlin


def test_a_registered_dispute_source_puts_disputes_on_the_debt(consumer):
    document = consumer.documents.get()
    consumer.jurisdiction = "us_consumer"

    def disputes(*, document_ids):
        return {document.pk: [Dispute(received_on=dt.date(2026, 11, 10), disputed_amount=Decimal("100.00"))]}

    dispute_source_register(disputes)
    try:
        decision = compliance_gate(customer=consumer, channel="letter", when=ny(2026, 11, 23, 10))
    finally:
        dispute_source_unregister(disputes)

    assert "US-DISPUTE" in decision.blocking_rules


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"when": dt.datetime(2026, 11, 23, 10)}, "when"),  # naive
        ({"initiated_by": "robot"}, "initiated_by"),
        ({"purpose": "gossip"}, "purpose"),
        ({"debt_ids": ["INV-1"]}, "debt_ids[0]"),
        ({"content_flags": {"opt_out_statment": False}}, "content_flags"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(consumer, kwargs, field):
    args = {"customer": consumer, "channel": "phone", "when": ny(2026, 11, 23, 10), **kwargs}

    with pytest.raises(ComplianceError) as error:
        compliance_gate(**args)

    assert error.value.code == ComplianceErrorCode.INVALID_INPUT
    assert error.value.field == field
    assert error.value.message.startswith(f"{field}:")
    assert ComplianceDecision.objects.count() == 0


def test_a_contact_or_document_of_another_customer_is_refused(consumer):
    other = CustomerFactory(business_unit=consumer.business_unit)
    stranger = ContactFactory(customer=other)
    foreign = DocumentFactory(customer=other, currency="USD")

    with pytest.raises(ComplianceError) as wrong_contact:
        compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10), contact=stranger)
    with pytest.raises(ComplianceError) as wrong_document:
        compliance_gate(customer=consumer, channel="phone", when=ny(2026, 11, 23, 10), debt_ids=[foreign.pk])

    assert wrong_contact.value.code == ComplianceErrorCode.CONTACT_MISMATCH
    assert wrong_document.value.field == "debt_ids[0]"


def test_gate_many_decides_like_the_single_gate(consumer, contact):
    night = CustomerFactory(business_unit=consumer.business_unit, kind="consumer", jurisdiction="us_consumer")
    ContactFactory(customer=night, phone="+13105550100", region="CA", country="US")

    rows = compliance_gate_many(items=[
        {"customer": consumer, "channel": "phone", "when": ny(2026, 11, 23, 10)},
        {"customer": night.pk, "channel": "phone", "when": ny(2026, 11, 23, 10)},  # 07:00 in California
    ])

    assert [r.allowed for r in rows] == [True, False]
    assert rows[1].blocking_rules == ["US-TIME"]
    assert ComplianceDecision.objects.count() == 2


def test_gate_many_names_the_item_of_a_bad_input(consumer):
    with pytest.raises(ComplianceError) as error:
        compliance_gate_many(items=[
            {"customer": consumer, "channel": "phone", "when": ny(2026, 11, 23, 10)},
            {"customer": consumer, "channel": "pigeon", "when": ny(2026, 11, 23, 10)},
        ])

    assert error.value.field == "items[1].channel"
    assert ComplianceDecision.objects.count() == 0


def test_gate_many_for_100_customers_takes_a_fixed_handful_of_queries(us_unit, django_assert_max_num_queries):
    customers = []
    for i in range(100):
        customer = CustomerFactory(business_unit=us_unit, kind="consumer", jurisdiction="us_consumer", country="US")
        contact = ContactFactory(customer=customer, phone=f"+1212555{i:04d}", region="NY", country="US")
        ChannelConsent.objects.create(contact=contact, channel="email", status="opted_out" if i % 10 == 0 else "granted")
        Document.objects.create(business_unit=us_unit, customer=customer, external_id=f"N-{i}", issue_date=dt.date(2026, 9, 1),
                                due_date=dt.date(2026, 10, 1), amount=Decimal("50"), open_amount=Decimal("50"),
                                currency="USD")
        for day in (18, 19, 20):
            ContactAttempt.objects.create(customer=customer, contact=contact, channel="phone",
                                          at=ny(2026, 11, day, 10), outcome="attempted")
        customers.append(customer)
    items = [{"customer": c.pk, "channel": "email", "when": ny(2026, 11, 23, 10)} for c in customers]

    with django_assert_max_num_queries(10):
        rows = compliance_gate_many(items=items)

    assert len(rows) == 100
    assert all(r.pk for r in rows)
    assert sum(1 for r in rows if r.blocking_rules == ["US-ELEC"]) == 10
    assert sum(1 for r in rows if r.allowed) == 90


def test_customer_data_the_rules_cannot_read_fails_closed_for_that_customer_only(consumer):
    broken = CustomerFactory(business_unit=consumer.business_unit, jurisdiction="us_consumer", timezone="Mars/Olympus")

    rows = compliance_gate_many(items=[
        {"customer": broken, "channel": "email", "when": ny(2026, 11, 23, 10)},
        {"customer": consumer, "channel": "email", "when": ny(2026, 11, 23, 10)},
    ])

    assert (rows[0].outcome, rows[0].allowed) == ("REVIEW", False)
    assert "GATE-FACTS [REVIEW] INVALID_FACTS: the customer's data cannot be checked" in rows[0].reasons
    assert "Mars/Olympus" in rows[0].reasons
    assert rows[1].allowed
