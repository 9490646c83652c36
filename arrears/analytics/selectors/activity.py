"""KPI inputs from the apps around the ledger: promises, disputes, calls and targets.

Promises and disputes are read one row each (a period holds thousands, not millions) and passed to
the pure functions of `arrears.analytics.kpis` as they are; calls are counted in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Q

from arrears.analytics.kpis.disputes import Dispute as DisputeRow
from arrears.analytics.kpis.promises import AccountPayment
from arrears.analytics.kpis.promises import Promise as PromiseRow
from arrears.analytics.selectors.fx import FxTable
from arrears.analytics.selectors.ledger import DateRange, Key, Scope, day_bounds, key_path
from arrears.disputes.models import Dispute
from arrears.promises.models import Promise, PromiseStatus


def promise_rows(*, period: DateRange, by: str | None, scope: Scope, fx: FxTable) -> dict[Key, list[PromiseRow]]:
    """Promises whose promised date is in the period, for `ptp_kept_rate` (KPIS.md §10).

    Each promise is evaluated against its own deadline (promised date + its grace days, fixed when it
    was made), so the row's ``promise_date`` is that deadline and the caller passes ``grace_days=0``.
    The payments counted in its window are the promise's ``paid_amount``. Amounts are converted at the
    deadline's rate.
    """
    qs = scope.apply(Promise.objects.filter(promised_date__gte=period[0], promised_date__lte=period[1]), "customer")
    key = key_path(by, "customer")
    fields = ["pk", "currency", "amount", "paid_amount", "made_on", "deadline", "status", *([key] if key else [])]
    out: dict[Key, list[PromiseRow]] = defaultdict(list)
    for pk, ccy, amount, paid, made_on, deadline, status, *rest in qs.order_by().values_list(*fields):
        rate = fx.rate(ccy, deadline)
        payments = (AccountPayment(on=made_on, amount=paid * rate),) if paid else ()
        out[rest[0] if key else None].append(PromiseRow(
            ref=f"P{pk}", amount=amount * rate, promise_date=deadline, created_on=made_on, payments=payments,
            cancelled=status == PromiseStatus.CANCELLED,
        ))
    return out


def dispute_rows(*, period: DateRange, by: str | None, scope: Scope) -> dict[Key, list[DisputeRow]]:
    """Disputes closed in the period or still open at its end, for `dispute_resolution_stats` (§11)."""
    start, end = period
    qs = scope.apply(
        Dispute.objects.filter(opened_on__lte=end).filter(Q(resolved_on__isnull=True) | Q(resolved_on__gte=start)),
        "customer",
    )
    key = key_path(by, "customer")
    out: dict[Key, list[DisputeRow]] = defaultdict(list)
    for pk, opened, resolved, *rest in qs.order_by().values_list("pk", "opened_on", "resolved_on", *([key] if key else [])):
        closed = resolved if resolved is not None and resolved <= end else None
        out[rest[0] if key else None].append(DisputeRow(ref=f"D{pk}", opened_on=opened, closed_on=closed))
    return out


def call_counts(*, period: DateRange, by: str | None, scope: Scope) -> dict[Key, dict[str, int]]:
    """Outbound calls in the period: attempts, connects (a person answered), right-party contacts,
    promises taken (KPIS.md §13). From the worklist's call log; without the worklist, from compliance's
    contact attempts by phone (a "conversation" outcome is a right-party contact)."""
    lo, hi = day_bounds(*period)
    if apps.is_installed("arrears.worklist"):
        from arrears.worklist.models import CONVERSATION_OUTCOMES, CallLog, CallOutcome

        qs = scope.apply(CallLog.objects.filter(at__gte=lo, at__lt=hi), "customer")
        key = key_path(by, "customer", collector_path="user_id")
        aggs = {
            "attempts": Count("id"),
            "connects": Count("id", filter=~Q(outcome__in=[CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL])),
            "rpcs": Count("id", filter=Q(outcome__in=list(CONVERSATION_OUTCOMES))),
            "promises": Count("id", filter=Q(outcome=CallOutcome.PROMISE)),
        }
    else:  # pragma: no cover - every shipped configuration installs the worklist
        from arrears.compliance.models import AttemptOutcome, ContactAttempt, Direction

        qs = scope.apply(
            ContactAttempt.objects.filter(at__gte=lo, at__lt=hi, channel="phone", direction=Direction.OUTBOUND), "customer"
        )
        key = key_path(by, "customer", collector_path="actor_id")
        aggs = {
            "attempts": Count("id"),
            "connects": Count("id", filter=Q(outcome=AttemptOutcome.CONVERSATION)),
            "rpcs": Count("id", filter=Q(outcome=AttemptOutcome.CONVERSATION)),
            "promises": Count("id", filter=Q(pk__in=[])),
        }
    fields = [key] if key else []
    rows = qs.order_by().values_list(*fields).annotate(**aggs).values_list(*fields, *aggs) if fields else [
        tuple(qs.aggregate(**aggs).values())
    ]
    out: dict[Key, dict[str, int]] = {}
    for row in rows:
        k = row[0] if key else None
        values = row[1:] if key else row
        out[k] = dict(zip(aggs, (int(v or 0) for v in values), strict=True))
    return out


def collector_targets(*, period: DateRange, scope: Scope, fx: FxTable) -> dict[Key, Decimal]:
    """Each collector's targets for periods inside [from, to] (KPIS.md §14), at the rate of `to`.

    Reads the worklist's `Target` when the app is installed (else no targets, and attainment is n/a).
    """
    if not apps.is_installed("arrears.worklist"):  # pragma: no cover
        return {}
    from arrears.worklist.models import Target, TargetScope
    from arrears.worklist.selectors.targets import period_end

    start, end = period
    qs = Target.objects.filter(scope=TargetScope.USER, start_date__gte=start, start_date__lte=end)
    ids = scope.collectors()
    if ids is not None:
        qs = qs.filter(user_id__in=ids)
    out: dict[Key, Decimal] = defaultdict(Decimal)
    for user_id, kind, first, amount, ccy in qs.values_list("user_id", "period", "start_date", "amount", "currency"):
        if period_end(period=kind, start=first) <= end:
            out[user_id] += amount * fx.rate(ccy, end)
    return dict(out)


def labels_for(by: str | None, keys: set[Any]) -> dict[Any, str]:
    """Readable names of group keys."""
    from django.contrib.auth import get_user_model

    from arrears.ledger.models import BusinessUnit, Customer

    if by is None:
        return {None: "Portfolio"}
    ids = [k for k in keys if k is not None]
    if by == "segment":
        return {k: k or "(no segment)" for k in keys}
    if by == "business-unit":
        return {pk: f"{code} {name}" for pk, code, name in BusinessUnit.objects.filter(pk__in=ids).values_list("pk", "code", "name")}
    if by == "collector":
        labels = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)}
        labels[None] = "(unassigned)"
        return labels
    if by == "strategy":
        from arrears.dunning.models import Strategy

        labels = dict(Strategy.objects.filter(pk__in=ids).values_list("pk", "name"))
        labels[None] = "(no strategy yet)"
        return labels
    if by == "arm":
        return {0: "Champion", 1: "Challenger", None: "(no strategy yet)"}
    chunks: dict[Any, str] = {}
    for i in range(0, len(ids), 900):
        chunks |= dict(Customer.objects.filter(pk__in=ids[i:i + 900]).values_list("pk", "name"))
    return chunks



    return None
