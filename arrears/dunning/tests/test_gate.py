"""Every planned contact passes the compliance gate; the batch path agrees with the full gate."""

from __future__ import annotations

import datetime as dt

import numpy as np

from arrears.compliance.services import compliance_gate_many
from arrears.dunning.models import ActionStatus, DunningAction, GateResult
from arrears.dunning.services.gate import GateRows, gate_messages
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.tests.conftest import day
from arrears.ledger.models import BusinessUnit, ChannelConsent
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory


def _portfolio(unit):
    us = BusinessUnit.objects.create(code="ACME-US", name="Acme Inc", home_currency="USD", country="US",
                                     timezone="America/New_York")
    people = []
    for name, bu, kind, jurisdiction, country, contact in (
        ("NY consumer", us, "consumer", "us_consumer", "US", {"phone": "+12125550123", "region": "NY", "country": "US"}),
        ("Nowhere consumer", us, "consumer", "us_consumer", "", None),
        ("LA business", us, "commercial", "us_commercial", "US", {"phone": "+13105550123", "region": "CA", "country": "US"}),
        ("Berlin business", unit, "commercial", "other", "DE", {"phone": "+4930123456", "country": "DE"}),
        ("Leeds consumer", unit, "consumer", "uk", "GB", {"phone": "+441132345678", "country": "GB"}),
        ("Opted out", unit, "commercial", "other", "DE", {"phone": "+4930123457", "country": "DE"}),
    ):
        customer = CustomerFactory(business_unit=bu, name=name, kind=kind, jurisdiction=jurisdiction, country=country)
        if contact is not None:
            ContactFactory(customer=customer, name=name, **contact)
        DocumentFactory(customer=customer)
        people.append(customer)
    ChannelConsent.objects.create(contact=people[-1].contacts.get(), channel="email", status="opted_out",
                                  changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    return people


def test_the_batch_path_agrees_with_the_full_gate_for_every_channel(unit):
    people = _portfolio(unit)
    channels = ["email", "letter", "sms", "call_task", "agency"]
    ids = [c.pk for c in people for _ in channels]
    rows = GateRows(
        customer_id=np.asarray(ids, np.int64),
        channel=[ch for _ in people for ch in channels],
        document_ids=[list(c.documents.values_list("pk", flat=True)) for c in people for _ in channels],
    )
    outcome = gate_messages(rows=rows, as_of=dt.date(2026, 3, 10), record=False)
    assert outcome.batch_rows > 0
    assert outcome.full_rows > 0, "the opted-out customer takes the full path"
    contact_rows = [i for i, ch in enumerate(rows.channel) if ch != "agency"]
    full = compliance_gate_many(items=[{
        "customer": ids[i], "channel": {"call_task": "phone"}.get(rows.channel[i], rows.channel[i]),
        "when": outcome.planned_at[i], "initiated_by": "manual" if rows.channel[i] == "call_task" else "automatic",
        "debt_ids": list(rows.document_ids[i]),
    } for i in contact_rows], record=False)
    for i, decision in zip(contact_rows, full, strict=True):
        expected = "allowed" if decision.allowed else ("review" if decision.outcome == "REVIEW" else "blocked")
        assert outcome.result[i] == expected, (people[i // len(channels)].name, rows.channel[i], decision.reasons)
    assert {outcome.result[i] for i, ch in enumerate(rows.channel) if ch == "agency"} == {GateResult.NOT_A_CONTACT}
    # a consumer nobody knows the location of is contacted when it is 08:00 in Honolulu
    nowhere = ids.index(people[1].pk)
    assert outcome.planned_at[nowhere] == dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)


def test_a_blocked_contact_is_recorded_with_its_rule_and_does_not_advance_the_level(make_customer, make_invoice):
    customer = make_customer()
    invoice = make_invoice(customer)
    contact = customer.contacts.get()
    contact.email = "ap@example.com"
    contact.save(update_fields=["email"])
    ChannelConsent.objects.create(contact=contact, channel="email", status="opted_out",
                                  changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    run, _ = dunning_run(as_of=day(7))
    [action] = DunningAction.objects.all()
    assert action.status == ActionStatus.BLOCKED
    assert action.gate == GateResult.BLOCKED
    assert action.blocked_rule
    assert action.compliance_decision is not None
    assert not action.compliance_decision.allowed
    assert run.blocked == {action.blocked_rule: 1}
    assert run.counts["outcome"] == {"blocked": 1}
    assert not invoice.dunning_items.exists(), "not sent: the level stays, tomorrow tries again"

    dunning_run(as_of=day(8))
    assert DunningAction.objects.filter(as_of=day(8)).count() == 1
