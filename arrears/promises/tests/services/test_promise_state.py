"""The promise state machine: pending -> kept | partially_kept | broken (| cancelled), decided by payments.

Promised 1 March 2026 with the default 3 grace days: payments count up to and including 4 March.
"""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.audit.models import AuditEvent
from arrears.promises.errors import PromiseError, PromiseErrorCode
from arrears.promises.models import PromiseEvent, PromisePayment, PromiseStatus
from arrears.promises.selectors import promise_events_between
from arrears.promises.services import promise_cancel, promise_evaluate, promises_on_payment
from arrears.promises.tests.factories import make_promise

pytestmark = pytest.mark.django_db
D = Decimal
MAR = lambda day: dt.date(2026, 3, day)  # noqa: E731


def _reload(promise):
    promise.refresh_from_db()
    return promise


@pytest.mark.smoke
def test_a_payment_on_the_last_grace_day_keeps_the_promise(customer, invoices, pay):
    promise = make_promise(customer, amount="100", documents=[invoices[0]])
    assert (promise.grace_days, promise.deadline) == (3, MAR(4))

    promises_on_payment(payment=pay("100", MAR(4), [(invoices[0], "100")]))

    promise = _reload(promise)
    assert (promise.status, promise.decided_on, promise.paid_amount) == (PromiseStatus.KEPT, MAR(4), D("100"))
    assert promise_events_between(start=MAR(1), end=MAR(31)) == [(customer.pk, MAR(4), "promise_kept")]


def test_a_payment_a_day_after_the_grace_period_is_late_and_the_promise_stays_broken(customer, invoices, pay):
    promise = make_promise(customer, amount="100", documents=[invoices[0]])

    assert promise_evaluate(as_of=MAR(5)).broken == 1
    promise = _reload(promise)
    assert (promise.status, promise.decided_on) == (PromiseStatus.BROKEN, MAR(5))

    promises_on_payment(payment=pay("100", MAR(5), [(invoices[0], "100")]))
    promise_evaluate(as_of=MAR(6))

    promise = _reload(promise)
    assert promise.status == PromiseStatus.BROKEN
    assert (promise.paid_amount, promise.late_paid_amount) == (D("0"), D("100"))
    late = PromisePayment.objects.get(promise=promise)
    assert (late.counted, late.date, late.amount) == (False, MAR(5), D("100"))
    assert promise_events_between(start=MAR(1), end=MAR(31)) == [(customer.pk, MAR(5), "promise_broken")]


def test_a_late_payment_seen_before_the_nightly_run_does_not_keep_the_promise(customer, invoices, pay):
    promise = make_promise(customer, amount="100", documents=[invoices[0]])
    promises_on_payment(payment=pay("100", MAR(5), [(invoices[0], "100")]))
    assert _reload(promise).status == PromiseStatus.PENDING  # not decided until the deadline has passed

    promise_evaluate(as_of=MAR(7))

    promise = _reload(promise)
    assert (promise.status, promise.decided_on, promise.late_paid_amount) == (PromiseStatus.BROKEN, MAR(5), D("100"))


def test_a_partial_payment_makes_the_promise_partially_kept(customer, invoices, pay):
    promise = make_promise(customer, amount="150", documents=[invoices[1]])
    promises_on_payment(payment=pay("60", MAR(2), [(invoices[1], "60")]))
    assert _reload(promise).status == PromiseStatus.PENDING

    result = promise_evaluate(as_of=MAR(5))

    promise = _reload(promise)
    assert result.partially_kept == 1
    assert (promise.status, promise.paid_amount, promise.decided_on) == (PromiseStatus.PARTIALLY_KEPT, D("60"), MAR(5))
    event = PromiseEvent.objects.get(promise=promise)
    assert (event.kind, event.amount) == ("promise_partially_kept", D("90"))
    # The strategies treat a shortfall as a broken promise.
    assert promise_events_between(start=MAR(5), end=MAR(5)) == [(customer.pk, MAR(5), "promise_broken")]


def test_one_payment_covering_two_promises_pays_the_oldest_promised_date_first(customer, invoices, pay):
    later = make_promise(customer, amount="100", promised=MAR(10), documents=[invoices[2]])
    older = make_promise(customer, amount="100", promised=MAR(1), documents=[invoices[2]])

    promises_on_payment(payment=pay("150", MAR(2), [(invoices[2], "150")]))

    older, later = _reload(older), _reload(later)
    assert (older.status, older.paid_amount) == (PromiseStatus.KEPT, D("100"))
    assert (later.status, later.paid_amount) == (PromiseStatus.PENDING, D("50"))
    promise_evaluate(as_of=MAR(14))
    assert _reload(later).status == PromiseStatus.PARTIALLY_KEPT


def test_a_payment_split_over_two_documents_counts_for_each_promise_on_its_document(customer, invoices, pay):
    first = make_promise(customer, amount="100", documents=[invoices[0]])
    second = make_promise(customer, amount="200", promised=MAR(2), documents=[invoices[1]])

    promises_on_payment(payment=pay("300", MAR(1), [(invoices[0], "100"), (invoices[1], "200")]))

    assert [_reload(p).status for p in (first, second)] == [PromiseStatus.KEPT, PromiseStatus.KEPT]


def test_a_promise_with_no_documents_counts_any_payment_from_the_customer(customer, invoices, pay):
    promise = make_promise(customer, amount="250")

    promises_on_payment(payment=pay("250", MAR(3), allocate=False))  # unapplied cash counts too

    promise = _reload(promise)
    assert (promise.status, promise.decided_on) == (PromiseStatus.KEPT, MAR(3))


def test_an_account_promise_and_a_document_promise_never_count_the_same_cash_twice(customer, invoices, pay):
    account = make_promise(customer, amount="100", promised=MAR(1))
    document = make_promise(customer, amount="100", promised=MAR(2), documents=[invoices[0]])

    promises_on_payment(payment=pay("100", MAR(1), [(invoices[0], "100")]))

    assert _reload(account).status == PromiseStatus.KEPT  # older promised date first
    assert _reload(document).paid_amount == D("0")


def test_payments_before_the_promise_was_made_do_not_count(customer, invoices, pay):
    pay("100", dt.date(2026, 1, 20), [(invoices[0], "100")])
    promise = make_promise(customer, amount="100", documents=[invoices[1]])
    promises_on_payment(payment=pay("50", dt.date(2026, 1, 25), [(invoices[1], "50")]))

    promise_evaluate(as_of=MAR(5))

    assert _reload(promise).status == PromiseStatus.BROKEN


def test_the_nightly_evaluation_counts_payments_nobody_reported(customer, invoices, pay, monkeypatch):
    import arrears.ledger.events

    monkeypatch.setattr(arrears.ledger.events, "_listeners", [])  # e.g. cash posted by a bulk import
    promise = make_promise(customer, amount="100", documents=[invoices[0]])
    pay("100", MAR(3), [(invoices[0], "100")])  # promises_on_payment never called

    first = promise_evaluate(as_of=MAR(5))
    again = promise_evaluate(as_of=MAR(5))

    assert (first.updated, again.updated) == (1, 0)
    promise = _reload(promise)
    assert (promise.status, promise.decided_on) == (PromiseStatus.KEPT, MAR(3))
    assert PromisePayment.objects.count() == 1
    assert PromiseEvent.objects.count() == 1


def test_reporting_the_same_payment_twice_counts_it_once(customer, invoices, pay):
    promise = make_promise(customer, amount="200", documents=[invoices[1]])
    payment = pay("80", MAR(2), [(invoices[1], "80")])

    promises_on_payment(payment=payment)
    promises_on_payment(payment=payment)

    assert _reload(promise).paid_amount == D("80")


def test_a_per_promise_grace_period_overrides_the_default(customer, invoices, pay):
    promise = make_promise(customer, amount="100", documents=[invoices[0]], grace_days=0)
    promises_on_payment(payment=pay("100", MAR(2), [(invoices[0], "100")]))
    promise_evaluate(as_of=MAR(3))
    assert _reload(promise).status == PromiseStatus.BROKEN


def test_the_default_grace_period_comes_from_settings(customer, invoices, settings):
    settings.ARREARS_PROMISE_GRACE_DAYS = 7
    assert make_promise(customer, documents=[invoices[0]]).deadline == MAR(8)


def test_every_status_change_is_audited_with_before_and_after(customer, invoices, pay):
    promise = make_promise(customer, amount="100", documents=[invoices[0]])
    promise_evaluate(as_of=MAR(5))

    event = AuditEvent.objects.get(action="status", object_type="promises.promise", object_id=str(promise.pk))
    assert event.before["status"] == "pending"
    assert event.after["status"] == "broken"
    assert event.customer_id == customer.pk


def test_a_pending_promise_can_be_cancelled_and_a_decided_one_cannot(customer, invoices):
    promise = make_promise(customer, documents=[invoices[0]])
    promise_cancel(promise=promise, on=MAR(1))
    assert _reload(promise).status == PromiseStatus.CANCELLED
    with pytest.raises(PromiseError) as err:
        promise_cancel(promise=promise)
    assert err.value.code == PromiseErrorCode.NOT_PENDING
    assert promise_evaluate(as_of=MAR(9)).broken == 0


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"amount": "101"}, PromiseErrorCode.AMOUNT_EXCEEDS_OPEN),
        ({"amount": "0"}, PromiseErrorCode.NON_POSITIVE_AMOUNT),
        ({"amount": "1.001"}, PromiseErrorCode.NON_POSITIVE_AMOUNT),
        ({"promised": dt.date(2026, 1, 31)}, PromiseErrorCode.DATE_BEFORE_MADE),
        ({"channel": "carrier_pigeon"}, PromiseErrorCode.UNKNOWN_CHANNEL),
    ],
)
def test_bad_promises_are_refused_with_a_code(customer, invoices, kwargs, code):
    with pytest.raises(PromiseError) as err:
        make_promise(customer, documents=[invoices[0]], **kwargs)
    assert err.value.code == code


def test_a_promise_on_another_customers_document_is_refused(customer, invoices):
    from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory

    other = DocumentFactory(customer=CustomerFactory(business_unit=customer.business_unit))
    with pytest.raises(PromiseError) as err:
        make_promise(customer, documents=[invoices[0], other])
    assert err.value.code == PromiseErrorCode.DOCUMENT_NOT_OF_CUSTOMER
