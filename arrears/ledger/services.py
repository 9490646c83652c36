"""Every write to the ledger. Balances change atomically; each change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from arrears.audit.services import audit_record, audit_record_change, snapshot
from arrears.common.money import check_currency, quantize
from arrears.ledger.errors import LedgerError, LedgerErrorCode
from arrears.ledger.events import payments_allocated
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    BusinessUnit,
    Customer,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
    WriteOff,
)


def derive_status(*, amount: Decimal, open_amount: Decimal, written_off: Decimal) -> str:
    """Status is a function of the amounts, never typed in."""
    if open_amount <= ZERO:
        return DocumentStatus.WRITTEN_OFF if written_off > ZERO else DocumentStatus.PAID
    if open_amount < amount:
        return DocumentStatus.PARTIALLY_PAID
    return DocumentStatus.OPEN


def document_recompute(*, document: Document) -> Document:
    """Recompute open amount, status and closed date of a document from its allocations."""
    if document.kind == DocumentKind.CREDIT_NOTE:
        used = Allocation.objects.filter(credit_note=document).aggregate(s=Sum("amount"))["s"] or ZERO
        written_off = ZERO
        last = Allocation.objects.filter(credit_note=document).order_by("-date").values_list("date", flat=True).first()
    else:
        allocs = Allocation.objects.filter(document=document)
        used = allocs.aggregate(s=Sum("amount"))["s"] or ZERO
        written_off = allocs.filter(source=AllocationSource.WRITE_OFF).aggregate(s=Sum("amount"))["s"] or ZERO
        last = allocs.order_by("-date").values_list("date", flat=True).first()
    document.open_amount = document.amount - used
    document.status = derive_status(amount=document.amount, open_amount=document.open_amount, written_off=written_off)
    document.closed_date = last if document.open_amount == ZERO else None
    document.save(update_fields=["open_amount", "status", "closed_date", "updated_at"])
    return document


def payment_recompute(*, payment: Payment) -> Payment:
    used = Allocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"] or ZERO
    payment.unapplied_amount = payment.amount - used
    payment.save(update_fields=["unapplied_amount", "updated_at"])
    return payment


def _check_target(document: Document, currency: str, customer_id: int, amount: Decimal) -> None:
    if not document.is_debit:
        raise LedgerError(LedgerErrorCode.NOT_A_DEBIT_DOCUMENT, f"{document} is a credit note; allocate to an invoice")
    if document.currency != currency:
        raise LedgerError(
            LedgerErrorCode.CURRENCY_MISMATCH, f"{document} is in {document.currency}, the source in {currency}"
        )
    if document.customer_id != customer_id:
        raise LedgerError(LedgerErrorCode.CUSTOMER_MISMATCH, f"{document} belongs to another customer")
    if amount <= ZERO:
        raise LedgerError(LedgerErrorCode.NON_POSITIVE_AMOUNT, "an allocation must be positive")
    if amount > document.open_amount:
        raise LedgerError(
            LedgerErrorCode.ALLOCATION_EXCEEDS_DOCUMENT,
            f"{amount} exceeds the open amount {document.open_amount} of {document}",
        )


@transaction.atomic
def payment_create(
    *,
    business_unit: BusinessUnit,
    customer: Customer,
    external_id: str,
    received_date: dt.date,
    amount: Decimal,
    currency: str,
    method: str = "",
    reference: str = "",
) -> Payment:
    currency = check_currency(currency)
    amount = quantize(Decimal(amount), currency)
    if amount <= ZERO:
        raise LedgerError(LedgerErrorCode.NON_POSITIVE_AMOUNT, "a payment must be positive")
    payment = Payment.objects.create(
        business_unit=business_unit,
        customer=customer,
        external_id=external_id,
        received_date=received_date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference,
        unapplied_amount=amount,
    )
    audit_record(action="create", obj=payment, customer_id=customer.pk, after=snapshot(payment))
    return payment


@transaction.atomic
def payment_allocate(
    *, payment: Payment, allocations: Iterable[tuple[Document, Decimal]] | None = None, date: dt.date | None = None
) -> list[Allocation]:
    """Apply a payment to documents: the given (document, amount) pairs, or oldest due first.

    Rows are locked so two allocations racing for one document cannot overspend it.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    date = date or payment.received_date
    if allocations is None:
        remaining = payment.unapplied_amount
        pairs: list[tuple[Document, Decimal]] = []
        for doc in (
            Document.objects.select_for_update()
            .filter(customer_id=payment.customer_id, currency=payment.currency, open_amount__gt=0)
            .exclude(kind=DocumentKind.CREDIT_NOTE)
            .order_by("due_date", "id")
        ):
            if remaining <= ZERO:
                break
            take = min(remaining, doc.open_amount)
            pairs.append((doc, take))
            remaining -= take
    else:
        pairs = [(Document.objects.select_for_update().get(pk=d.pk), quantize(Decimal(a), payment.currency)) for d, a in allocations]
    total = sum((a for _, a in pairs), ZERO)
    if total > payment.unapplied_amount:
        raise LedgerError(
            LedgerErrorCode.ALLOCATION_EXCEEDS_PAYMENT,
            f"allocating {total} exceeds the unapplied {payment.unapplied_amount} of {payment}",
        )
    created = []
    for doc, amount in pairs:
        _check_target(doc, payment.currency, payment.customer_id, amount)
        alloc = Allocation.objects.create(
            document=doc, source=AllocationSource.PAYMENT, payment=payment, amount=amount, currency=payment.currency, date=date
        )
        document_recompute(document=doc)
        created.append(alloc)
        audit_record(
            action="allocate", obj=alloc, customer_id=payment.customer_id,
            after={"document": doc.external_id, "payment": payment.external_id, "amount": str(amount)},
        )
    payment_recompute(payment=payment)
    if created:
        payments_allocated(payment_ids=[payment.pk])
    return created


@transaction.atomic
def credit_note_apply(*, credit_note: Document, document: Document, amount: Decimal, date: dt.date) -> Allocation:
    credit_note = Document.objects.select_for_update().get(pk=credit_note.pk)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if credit_note.kind != DocumentKind.CREDIT_NOTE:
        raise LedgerError(LedgerErrorCode.NOT_A_CREDIT_NOTE, f"{credit_note} is not a credit note")
    amount = quantize(Decimal(amount), credit_note.currency)
    if amount > credit_note.open_amount:
        raise LedgerError(
            LedgerErrorCode.ALLOCATION_EXCEEDS_CREDIT,
            f"{amount} exceeds the unapplied {credit_note.open_amount} of {credit_note}",
        )
    _check_target(document, credit_note.currency, credit_note.customer_id, amount)
    alloc = Allocation.objects.create(
        document=document, source=AllocationSource.CREDIT_NOTE, credit_note=credit_note,
        amount=amount, currency=credit_note.currency, date=date,
    )
    document_recompute(document=document)
    document_recompute(document=credit_note)
    audit_record(
        action="allocate", obj=alloc, customer_id=document.customer_id,
        after={"document": document.external_id, "credit_note": credit_note.external_id, "amount": str(amount)},
    )
    return alloc


@transaction.atomic
def document_write_off(
    *, document: Document, amount: Decimal | None = None, date: dt.date, reason: str, approved_by: Any = None
) -> WriteOff:
    document = Document.objects.select_for_update().get(pk=document.pk)
    amount = document.open_amount if amount is None else quantize(Decimal(amount), document.currency)
    _check_target(document, document.currency, document.customer_id, amount)
    write_off = WriteOff.objects.create(
        document=document, amount=amount, currency=document.currency, date=date, reason=reason, approved_by=approved_by
    )
    Allocation.objects.create(
        document=document, source=AllocationSource.WRITE_OFF, write_off=write_off,
        amount=amount, currency=document.currency, date=date,
    )
    document_recompute(document=document)
    audit_record(action="write_off", obj=write_off, customer_id=document.customer_id, after=snapshot(write_off))
    return write_off


CUSTOMER_EDITABLE = (
    "name", "kind", "jurisdiction", "country", "segment", "timezone", "language", "preferred_channel",
    "credit_limit", "credit_currency", "payment_terms_days", "collector_id", "parent_id", "paused",
    "cease_communication", "do_not_contact", "bankruptcy", "attorney_represented",
)


@transaction.atomic
def customer_update(*, customer: Customer, **changes: Any) -> Customer:
    unknown = set(changes) - set(CUSTOMER_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    before = snapshot(customer, changes.keys())
    for key, value in changes.items():
        setattr(customer, key, value)
    customer.full_clean(exclude=["business_unit", "collector", "parent"])
    customer.save(update_fields=[*changes.keys(), "updated_at"])
    audit_record_change(obj=customer, before=before, customer_id=customer.pk)
    return customer
