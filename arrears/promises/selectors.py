"""Reads for promises and plans, including the holds and events the nightly dunning run consumes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from arrears.ledger.models import Document, DocumentKind
from arrears.ledger.selectors import customer_list_visible
from arrears.promises import conf
from arrears.promises.models import (
    Instalment,
    InstalmentStatus,
    PaymentPlan,
    PlanStatus,
    Promise,
    PromiseEvent,
    PromiseEventKind,
    PromiseStatus,
)

# PromiseEvent kinds as the strategies see them: a partially kept promise is a broken one (the
# shortfall is still owed and the hold has ended); plan completion and default are not strategy events.
STRATEGY_EVENT_KINDS = {
    PromiseEventKind.PROMISE_BROKEN: "promise_broken",
    PromiseEventKind.PROMISE_PARTIALLY_KEPT: "promise_broken",
    PromiseEventKind.INSTALMENT_MISSED: "instalment_missed",
    PromiseEventKind.PROMISE_KEPT: "promise_kept",
}


def _promises_active(as_of: dt.date) -> QuerySet[Promise]:
    """Promises that were pending on `as_of` (also right when re-run for a past day)."""
    return Promise.objects.filter(made_on__lte=as_of, deadline__gte=as_of).filter(
        Q(status=PromiseStatus.PENDING) | Q(decided_on__gt=as_of)
    )


def promise_active_coverage(*, as_of: dt.date) -> dict[int, dt.date]:
    """document_id -> the last day its active promise still holds it (promised date + grace).

    A promise with no documents covers every open debit document of the customer in its currency.
    Where promises overlap, the later deadline wins.
    """
    coverage: dict[int, dt.date] = {}
    active = list(_promises_active(as_of).values_list("pk", "customer_id", "currency", "deadline"))
    if not active:
        return coverage
    deadlines = {pk: deadline for pk, _, _, deadline in active}
    with_docs: set[int] = set()
    for promise_id, doc_id in Promise.documents.through.objects.filter(promise_id__in=deadlines).values_list(
        "promise_id", "document_id"
    ):
        with_docs.add(promise_id)
        if coverage.get(doc_id, dt.date.min) < deadlines[promise_id]:
            coverage[doc_id] = deadlines[promise_id]
    account: dict[tuple[int, str], dt.date] = {}
    for pk, customer_id, currency, deadline in active:
        if pk not in with_docs and account.get((customer_id, currency), dt.date.min) < deadline:
            account[(customer_id, currency)] = deadline
    if account:
        q = Q()
        for customer_id, currency in account:
            q |= Q(customer_id=customer_id, currency=currency)
        docs = (
            Document.objects.filter(q, open_amount__gt=0)
            .exclude(kind=DocumentKind.CREDIT_NOTE)
            .values_list("pk", "customer_id", "currency")
        )
        for doc_id, customer_id, currency in docs:
            deadline = account[(customer_id, currency)]
            if coverage.get(doc_id, dt.date.min) < deadline:
                coverage[doc_id] = deadline
    return coverage


def plan_list_in_good_standing(*, as_of: dt.date) -> QuerySet[PaymentPlan]:
    """Active plans with fewer instalments overdue beyond grace than the default threshold.

    Counted from the due dates, so the answer is right even before tonight's plan_evaluate ran.
    """
    grace = dt.timedelta(days=conf.instalment_grace_days())
    behind = Count(
        "instalments",
        filter=Q(instalments__due_date__lt=as_of - grace) & ~Q(instalments__status=InstalmentStatus.PAID),
    )
    return (
        PaymentPlan.objects.filter(status=PlanStatus.ACTIVE, made_on__lte=as_of)
        .annotate(behind=behind)
        .filter(behind__lt=conf.plan_default_after_missed())
    )


def plan_active_documents(*, as_of: dt.date) -> set[int]:
    """Ids of documents covered by a plan in good standing on `as_of`: dunning holds them."""
    plan_ids = plan_list_in_good_standing(as_of=as_of).order_by().values("pk")
    return set(
        PaymentPlan.documents.through.objects.filter(paymentplan_id__in=plan_ids).values_list("document_id", flat=True)
    )


def promise_events_between(*, start: dt.date, end: dt.date) -> list[tuple[int, dt.date, str]]:
    """(customer_id, date, "promise_broken" | "instalment_missed" | "promise_kept"), by date, inclusive."""
    rows = PromiseEvent.objects.filter(date__gte=start, date__lte=end, kind__in=list(STRATEGY_EVENT_KINDS)).order_by(
        "date", "id"
    )
    return [(c, d, STRATEGY_EVENT_KINDS[k]) for c, d, k in rows.values_list("customer_id", "date", "kind")]


def promise_list_visible(*, user: Any) -> QuerySet[Promise]:
    """The permission gate for promises: those of the customers this user may see."""
    return Promise.objects.filter(customer__in=customer_list_visible(user=user))


def plan_list_visible(*, user: Any) -> QuerySet[PaymentPlan]:
    """The permission gate for plans: those of the customers this user may see."""
    return PaymentPlan.objects.filter(customer__in=customer_list_visible(user=user)).prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("sequence"))
    )


def promise_event_list_for_customer(*, customer_id: int) -> QuerySet[PromiseEvent]:
    return PromiseEvent.objects.filter(customer_id=customer_id).order_by("-date", "-id")


def plan_instalments_due(*, as_of: dt.date) -> dict[int, list[Instalment]]:
    """Unpaid instalments of active plans due on or before `as_of`, per customer (for reminders)."""
    out: dict[int, list[Instalment]] = defaultdict(list)
    for inst in (
        Instalment.objects.filter(plan__status=PlanStatus.ACTIVE, due_date__lte=as_of)
        .exclude(status=InstalmentStatus.PAID)
        .select_related("plan")
        .order_by("due_date", "id")
    ):
        out[inst.plan.customer_id].append(inst)
    return dict(out)
