import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.audit.models import AuditEvent
from arrears.ledger.errors import LedgerError, LedgerErrorCode
from arrears.ledger.models import Document, DocumentKind, DocumentStatus, Payment
from arrears.ledger.services import credit_note_apply, document_write_off, payment_allocate
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory, PaymentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_partial_payment_leaves_the_rest_open():
    doc = DocumentFactory(amount=D("100.00"))
    pay = PaymentFactory(customer=doc.customer, amount=D("40.00"))
    payment_allocate(payment=pay)
    doc.refresh_from_db()
    pay.refresh_from_db()
    assert doc.open_amount == D("60.00")
    assert doc.status == DocumentStatus.PARTIALLY_PAID
    assert pay.unapplied_amount == D("0")


def test_overpayment_closes_oldest_first_and_keeps_unapplied_cash():
    cust = CustomerFactory()
    older = DocumentFactory(customer=cust, amount=D("30.00"), issue_date=dt.date(2026, 1, 1))
    newer = DocumentFactory(customer=cust, amount=D("50.00"), issue_date=dt.date(2026, 2, 1))
    pay = PaymentFactory(customer=cust, amount=D("100.00"))
    payment_allocate(payment=pay)
    older.refresh_from_db()
    newer.refresh_from_db()
    pay.refresh_from_db()
    assert (older.status, newer.status) == (DocumentStatus.PAID, DocumentStatus.PAID)
    assert older.closed_date == pay.received_date
    assert pay.unapplied_amount == D("20.00")


def test_allocation_beyond_open_amount_is_refused_and_changes_nothing():
    doc = DocumentFactory(amount=D("100.00"))
    pay = PaymentFactory(customer=doc.customer, amount=D("500.00"))
    with pytest.raises(LedgerError) as err:
        payment_allocate(payment=pay, allocations=[(doc, D("100.01"))])
    assert err.value.code == LedgerErrorCode.ALLOCATION_EXCEEDS_DOCUMENT
    doc.refresh_from_db()
    assert doc.open_amount == D("100.00")
    assert doc.allocations.count() == 0


def test_payment_in_another_currency_cannot_settle_an_invoice():
    doc = DocumentFactory(amount=D("100.00"))
    pay = PaymentFactory(customer=doc.customer, amount=D("100.00"), currency="USD")
    with pytest.raises(LedgerError) as err:
        payment_allocate(payment=pay, allocations=[(doc, D("10"))])
    assert err.value.code == LedgerErrorCode.CURRENCY_MISMATCH


def test_credit_note_reduces_invoice_and_is_consumed():
    inv = DocumentFactory(amount=D("100.00"))
    cn = DocumentFactory(customer=inv.customer, kind=DocumentKind.CREDIT_NOTE, amount=D("25.00"))
    credit_note_apply(credit_note=cn, document=inv, amount=D("25.00"), date=dt.date(2026, 1, 15))
    inv.refresh_from_db()
    cn.refresh_from_db()
    assert inv.open_amount == D("75.00")
    assert cn.open_amount == D("0")
    assert cn.status == DocumentStatus.PAID


def test_write_off_closes_the_remainder_as_written_off_and_is_audited():
    doc = DocumentFactory(amount=D("100.00"))
    pay = PaymentFactory(customer=doc.customer, amount=D("90.00"))
    payment_allocate(payment=pay)
    document_write_off(document=doc, date=dt.date(2026, 6, 1), reason="small balance")
    doc.refresh_from_db()
    assert doc.open_amount == D("0")
    assert doc.status == DocumentStatus.WRITTEN_OFF
    assert AuditEvent.objects.filter(action="write_off", customer_id=doc.customer_id).count() == 1


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(invoices=st.lists(amounts, min_size=1, max_size=6), payments=st.lists(amounts, min_size=1, max_size=6))
def test_allocations_never_exceed_payment_or_document_and_balance_to_the_cent(invoices, payments):
    cust = CustomerFactory()
    docs = [DocumentFactory(customer=cust, amount=a) for a in invoices]
    pays = [PaymentFactory(customer=cust, amount=a) for a in payments]
    for pay in pays:
        payment_allocate(payment=pay)
    total_inv, total_pay = sum(invoices), sum(payments)
    docs = Document.objects.filter(pk__in=[d.pk for d in docs])
    pays = Payment.objects.filter(pk__in=[p.pk for p in pays])
    for doc in docs:
        applied = sum((a.amount for a in doc.allocations.all()), D(0))
        assert D(0) <= doc.open_amount == doc.amount - applied
    for pay in pays:
        applied = sum((a.amount for a in pay.allocations.all()), D(0))
        assert D(0) <= pay.unapplied_amount == pay.amount - applied
    applied_total = sum(d.amount - d.open_amount for d in docs)
    assert applied_total == min(total_inv, total_pay)
    assert sum(d.open_amount for d in docs) + applied_total == total_inv
    assert sum(p.unapplied_amount for p in pays) + applied_total == total_pay
