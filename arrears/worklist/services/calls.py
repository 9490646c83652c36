"""Logging a call, notes and follow-ups.

A call is checked by the compliance gate *before* it is logged as made: a refusal raises
`ComplianceBlocked` (the gate stores its decision; nothing else is written). Then, in one
transaction: the call log, the contact attempt (a right-party conversation when the debtor was
reached, an attempt otherwise), the promise or dispute the outcome asks for, the follow-up, the
call tasks and due follow-ups of the customer completed, and the customer's worklist refreshed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from arrears.audit.services import audit_record, snapshot
from arrears.common.clock import now, today
from arrears.communications.models import CallTask, CallTaskStatus
from arrears.communications.services.calls import call_task_complete
from arrears.compliance.services import contact_attempt_record, manual_contact_check_or_raise
from arrears.disputes.services import dispute_open
from arrears.ledger.models import Channel, Contact, Customer, Document
from arrears.promises.models import PromiseChannel
from arrears.promises.services import promise_create
from arrears.worklist.errors import WorklistError, WorklistErrorCode
from arrears.worklist.models import CONVERSATION_OUTCOMES, CallLog, CallOutcome, FollowUp, Note
from arrears.worklist.services.worklist import worklist_refresh_customer


def _check_writer(user: Any) -> None:
    if getattr(user, "is_read_only", False):
        raise WorklistError(WorklistErrorCode.READ_ONLY, "your role is read-only")


def call_log_create(
    *,
    customer: Customer,
    user: Any,
    outcome: str,
    contact: Contact | None = None,
    notes: str = "",
    follow_up_date: dt.date | None = None,
    at: dt.datetime | None = None,
    promise_amount: Decimal | str | None = None,
    promise_currency: str = "",
    promise_date: dt.date | None = None,
    promise_documents: Sequence[Document] = (),
    dispute_reason: str = "",
    dispute_documents: Sequence[tuple[Document, Decimal | str | None]] = (),
) -> CallLog:
    """Log a call made to the customer. Raises ComplianceBlocked (nothing logged) when the gate refuses,
    WorklistError / PromiseError / DisputeError on bad input (nothing logged either)."""
    _check_writer(user)
    if outcome not in CallOutcome.values:
        raise WorklistError(WorklistErrorCode.UNKNOWN_OUTCOME, f"outcome: {outcome!r} is not one of {', '.join(CallOutcome.values)}")
    if contact is not None and contact.customer_id != customer.pk:
        raise WorklistError(WorklistErrorCode.CONTACT_NOT_OF_CUSTOMER, f"contact: {contact} is not a contact of {customer}")
    if outcome == CallOutcome.PROMISE and (promise_amount in (None, "") or promise_date is None):
        raise WorklistError(WorklistErrorCode.PROMISE_DETAILS_MISSING, "promise: an amount and a date are needed for a promise")
    if outcome == CallOutcome.DISPUTE_RAISED and (not dispute_reason or not dispute_documents):
        raise WorklistError(WorklistErrorCode.DISPUTE_DETAILS_MISSING, "dispute: a reason and at least one document are needed")
    if outcome == CallOutcome.CALLBACK_REQUESTED and follow_up_date is None:
        raise WorklistError(WorklistErrorCode.FOLLOW_UP_DATE_MISSING, "follow_up_date: when should we call back?")
    business_day = today()
    if follow_up_date is not None and follow_up_date < business_day:
        raise WorklistError(WorklistErrorCode.FOLLOW_UP_DATE_PAST, f"follow_up_date: {follow_up_date} is in the past")
    at = at or now()
    # Outside the transaction: a refusal's decision is kept as the record that the gate said no.
    decision = manual_contact_check_or_raise(customer=customer, channel=Channel.PHONE, when=at, actor=user,
                                             contact=contact, source="call log")
    with transaction.atomic():
        promise = dispute = None
        if outcome == CallOutcome.PROMISE:
            currency = promise_currency or (promise_documents[0].currency if promise_documents else customer.business_unit.home_currency)
            promise = promise_create(
                customer=customer, amount=promise_amount, currency=currency, promised_date=promise_date,
                documents=promise_documents, channel=PromiseChannel.PHONE, created_by=user, made_on=business_day, note=notes,
            )
        if outcome == CallOutcome.DISPUTE_RAISED:
            dispute = dispute_open(customer=customer, reason=dispute_reason, lines=list(dispute_documents),
                                   created_by=user, description=notes, opened_on=business_day)
        log = CallLog.objects.create(
            customer=customer, contact=contact, user=user, at=at, outcome=outcome, notes=notes,
            follow_up_date=follow_up_date, promise=promise, dispute=dispute, decision=decision,
        )
        contact_attempt_record(
            customer=customer, channel=Channel.PHONE, at=at, contact=contact,
            outcome="conversation" if outcome in CONVERSATION_OUTCOMES else "attempted",
            decision=decision, source="call log", reference=f"call-{log.pk}", actor=user,
        )
        audit_record(action="create", obj=log, customer_id=customer.pk, after=snapshot(log), actor=user)
        for task in CallTask.objects.filter(customer=customer, status=CallTaskStatus.OPEN, due_date__lte=business_day):
            call_task_complete(task=task, at=at, actor=user)
        FollowUp.objects.filter(customer=customer, done_at__isnull=True, date__lte=business_day).update(done_at=at, call_log=log)
        if follow_up_date is not None:
            FollowUp.objects.create(customer=customer, user=user, date=follow_up_date, note=notes[:300], call_log=log)
        worklist_refresh_customer(customer=customer, as_of=business_day, reason_gone=f"call logged: {log.get_outcome_display().lower()}")
    return log


@transaction.atomic
def note_create(*, customer: Customer, author: Any, body: str) -> Note:
    _check_writer(author)
    body = (body or "").strip()
    if not body:
        raise WorklistError(WorklistErrorCode.EMPTY_NOTE, "body: a note needs some text")
    note = Note.objects.create(customer=customer, author=author, body=body)
    audit_record(action="create", obj=note, customer_id=customer.pk, after={"body": body[:500]}, actor=author)
    return note


@transaction.atomic
def follow_up_create(*, customer: Customer, user: Any, date: dt.date, note: str = "", actor: Any = None) -> FollowUp:
    _check_writer(actor or user)
    if date < today():
        raise WorklistError(WorklistErrorCode.FOLLOW_UP_DATE_PAST, f"date: {date} is in the past")
    follow_up = FollowUp.objects.create(customer=customer, user=user, date=date, note=note[:300])
    audit_record(action="create", obj=follow_up, customer_id=customer.pk, after=snapshot(follow_up), actor=actor or user)
    if date <= today():
        worklist_refresh_customer(customer=customer)
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, actor: Any = None) -> FollowUp:
    _check_writer(actor)
    if follow_up.done_at is not None:
        return follow_up
    follow_up.done_at = now()
    follow_up.save(update_fields=["done_at", "updated_at"])
    audit_record(action="complete", obj=follow_up, customer_id=follow_up.customer_id, actor=actor)
    worklist_refresh_customer(customer=follow_up.customer)
    return follow_up


def worklist_payment_received(*, payment: Any) -> None:
    """After a payment is allocated: count it toward the customer's promises and plans, then refresh
    the customer's worklist (a paid account drops off). For the layers above (web, API, nightly chain)."""
    from arrears.promises.services import plan_on_payment, promises_on_payment

    promises_on_payment(payment=payment)
    plan_on_payment(payment=payment)
    worklist_refresh_customer(customer=payment.customer)
