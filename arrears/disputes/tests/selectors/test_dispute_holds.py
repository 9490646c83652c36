"""dispute_open_amounts and dispute_events_between: what the nightly dunning run reads."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.disputes.selectors import (
    dispute_events_between,
    dispute_list_past_sla,
    dispute_list_visible,
    dispute_open_amounts,
)
from arrears.disputes.services import dispute_credit, dispute_resolve_invalid, dispute_start_review
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_open_and_in_review_disputes_hold_and_amounts_on_one_document_add_up(open_dispute, invoices):
    open_dispute(amount="30", on=dt.date(2026, 3, 1))
    dispute_start_review(dispute=open_dispute(amount="20", on=dt.date(2026, 3, 2)))
    assert dispute_open_amounts(as_of=dt.date(2026, 2, 28)) == {}
    assert dispute_open_amounts(as_of=dt.date(2026, 3, 1)) == {invoices[0].pk: D("30")}
    assert dispute_open_amounts(as_of=dt.date(2026, 3, 2)) == {invoices[0].pk: D("50")}


def test_resolved_disputes_hold_nothing_from_their_resolution_day(open_dispute, invoices):
    first = dispute_start_review(dispute=open_dispute(amount="30", on=dt.date(2026, 3, 1)))
    second = dispute_start_review(dispute=open_dispute(amount="20", on=dt.date(2026, 3, 1)))
    dispute_resolve_invalid(dispute=first, on=dt.date(2026, 3, 5))
    dispute_credit(dispute=second, on=dt.date(2026, 3, 8))

    assert dispute_open_amounts(as_of=dt.date(2026, 3, 4)) == {invoices[0].pk: D("50")}
    assert dispute_open_amounts(as_of=dt.date(2026, 3, 5)) == {invoices[0].pk: D("20")}
    assert dispute_open_amounts(as_of=dt.date(2026, 3, 8)) == {}
    assert dispute_events_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)) == [
        (first.customer_id, dt.date(2026, 3, 5), "dispute_resolved"),
        (second.customer_id, dt.date(2026, 3, 8), "dispute_resolved"),
    ]
    assert dispute_events_between(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 7)) == []


def test_the_hold_selector_costs_one_query(open_dispute, customer, django_assert_num_queries):
    for n in range(30):
        doc = DocumentFactory(customer=customer, external_id=f"BULK-{n}", amount=D("10"))
        open_dispute(lines=[(doc, D("1"))])
    with django_assert_num_queries(1):
        assert len(dispute_open_amounts(as_of=dt.date(2026, 3, 6))) == 30


def test_disputes_past_their_sla_are_listed(open_dispute):
    late = open_dispute(reason="duplicate", on=dt.date(2026, 3, 1))  # due 6 March
    open_dispute(reason="quality", on=dt.date(2026, 3, 1))  # due 16 March
    assert list(dispute_list_past_sla(as_of=dt.date(2026, 3, 7))) == [late]
    assert list(dispute_list_past_sla(as_of=dt.date(2026, 3, 6))) == []


def test_a_collector_sees_only_their_customers_disputes(open_dispute, customer, make_user):
    from arrears.disputes.services import dispute_open

    mine = open_dispute()
    other = CustomerFactory(business_unit=customer.business_unit, collector=make_user("bob"))
    dispute_open(customer=other, reason="other", lines=[(DocumentFactory(customer=other), None)])
    assert list(dispute_list_visible(user=customer.collector)) == [mine]
    assert dispute_list_visible(user=make_user("otto", role="auditor")).count() == 2
