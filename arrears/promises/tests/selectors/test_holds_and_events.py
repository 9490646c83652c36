"""The selectors the nightly dunning run reads: which documents promises and plans hold, and the events."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears.promises.selectors import (
    plan_active_documents,
    promise_active_coverage,
    promise_events_between,
    promise_list_visible,
)
from arrears.promises.services import plan_evaluate, promise_evaluate, promises_on_payment
from arrears.promises.tests.factories import make_plan, make_promise

pytestmark = pytest.mark.django_db
MAR = lambda day: dt.date(2026, 3, day)  # noqa: E731


def test_a_pending_promise_holds_its_documents_until_the_end_of_grace(customer, invoices):
    make_promise(customer, amount="100", documents=[invoices[0], invoices[1]])
    assert promise_active_coverage(as_of=MAR(4)) == {invoices[0].pk: MAR(4), invoices[1].pk: MAR(4)}
    assert promise_active_coverage(as_of=MAR(5)) == {}
    assert promise_active_coverage(as_of=dt.date(2026, 1, 31)) == {}  # not made yet


def test_overlapping_promises_hold_a_document_until_the_later_deadline(customer, invoices):
    make_promise(customer, amount="50", documents=[invoices[2]])
    make_promise(customer, amount="50", promised=MAR(20), documents=[invoices[2]])
    assert promise_active_coverage(as_of=MAR(2)) == {invoices[2].pk: MAR(23)}


def test_an_account_promise_holds_every_open_debit_document_in_its_currency(customer, invoices, pay):
    pay("100", dt.date(2026, 1, 15), [(invoices[0], "100")])  # closed: nothing to hold
    DocumentFactory(customer=customer, currency="USD", external_id="USD-1")
    DocumentFactory(customer=customer, kind="credit_note", external_id="CN-1")
    DocumentFactory(customer=CustomerFactory(business_unit=customer.business_unit), external_id="OTHER")
    make_promise(customer, amount="300")
    assert promise_active_coverage(as_of=MAR(1)) == {invoices[1].pk: MAR(4), invoices[2].pk: MAR(4)}


def test_kept_and_broken_promises_hold_nothing_but_past_days_still_answer_as_they_were(customer, invoices, pay):
    kept = make_promise(customer, amount="100", documents=[invoices[0]])
    make_promise(customer, amount="100", documents=[invoices[1]])
    promises_on_payment(payment=pay("100", MAR(2), [(invoices[0], "100")]))
    promise_evaluate(as_of=MAR(5))
    kept.refresh_from_db()
    assert kept.status == "kept"
    assert promise_active_coverage(as_of=MAR(2)) == {invoices[1].pk: MAR(4)}  # kept on 2 March
    assert promise_active_coverage(as_of=MAR(1)) == {invoices[0].pk: MAR(4), invoices[1].pk: MAR(4)}


def test_promise_events_are_reported_by_date_within_the_range(customer, invoices, collector, pay):
    make_promise(customer, amount="100", documents=[invoices[0]])  # broken, 5 March
    kept = make_promise(customer, amount="100", promised=MAR(9), documents=[invoices[1]])
    promises_on_payment(payment=pay("100", MAR(9), [(invoices[1], "100")]))
    make_plan(customer, [invoices[2]], by=collector, count=2, first=MAR(2))  # instalment missed 6 March
    promise_evaluate(as_of=MAR(10))
    plan_evaluate(as_of=MAR(10))

    assert promise_events_between(start=MAR(1), end=MAR(31)) == [
        (customer.pk, MAR(5), "promise_broken"),
        (customer.pk, MAR(6), "instalment_missed"),
        (customer.pk, MAR(9), "promise_kept"),
    ]
    assert promise_events_between(start=MAR(6), end=MAR(8)) == [(customer.pk, MAR(6), "instalment_missed")]
    assert kept.pk


def test_plan_holds_only_while_active_and_from_the_day_it_was_made(customer, invoices, collector):
    plan = make_plan(customer, [invoices[0], invoices[1]], by=collector, made_on=dt.date(2026, 2, 10))
    assert plan_active_documents(as_of=dt.date(2026, 2, 9)) == set()
    assert plan_active_documents(as_of=dt.date(2026, 2, 10)) == {invoices[0].pk, invoices[1].pk}
    assert plan.pk


def test_the_hold_selectors_cost_a_fixed_number_of_queries(customer, invoices, collector, django_assert_max_num_queries):
    for n in range(20):
        doc = DocumentFactory(customer=customer, external_id=f"BULK-{n}", amount=Decimal("10"))
        make_promise(customer, amount="5", documents=[doc])
    make_promise(customer, amount="5")
    make_plan(customer, invoices, by=collector)
    with django_assert_max_num_queries(3):
        assert len(promise_active_coverage(as_of=MAR(1))) == 23
    with django_assert_max_num_queries(1):
        assert len(plan_active_documents(as_of=MAR(1))) == 3


def test_a_collector_sees_only_their_customers_promises(customer, invoices, make_user):
    other = CustomerFactory(business_unit=customer.business_unit, collector=make_user("bob"))
    mine = make_promise(customer, documents=[invoices[0]])
    make_promise(other, amount="1")
    assert list(promise_list_visible(user=customer.collector)) == [mine]
    assert promise_list_visible(user=make_user("hana", role="head")).count() == 2
