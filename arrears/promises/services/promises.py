"""Promises to pay: make, cancel, and decide kept / partially kept / broken from the payments that arrive.

Counting rules (docs/promises.md):

- A payment counts toward a promise when it is allocated to a covered document on a date from
  `made_on` to `deadline` (promised date + grace). A promise with no documents is on the whole
  account: the payment itself counts, by its received date, allocated or not.
- One payment is shared between promises oldest promised date first; no part of it counts twice.
- Kept as soon as the counted amount reaches the promised amount (on that payment's date).
  After the deadline: some paid -> partially kept, none -> broken, decided on the first day after
  the deadline, whenever the evaluation runs. Decisions are final: a later payment is recorded as
  late (`PromisePayment.counted = False`) and the status stays.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Min, Q, Sum

from arrears.audit.services import audit_record, snapshot
from arrears.common.clock import today
from arrears.common.money import MoneyError, check_currency, parse_amount
from arrears.ledger.models import ZERO, Allocation, AllocationSource, Customer, Document, Payment
from arrears.promises import conf
from arrears.promises.errors import PromiseError, PromiseErrorCode
from arrears.promises.models import (
    Promise,
    PromiseChannel,
    PromiseEvent,
    PromiseEventKind,
    PromisePayment,
    PromiseStatus,
)

DAY = dt.timedelta(days=1)


def _set_status(promise: Promise, status: str, *, on: dt.date, note: str = "") -> None:
    before = {"status": promise.status, "paid_amount": str(promise.paid_amount)}
    promise.status = status
    promise.decided_on = on
    promise.save(update_fields=["status", "decided_on", "paid_amount", "late_paid_amount", "updated_at"])
    audit_record(
        action="status", obj=promise, customer_id=promise.customer_id, before=before,
        after={"status": status, "paid_amount": str(promise.paid_amount), "on": on.isoformat()}, note=note,
    )


def _emit(promise: Promise, kind: str, on: dt.date, amount: Decimal | None) -> None:
    PromiseEvent.objects.get_or_create(
        promise=promise, kind=kind, defaults={"customer_id": promise.customer_id, "date": on, "amount": amount}
    )


@transaction.atomic
def promise_create(
    *,
    customer: Customer,
    amount: Decimal | str,
    currency: str,
    promised_date: dt.date,
    documents: Iterable[Document] = (),
    channel: str = PromiseChannel.PHONE,
    created_by: Any = None,
    grace_days: int | None = None,
    made_on: dt.date | None = None,
    note: str = "",
) -> Promise:
    """Record a promise. Documents must be the customer's open debit documents in its currency."""
    made_on = made_on or today()
    try:
        currency = check_currency(currency)
        amount = parse_amount(amount, currency)
    except MoneyError as exc:
        raise PromiseError(PromiseErrorCode.NON_POSITIVE_AMOUNT, f"amount: {exc}") from exc
    if amount <= ZERO:
        raise PromiseError(PromiseErrorCode.NON_POSITIVE_AMOUNT, f"amount: a promise must be positive, got {amount}")
    if channel not in PromiseChannel.values:
        raise PromiseError(
            PromiseErrorCode.UNKNOWN_CHANNEL, f"channel: {channel!r} is not one of {', '.join(PromiseChannel.values)}"
        )
    if promised_date < made_on:
        raise PromiseError(
            PromiseErrorCode.DATE_BEFORE_MADE, f"promised_date: {promised_date} is before the day it is made ({made_on})"
        )
    if grace_days is not None and grace_days < 0:
        raise PromiseError(PromiseErrorCode.DATE_BEFORE_MADE, "grace_days: must be 0 or more")
    docs = list(Document.objects.select_for_update().filter(pk__in=[d.pk for d in documents]).order_by("pk"))
    for doc in docs:
        if doc.customer_id != customer.pk:
            raise PromiseError(PromiseErrorCode.DOCUMENT_NOT_OF_CUSTOMER, f"documents: {doc} belongs to another customer")
        if not doc.is_debit:
            raise PromiseError(PromiseErrorCode.NOT_A_DEBIT_DOCUMENT, f"documents: {doc} is a credit note")
        if doc.currency != currency:
            raise PromiseError(
                PromiseErrorCode.CURRENCY_MISMATCH, f"documents: {doc} is in {doc.currency}, the promise in {currency}"
            )
        if doc.open_amount <= ZERO:
            raise PromiseError(PromiseErrorCode.DOCUMENT_CLOSED, f"documents: {doc} has nothing open")
    open_total = sum((d.open_amount for d in docs), ZERO)
    if docs and amount > open_total:
        raise PromiseError(
            PromiseErrorCode.AMOUNT_EXCEEDS_OPEN,
            f"amount: {amount} {currency} exceeds the {open_total} {currency} open on the documents",
        )
    grace = conf.promise_grace_days() if grace_days is None else grace_days
    promise = Promise.objects.create(
        customer=customer, amount=amount, currency=currency, made_on=made_on, promised_date=promised_date,
        grace_days=grace, deadline=promised_date + dt.timedelta(days=grace), channel=channel,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None, note=note,
    )
    promise.documents.set(docs)
    audit_record(
        action="create", obj=promise, customer_id=customer.pk,
        after={**snapshot(promise), "documents": [d.pk for d in docs]},
    )
    return promise


@transaction.atomic
def promise_cancel(*, promise: Promise, on: dt.date | None = None, reason: str = "") -> Promise:
    promise = Promise.objects.select_for_update().get(pk=promise.pk)
    if promise.status != PromiseStatus.PENDING:
        raise PromiseError(
            PromiseErrorCode.NOT_PENDING, f"promise {promise.pk} is {promise.get_status_display().lower()}, not pending"
        )
    _set_status(promise, PromiseStatus.CANCELLED, on=on or today(), note=reason)
    return promise


# ---------------------------------------------------------------- counting payments


@dataclass
class _Source:
    """One piece of cash that may count: an allocation (document promises) or a whole payment (account)."""

    payment_id: int
    allocation_id: int | None
    document_id: int | None
    currency: str
    date: dt.date
    amount: Decimal


class _Ledger:
    """What each payment and allocation has already given to promises, so nothing counts twice."""

    def __init__(self, payment_ids: set[int]) -> None:
        self.by_payment: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.by_allocation: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.seen: set[tuple[int, int | None, int]] = set()
        for row in PromisePayment.objects.filter(payment_id__in=payment_ids).values(
            "promise_id", "payment_id", "allocation_id", "amount"
        ):
            self.by_payment[row["payment_id"]] += row["amount"]
            if row["allocation_id"] is not None:
                self.by_allocation[row["allocation_id"]] += row["amount"]
            self.seen.add((row["promise_id"], row["allocation_id"], row["payment_id"]))

    def available(self, source: _Source, payment_amount: Decimal) -> Decimal:
        left = payment_amount - self.by_payment[source.payment_id]
        if source.allocation_id is not None:
            left = min(left, source.amount - self.by_allocation[source.allocation_id])
        return max(left, ZERO)

    def take(self, promise: Promise, source: _Source, amount: Decimal, *, counted: bool) -> None:
        PromisePayment.objects.create(
            promise=promise, payment_id=source.payment_id, allocation_id=source.allocation_id,
            amount=amount, date=source.date, counted=counted,
        )
        self.by_payment[source.payment_id] += amount
        if source.allocation_id is not None:
            self.by_allocation[source.allocation_id] += amount
        self.seen.add((promise.pk, source.allocation_id, source.payment_id))


def _sources(payments: list[Payment]) -> tuple[dict[int, list[_Source]], dict[int, list[_Source]]]:
    """Per payment: its allocations (for document promises) and itself (for account promises)."""
    by_alloc: dict[int, list[_Source]] = defaultdict(list)
    for a in Allocation.objects.filter(payment__in=payments, source=AllocationSource.PAYMENT).order_by("date", "id"):
        by_alloc[a.payment_id].append(_Source(a.payment_id, a.pk, a.document_id, a.currency, a.date, a.amount))
    whole = {p.pk: [_Source(p.pk, None, None, p.currency, p.received_date, p.amount)] for p in payments}
    return by_alloc, whole


def _apply(customer_id: int, payments: list[Payment], *, until: dt.date | None = None) -> list[Promise]:
    """Count these payments toward the customer's promises. Returns the promises that changed."""
    if not payments:
        return []
    promises = list(
        Promise.objects.select_for_update()
        .filter(customer_id=customer_id, status__in=[PromiseStatus.PENDING, PromiseStatus.BROKEN, PromiseStatus.PARTIALLY_KEPT])
        .order_by("promised_date", "id")
    )
    if not promises:
        return []
    covered: dict[int, set[int]] = defaultdict(set)
    for promise_id, doc_id in Promise.documents.through.objects.filter(
        promise_id__in=[p.pk for p in promises]
    ).values_list("promise_id", "document_id"):
        covered[promise_id].add(doc_id)
    by_alloc, whole = _sources(payments)
    book = _Ledger({p.pk for p in payments})
    amounts = {p.pk: p.amount for p in payments}
    changed: dict[int, Promise] = {}

    def candidates(promise: Promise, payment: Payment) -> list[_Source]:
        docs = covered[promise.pk]
        pool = [s for s in by_alloc[payment.pk] if s.document_id in docs] if docs else whole[payment.pk]
        return [
            s for s in pool
            if s.currency == promise.currency and s.date >= promise.made_on and (until is None or s.date <= until)
            and (promise.pk, s.allocation_id, s.payment_id) not in book.seen
        ]

    ordered = sorted(payments, key=lambda p: (p.received_date, p.pk))
    # Pass 1: what counts, oldest promised date first. Pass 2: what came late, recorded only.
    for payment in ordered:
        for promise in promises:
            if promise.status != PromiseStatus.PENDING:
                continue
            for source in candidates(promise, payment):
                need = promise.amount - promise.paid_amount
                if source.date > promise.deadline or need <= ZERO:
                    continue
                take = min(need, book.available(source, amounts[payment.pk]))
                if take <= ZERO:
                    continue
                book.take(promise, source, take, counted=True)
                promise.paid_amount += take
                changed[promise.pk] = promise
                if promise.paid_amount >= promise.amount:
                    _set_status(promise, PromiseStatus.KEPT, on=source.date)
                    _emit(promise, PromiseEventKind.PROMISE_KEPT, source.date, promise.amount)
    for payment in ordered:
        for promise in promises:
            if promise.status == PromiseStatus.KEPT:
                continue
            for source in candidates(promise, payment):
                need = promise.amount - promise.paid_amount - promise.late_paid_amount
                if source.date <= promise.deadline or need <= ZERO:
                    continue
                take = min(need, book.available(source, amounts[payment.pk]))
                if take <= ZERO:
                    continue
                book.take(promise, source, take, counted=False)
                promise.late_paid_amount += take
                changed[promise.pk] = promise
    for promise in changed.values():
        if promise.status != PromiseStatus.KEPT:  # kept ones were saved with their status
            promise.save(update_fields=["paid_amount", "late_paid_amount", "updated_at"])
    return list(changed.values())


@transaction.atomic
def promises_on_payment(*, payment: Payment) -> list[Promise]:
    """Count a payment (after it has been allocated) toward the customer's promises. Safe to repeat."""
    return _apply(payment.customer_id, [Payment.objects.get(pk=payment.pk)])


@dataclass(frozen=True)
class PromiseEvaluation:
    updated: int
    kept: int
    partially_kept: int
    broken: int


@transaction.atomic
def promise_evaluate(*, as_of: dt.date) -> PromiseEvaluation:
    """The nightly step: count any payment not yet counted (up to `as_of`), then decide every pending
    promise whose deadline has passed. Running it twice for the same day changes nothing."""
    pending = Promise.objects.filter(status=PromiseStatus.PENDING, made_on__lte=as_of)
    starts = dict(
        pending.order_by().values("customer_id").annotate(since=Min("made_on")).values_list("customer_id", "since")
    )
    counted = 0
    for customer_id, since in starts.items():
        payments = list(
            Payment.objects.filter(customer_id=customer_id, received_date__lte=as_of)
            .filter(Q(received_date__gte=since) | Q(allocations__date__gte=since))
            .distinct()
        )
        counted += len(_apply(customer_id, payments, until=as_of))
    tally = {PromiseStatus.KEPT: 0, PromiseStatus.PARTIALLY_KEPT: 0, PromiseStatus.BROKEN: 0}
    for promise in Promise.objects.select_for_update().filter(status=PromiseStatus.PENDING, deadline__lt=as_of):
        # Decided on the first day after the deadline, whichever night the evaluation runs.
        on = promise.deadline + DAY
        paid = PromisePayment.objects.filter(promise=promise, counted=True).aggregate(s=Sum("amount"))["s"] or ZERO
        promise.paid_amount = paid
        if paid >= promise.amount:
            status, kind = PromiseStatus.KEPT, PromiseEventKind.PROMISE_KEPT
        elif paid > ZERO:
            status, kind = PromiseStatus.PARTIALLY_KEPT, PromiseEventKind.PROMISE_PARTIALLY_KEPT
        else:
            status, kind = PromiseStatus.BROKEN, PromiseEventKind.PROMISE_BROKEN
        _set_status(promise, status, on=on, note="deadline passed")
        _emit(promise, kind, on, promise.amount - paid if status != PromiseStatus.KEPT else promise.amount)
        tally[status] += 1
    return PromiseEvaluation(
        updated=counted, kept=tally[PromiseStatus.KEPT], partially_kept=tally[PromiseStatus.PARTIALLY_KEPT],
        broken=tally[PromiseStatus.BROKEN],
    )

