import datetime as dt
from decimal import Decimal

import pytest

from arrears.ledger.services import payment_allocate
from arrears.ledger.tests.factories import DocumentFactory, PaymentFactory
from arrears.promises.models import Promise
from arrears.promises.services.promises import promise_create

pytestmark = pytest.mark.django_db


def test_allocating_a_payment_keeps_the_promise_at_once_without_waiting_for_the_night():
    doc = DocumentFactory(amount=Decimal("500.00"), issue_date=dt.date(2026, 9, 1))
    promise = promise_create(
        customer=doc.customer, amount="500.00", currency=doc.currency, promised_date=dt.date(2026, 11, 20),
        documents=[doc], made_on=dt.date(2026, 11, 10),
    )
    payment = PaymentFactory(customer=doc.customer, amount=Decimal("500.00"), received_date=dt.date(2026, 11, 18))
    payment_allocate(payment=payment)
    promise.refresh_from_db()
    assert promise.status == "kept"


def test_a_payment_that_settles_nothing_promised_leaves_the_promise_pending():
    doc = DocumentFactory(amount=Decimal("500.00"), issue_date=dt.date(2026, 9, 1))
    other = DocumentFactory(customer=doc.customer, amount=Decimal("80.00"), issue_date=dt.date(2026, 8, 1))
    promise = promise_create(
        customer=doc.customer, amount="500.00", currency=doc.currency, promised_date=dt.date(2026, 11, 20),
        documents=[doc], made_on=dt.date(2026, 11, 10),
    )
    payment = PaymentFactory(customer=doc.customer, amount=Decimal("80.00"), received_date=dt.date(2026, 11, 18))
    payment_allocate(payment=payment, allocations=[(other, Decimal("80.00"))])
    promise.refresh_from_db()
    assert promise.status == Promise._meta.get_field("status").default


def test_cash_for_customers_without_promises_or_plans_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    from arrears.ledger.events import payments_allocated

    payments = [PaymentFactory(amount=Decimal("10.00")) for _ in range(25)]
    with django_assert_max_num_queries(3):
        payments_allocated(payment_ids=[p.pk for p in payments])
