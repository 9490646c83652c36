"""Payment plans: schedule, approve, count payments against instalments, miss, default, complete.

A plan covers documents; its total is their open amount plus any fee and interest the customer's
jurisdiction allows (`promises.conf.CHARGE_LIMITS`). Charges become a debit note when the plan is
made active, so payments can be allocated to them like any document. Payments allocated to the
plan's documents on or after the day it was made are applied to the instalments in order.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from arrears.audit.services import audit_record, snapshot
from arrears.common.clock import now, today
from arrears.common.money import MoneyError, parse_amount, quantize, split_evenly
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    Customer,
    Document,
    DocumentKind,
    Payment,
)
from arrears.ledger.services_customers import document_create
from arrears.promises import conf
from arrears.promises.errors import PlanError, PlanErrorCode
from arrears.promises.models import (
    Instalment,
    InstalmentStatus,
    PaymentPlan,
    PlanFrequency,
    PlanPayment,
    PlanStatus,
    PromiseEvent,
    PromiseEventKind,
    ScheduleKind,
)
from arrears.users.models import Role

DAY = dt.timedelta(days=1)
MAX_INSTALMENTS = 360


def _add_months(start: dt.date, months: int) -> dt.date:
    """Same day of the month, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def plan_due_dates(*, first_due_date: dt.date, count: int, frequency: str) -> list[dt.date]:
    if frequency == PlanFrequency.WEEKLY:
        return [first_due_date + dt.timedelta(weeks=i) for i in range(count)]
    if frequency == PlanFrequency.BIWEEKLY:
        return [first_due_date + dt.timedelta(weeks=2 * i) for i in range(count)]
    if frequency == PlanFrequency.MONTHLY:
        return [_add_months(first_due_date, i) for i in range(count)]
    raise PlanError(
        PlanErrorCode.BAD_SCHEDULE, f"frequency: {frequency!r} is not one of {', '.join(PlanFrequency.values)}"
    )


def plan_schedule_equal(
    *, total: Decimal, currency: str, count: int, first_due_date: dt.date, frequency: str
) -> list[tuple[dt.date, Decimal]]:
    """Equal instalments that sum to the total exactly; the first ones carry the odd minor units."""
    if not 1 <= count <= MAX_INSTALMENTS:
        raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"instalment_count: must be 1 to {MAX_INSTALMENTS}, got {count}")
    try:
        amounts = split_evenly(total, count, currency)
    except MoneyError as exc:
        raise PlanError(PlanErrorCode.BAD_SCHEDULE, str(exc)) from exc
    if any(a <= ZERO for a in amounts):
        raise PlanError(
            PlanErrorCode.BAD_SCHEDULE, f"instalment_count: {total} {currency} cannot be split into {count} positive instalments"
        )
    dates = plan_due_dates(first_due_date=first_due_date, count=count, frequency=frequency)
    return list(zip(dates, amounts, strict=True))


def _check_custom(
    schedule: Sequence[tuple[dt.date, Decimal | str]], *, total: Decimal, currency: str, made_on: dt.date
) -> list[tuple[dt.date, Decimal]]:
    if not 1 <= len(schedule) <= MAX_INSTALMENTS:
        raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"schedule: give 1 to {MAX_INSTALMENTS} instalments")
    rows: list[tuple[dt.date, Decimal]] = []
    for i, (due, raw) in enumerate(schedule):
        try:
            amount = parse_amount(raw, currency)
        except MoneyError as exc:
            raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"schedule[{i}].amount: {exc}") from exc
        if amount <= ZERO:
            raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"schedule[{i}].amount: must be positive, got {amount}")
        if due < made_on:
            raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"schedule[{i}].due_date: {due} is before the plan is made ({made_on})")
        if rows and due <= rows[-1][0]:
            raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"schedule[{i}].due_date: {due} is not after {rows[-1][0]}")
        rows.append((due, amount))
    scheduled = sum((a for _, a in rows), ZERO)
    if scheduled != total:
        raise PlanError(
            PlanErrorCode.SCHEDULE_SUM_MISMATCH,
            f"schedule: instalments sum to {scheduled} {currency} but the plan total is {total} {currency} "
            f"(difference {total - scheduled})",
        )
    return rows


def _check_charges(
    *, customer: Customer, currency: str, principal: Decimal, fee: Decimal, interest: Decimal,
    made_on: dt.date, last_due: dt.date,
) -> None:
    limit = conf.charge_limit(customer.jurisdiction)
    if fee > ZERO:
        if limit.max_fee <= ZERO:
            raise PlanError(
                PlanErrorCode.FEE_NOT_ALLOWED, f"fee: no fee is allowed for {customer.get_jurisdiction_display()} ({limit.basis})"
            )
        if currency != limit.fee_currency:
            raise PlanError(
                PlanErrorCode.FEE_NOT_ALLOWED,
                f"fee: the {customer.jurisdiction} fee cap is in {limit.fee_currency}; this plan is in {currency}",
            )
        if fee > limit.max_fee:
            raise PlanError(
                PlanErrorCode.FEE_NOT_ALLOWED,
                f"fee: {fee} {currency} exceeds the {limit.max_fee} {currency} allowed ({limit.basis})",
            )
    if interest > ZERO:
        days = (last_due - made_on).days
        cap = quantize(principal * limit.max_interest_rate / Decimal(100) * Decimal(days) / Decimal(365), currency)
        if interest > cap:
            raise PlanError(
                PlanErrorCode.INTEREST_NOT_ALLOWED,
                f"interest: {interest} {currency} exceeds the {cap} {currency} allowed "
                f"({limit.max_interest_rate} % a year on {principal} over {days} days; {limit.basis})",
            )


def _role(user: Any) -> str | None:
    if user is None:
        return None
    return Role.ADMIN if user.is_superuser else user.role


def _can_approve(user: Any, plan: PaymentPlan, count: int) -> bool:
    role = _role(user)
    limit = conf.approval_limit(role) if role else None
    return limit is not None and limit.allows(instalments=count, total=plan.total, currency=plan.currency)


def _covered_elsewhere(docs: Iterable[Document], statuses: Sequence[str], exclude: int | None = None) -> None:
    clash = PaymentPlan.documents.through.objects.filter(
        document_id__in=[d.pk for d in docs], paymentplan__status__in=statuses
    )
    if exclude is not None:
        clash = clash.exclude(paymentplan_id=exclude)
    row = clash.values_list("document_id", "paymentplan_id").first()
    if row:
        raise PlanError(
            PlanErrorCode.DOCUMENT_ALREADY_IN_PLAN, f"documents: document {row[0]} is already in payment plan {row[1]}"
        )


def _set_status(plan: PaymentPlan, status: str, *, note: str = "", extra: Sequence[str] = ()) -> None:
    before = plan.status
    plan.status = status
    plan.save(update_fields=["status", *extra, "updated_at"])
    audit_record(
        action="status", obj=plan, customer_id=plan.customer_id, before={"status": before},
        after={"status": status, **{f: str(getattr(plan, f)) for f in extra}}, note=note,
    )


@transaction.atomic
def plan_create(
    *,
    customer: Customer,
    documents: Iterable[Document],
    created_by: Any = None,
    schedule_kind: str = ScheduleKind.EQUAL,
    frequency: str = PlanFrequency.MONTHLY,
    first_due_date: dt.date | None = None,
    instalment_count: int | None = None,
    schedule: Sequence[tuple[dt.date, Decimal | str]] | None = None,
    fee: Decimal | str = ZERO,
    interest: Decimal | str = ZERO,
    made_on: dt.date | None = None,
    submit: bool = True,
    note: str = "",
) -> PaymentPlan:
    """Make a plan over documents' open amounts. With `submit` it goes active at once when the
    creator's role may approve it, else to pending_approval; without, it stays a draft."""
    made_on = made_on or today()
    creator = created_by if getattr(created_by, "is_authenticated", False) else None
    if creator is not None and conf.approval_limit(_role(creator)) is None:
        raise PlanError(PlanErrorCode.NOT_ALLOWED_TO_CREATE, f"{creator} may not make payment plans")
    docs = list(Document.objects.select_for_update().filter(pk__in=[d.pk for d in documents]).order_by("due_date", "pk"))
    if not docs:
        raise PlanError(PlanErrorCode.NO_DOCUMENTS, "documents: a plan covers at least one open document")
    currency = docs[0].currency
    for doc in docs:
        if doc.customer_id != customer.pk:
            raise PlanError(PlanErrorCode.DOCUMENT_NOT_OF_CUSTOMER, f"documents: {doc} belongs to another customer")
        if doc.kind == DocumentKind.CREDIT_NOTE:
            raise PlanError(PlanErrorCode.NOT_A_DEBIT_DOCUMENT, f"documents: {doc} is a credit note")
        if doc.currency != currency:
            raise PlanError(PlanErrorCode.CURRENCY_MISMATCH, f"documents: {doc} is in {doc.currency}, not {currency}")
        if doc.open_amount <= ZERO:
            raise PlanError(PlanErrorCode.DOCUMENT_CLOSED, f"documents: {doc} has nothing open")
    _covered_elsewhere(docs, [PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE])
    try:
        fee_amount, interest_amount = parse_amount(fee, currency), parse_amount(interest, currency)
    except MoneyError as exc:
        raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"fee/interest: {exc}") from exc
    if fee_amount < ZERO or interest_amount < ZERO:
        raise PlanError(PlanErrorCode.BAD_SCHEDULE, "fee/interest: may not be negative")
    principal = sum((d.open_amount for d in docs), ZERO)
    total = principal + fee_amount + interest_amount
    if schedule_kind == ScheduleKind.EQUAL:
        if first_due_date is None or instalment_count is None:
            raise PlanError(PlanErrorCode.BAD_SCHEDULE, "an equal schedule needs first_due_date and instalment_count")
        if first_due_date < made_on:
            raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"first_due_date: {first_due_date} is before {made_on}")
        rows = plan_schedule_equal(
            total=total, currency=currency, count=instalment_count, first_due_date=first_due_date, frequency=frequency
        )
    elif schedule_kind == ScheduleKind.CUSTOM:
        rows = _check_custom(schedule or [], total=total, currency=currency, made_on=made_on)
        frequency = ""
    else:
        raise PlanError(PlanErrorCode.BAD_SCHEDULE, f"schedule_kind: {schedule_kind!r} is not equal or custom")
    _check_charges(
        customer=customer, currency=currency, principal=principal, fee=fee_amount, interest=interest_amount,
        made_on=made_on, last_due=rows[-1][0],
    )
    plan = PaymentPlan.objects.create(
        customer=customer, currency=currency, principal=principal, fee=fee_amount, interest=interest_amount,
        total=total, schedule_kind=schedule_kind, frequency=frequency, made_on=made_on, status=PlanStatus.DRAFT,
        created_by=creator, note=note,
    )
    plan.documents.set(docs)
    Instalment.objects.bulk_create(
        [Instalment(plan=plan, sequence=i + 1, due_date=due, amount=amount) for i, (due, amount) in enumerate(rows)]
    )
    audit_record(
        action="create", obj=plan, customer_id=customer.pk,
        after={**snapshot(plan), "documents": [d.pk for d in docs], "instalments": [[d.isoformat(), str(a)] for d, a in rows]},
    )
    if submit:
        plan = plan_submit(plan=plan, by=creator)
    return plan


@transaction.atomic
def plan_submit(*, plan: PaymentPlan, by: Any = None) -> PaymentPlan:
    """Draft -> active when `by` may approve it, else pending_approval."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise PlanError(PlanErrorCode.INVALID_TRANSITION, f"plan {plan.pk} is {plan.status}; only a draft is submitted")
    if by is not None and _can_approve(by, plan, plan.instalments.count()):
        _activate(plan, by)
    else:
        _set_status(plan, PlanStatus.PENDING_APPROVAL, note="above the creator's approval limit")
    return plan


@transaction.atomic
def plan_approve(*, plan: PaymentPlan, by: Any) -> PaymentPlan:
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.PENDING_APPROVAL:
        raise PlanError(PlanErrorCode.INVALID_TRANSITION, f"plan {plan.pk} is {plan.status}, not pending approval")
    count = plan.instalments.count()
    if not _can_approve(by, plan, count):
        raise PlanError(
            PlanErrorCode.APPROVAL_LIMIT_EXCEEDED,
            f"{by} ({_role(by)}) may not approve a plan of {count} instalments totalling {plan.total} {plan.currency}",
        )
    _activate(plan, by)
    return plan


def _activate(plan: PaymentPlan, by: Any) -> None:
    _covered_elsewhere(plan.documents.all(), [PlanStatus.ACTIVE], exclude=plan.pk)
    plan.approved_by = by
    plan.approved_at = now()
    charges = plan.fee + plan.interest
    if charges > ZERO:
        last_due = plan.instalments.order_by("-sequence").values_list("due_date", flat=True).first()
        plan.charge_document = document_create(
            customer=plan.customer, external_id=f"PLAN{plan.pk}-CHARGES", issue_date=plan.made_on,
            due_date=last_due or plan.made_on, amount=charges, currency=plan.currency, kind=DocumentKind.DEBIT_NOTE,
            reference=f"payment plan {plan.pk}: fee {plan.fee}, interest {plan.interest}",
        )
        plan.documents.add(plan.charge_document)
    _set_status(plan, PlanStatus.ACTIVE, note=f"approved by {by}", extra=["approved_by_id", "approved_at", "charge_document_id"])
    _apply(plan)


@transaction.atomic
def plan_cancel(*, plan: PaymentPlan, reason: str = "") -> PaymentPlan:
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE):
        raise PlanError(PlanErrorCode.INVALID_TRANSITION, f"plan {plan.pk} is {plan.status} and cannot be cancelled")
    _set_status(plan, PlanStatus.CANCELLED, note=reason)
    return plan


def _emit(plan: PaymentPlan, kind: str, on: dt.date, amount: Decimal, instalment: Instalment | None = None) -> None:
    PromiseEvent.objects.get_or_create(
        plan=plan, instalment=instalment, kind=kind,
        defaults={"customer_id": plan.customer_id, "date": on, "amount": amount},
    )


def _apply(plan: PaymentPlan, *, until: dt.date | None = None) -> bool:
    """Apply allocations to the plan's documents not yet counted, to the instalments in order."""
    allocations = (
        Allocation.objects.filter(
            document__in=plan.documents.all(), source=AllocationSource.PAYMENT, date__gte=plan.made_on,
            currency=plan.currency,
        )
        .exclude(plan_payments__plan=plan)
        .order_by("date", "id")
    )
    if until is not None:
        allocations = allocations.filter(date__lte=until)
    allocations = list(allocations)
    if not allocations:
        return False
    instalments = list(plan.instalments.select_for_update().order_by("sequence"))
    touched: dict[int, Instalment] = {}
    last_date = None
    for alloc in allocations:
        take = min(alloc.amount, plan.total - plan.paid_amount)
        if take <= ZERO:
            break
        PlanPayment.objects.create(plan=plan, payment_id=alloc.payment_id, allocation=alloc, amount=take, date=alloc.date)
        plan.paid_amount += take
        last_date = alloc.date
        left = take
        for inst in instalments:
            if left <= ZERO:
                break
            room = inst.amount - inst.paid_amount
            if room <= ZERO:
                continue
            part = min(room, left)
            inst.paid_amount += part
            left -= part
            if inst.paid_amount == inst.amount:
                before = inst.status
                inst.status, inst.paid_on = InstalmentStatus.PAID, alloc.date
                audit_record(
                    action="status", obj=inst, customer_id=plan.customer_id, before={"status": before},
                    after={"status": inst.status, "paid_on": alloc.date.isoformat()},
                )
            elif inst.status == InstalmentStatus.PENDING:
                inst.status = InstalmentStatus.PARTIALLY_PAID
            touched[inst.pk] = inst
    for inst in touched.values():
        inst.save(update_fields=["paid_amount", "status", "paid_on", "updated_at"])
    plan.save(update_fields=["paid_amount", "updated_at"])
    if plan.status == PlanStatus.ACTIVE and all(i.status == InstalmentStatus.PAID for i in instalments):
        plan.completed_on = last_date
        _set_status(plan, PlanStatus.COMPLETED, note="every instalment paid", extra=["completed_on"])
        _emit(plan, PromiseEventKind.PLAN_COMPLETED, last_date, plan.total)
    return True


@transaction.atomic
def plan_on_payment(*, payment: Payment) -> list[PaymentPlan]:
    """Apply a payment (after it has been allocated) to the instalments of the plans it touches. Safe to repeat."""
    doc_ids = Allocation.objects.filter(payment=payment).values("document_id")
    plan_ids = PaymentPlan.documents.through.objects.filter(document_id__in=doc_ids).values("paymentplan_id")
    plans = (
        PaymentPlan.objects.select_for_update()
        .filter(pk__in=plan_ids, customer_id=payment.customer_id, status=PlanStatus.ACTIVE)
        .order_by("made_on", "id")
    )
    return [plan for plan in plans if _apply(plan)]


@dataclass(frozen=True)
class PlanEvaluation:
    missed: int
    defaulted: int
    completed: int


@transaction.atomic
def plan_evaluate(*, as_of: dt.date) -> PlanEvaluation:
    """The nightly step: apply payments not yet applied (up to `as_of`), mark instalments unpaid after
    their grace period missed, and default plans with too many missed. Safe to run twice."""
    grace = dt.timedelta(days=conf.instalment_grace_days())
    threshold = conf.plan_default_after_missed()
    missed = defaulted = completed = 0
    for plan in PaymentPlan.objects.select_for_update().filter(status=PlanStatus.ACTIVE, made_on__lte=as_of).order_by("id"):
        _apply(plan, until=as_of)
        if plan.status == PlanStatus.COMPLETED:
            completed += 1
            continue
        overdue = plan.instalments.filter(
            status__in=[InstalmentStatus.PENDING, InstalmentStatus.PARTIALLY_PAID], due_date__lt=as_of - grace
        ).order_by("sequence")
        for inst in overdue:
            before = inst.status
            inst.status, inst.missed_on = InstalmentStatus.MISSED, inst.due_date + grace + DAY
            inst.save(update_fields=["status", "missed_on", "updated_at"])
            audit_record(
                action="status", obj=inst, customer_id=plan.customer_id, before={"status": before},
                after={"status": inst.status, "missed_on": inst.missed_on.isoformat()},
            )
            _emit(plan, PromiseEventKind.INSTALMENT_MISSED, inst.missed_on, inst.amount - inst.paid_amount, inst)
            missed += 1
        misses = sorted(plan.instalments.filter(status=InstalmentStatus.MISSED).values_list("missed_on", flat=True))
        if len(misses) >= threshold:
            plan.defaulted_on = misses[max(threshold, 1) - 1]
            _set_status(plan, PlanStatus.DEFAULTED, note=f"{len(misses)} instalments missed", extra=["defaulted_on"])
            _emit(plan, PromiseEventKind.PLAN_DEFAULTED, plan.defaulted_on, plan.total - plan.paid_amount)
            defaulted += 1
    return PlanEvaluation(missed=missed, defaulted=defaulted, completed=completed)
