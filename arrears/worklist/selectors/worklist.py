"""Reads for the worklist: what should be on it (candidates), what is on it, and the customer gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Case, Count, Max, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Coalesce
from django.http import Http404

from arrears.communications.models import CallTask, CallTaskStatus
from arrears.disputes.models import HOLDING_STATUSES, Dispute
from arrears.dunning.models import ActionKind, ActionStatus, DunningAction, StepChannel
from arrears.ledger.models import Customer
from arrears.ledger.selectors import customer_list_visible
from arrears.promises.models import PromiseEvent, PromiseEventKind
from arrears.users.models import User
from arrears.worklist import conf
from arrears.worklist.models import Absence, CallLog, FollowUp, ItemSource, ItemStatus, WorklistItem
from arrears.worklist.selectors.risk import MILLI, money_text_milli

EVENT_SOURCES = {
    PromiseEventKind.PROMISE_BROKEN: ItemSource.PROMISE_BROKEN,
    PromiseEventKind.PROMISE_PARTIALLY_KEPT: ItemSource.PROMISE_BROKEN,
    PromiseEventKind.INSTALMENT_MISSED: ItemSource.INSTALMENT_MISSED,
    PromiseEventKind.PLAN_DEFAULTED: ItemSource.INSTALMENT_MISSED,
}


@cache
def day(value: dt.date) -> str:
    """"20 Nov" (this year's dates are read at a glance)."""
    return f"{value.day} {value:%b}"


@cache
def as_date(raw: Any) -> dt.date:
    """A date read with `iso` (or a date, which it returns)."""
    return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(raw)


@cache
def _dated(raw: Any) -> tuple[dt.date, str]:
    """A date read with `iso`, and its `day` text."""
    value = as_date(raw)
    return value, day(value)


def iso(name: str) -> Cast:
    """A date column read as its ISO text: `raw_rows` then parses each distinct day once (`as_date`)."""
    return Cast(name, output_field=TextField())


def raw_rows(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` query as the database driver returns them, without Django's per-value
    converters (decimals are floats on SQLite; select dates with `iso`): for reads of many thousands of rows."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Candidate(NamedTuple):
    """Something that should be on `user_id`'s worklist on the day, for one customer."""

    user_id: int
    customer_id: int
    source: str
    source_id: int
    reason: str
    due_date: dt.date | None


def _start_of(day_: dt.date) -> dt.datetime:
    return dt.datetime.combine(day_, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def last_call_dates(*, customer_ids: Iterable[int] | None, since: dt.date | None = None) -> dict[int, dt.date]:
    """customer_id -> the business date of the last call logged (any collector); with `since`, only
    customers called on or after that day."""
    qs = CallLog.objects.all()
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    if since is not None:
        qs = qs.filter(at__gte=_start_of(since))
    return {c: _local_date(at) for c, at in qs.order_by().values("customer_id").annotate(m=Max("at")).values_list("customer_id", "m")}


def worklist_candidates(*, as_of: dt.date, customer_ids: Iterable[int] | None = None) -> list[Candidate]:
    """Everything that should be on a worklist on `as_of` (all customers, or only these).

    A strategy action, promise event or early warning stays until a call is logged for the customer on
    or after its date; a dispute past its SLA and a follow-up until a call is logged that day (or the
    follow-up is done). Call tasks stay until done (logging a call completes them).

    Each source is one query that also finds who works it, read without model instances or Django's
    converters; dates are parsed and formatted once per distinct day.
    """
    only = None if customer_ids is None else sorted(set(customer_ids))
    since = as_of - dt.timedelta(days=conf.lookback_days())
    # Every reason but a call task is handled by a call on or after a day no earlier than `since`
    # (its own date, which the look-back keeps within it, or `as_of`): older calls don't matter.
    called = last_call_dates(customer_ids=only, since=since)
    never = dt.date.min

    def rows(qs: QuerySet[Any], *fields: Any, worker: Any) -> list[tuple[Any, ...]]:
        """pk, customer id, the user to work it (`worker`; rows with nobody are left out: the assignment
        rules give the customer a collector first), then `fields`."""
        if only is not None:
            qs = qs.filter(customer_id__in=only)
        qs = qs.annotate(worker=worker).filter(worker__isnull=False)
        return raw_rows(qs.values_list("pk", "customer_id", "worker", *fields))

    out: list[Candidate] = []
    add = out.append
    for pk, customer_id, user, step_key, due in rows(
        CallTask.objects.filter(status=CallTaskStatus.OPEN, due_date__lte=as_of), "step_key", iso("due_date"),
        worker=_worker("assigned_to"),
    ):
        due = as_date(due)
        add(Candidate(user, customer_id, ItemSource.CALL_TASK, pk, f"call task {step_key or 'call'} due {day(due)}"[:300], due))
    for pk, customer_id, user, channel, template_key, on in rows(
        DunningAction.objects.filter(
            kind=ActionKind.DUNNING, channel__in=[StepChannel.CALL_TASK, StepChannel.ESCALATE_LEAD],
            as_of__gte=since, as_of__lte=as_of,
        ).exclude(status=ActionStatus.BLOCKED),
        "channel", "template_key", iso("as_of"),
        worker=Case(When(channel=StepChannel.ESCALATE_LEAD, then=_worker(lead=True)), default=_worker()),
    ):
        on = as_date(on)
        if called.get(customer_id, never) >= on:
            continue
        reason = (f"escalated by the strategy on {day(on)}" if channel == StepChannel.ESCALATE_LEAD
                  else f"strategy call step ({template_key or 'call'}) on {day(on)}")
        add(Candidate(user, customer_id, ItemSource.STRATEGY_ACTION, pk, reason[:300], on))
    for pk, customer_id, user, kind, on, amount, currency, promised, seq, plan_id, inst_due, event_plan in rows(
        PromiseEvent.objects.filter(kind__in=list(EVENT_SOURCES), date__gte=since, date__lte=as_of),
        "kind", iso("date"), "amount", "promise__currency", iso("promise__promised_date"), "instalment__sequence",
        "instalment__plan_id", iso("instalment__due_date"), "plan_id",
        worker=_worker(),
    ):
        on = as_date(on)
        if called.get(customer_id, never) >= on:
            continue
        reason = _event_reason(kind, amount, currency or "", promised and as_date(promised), seq, plan_id or event_plan,
                               inst_due and as_date(inst_due))
        add(Candidate(user, customer_id, EVENT_SOURCES[kind], pk, reason[:300], on))
    for pk, customer_id, user, reason, due, amount, currency in rows(
        Dispute.objects.filter(status__in=HOLDING_STATUSES, due_date__lt=as_of),
        "reason", iso("due_date"), "disputed_amount", "currency",
        worker=_worker("owner"),
    ):
        if called.get(customer_id, never) >= as_of:
            continue
        due = as_date(due)
        add(Candidate(user, customer_id, ItemSource.DISPUTE_PAST_SLA, pk,
                      f"dispute {pk} ({reason.replace('_', ' ')}, {_money(amount, currency)}) past its SLA since {day(due)}"[:300],
                      due))
    if apps.is_installed("arrears.scoring"):
        from arrears.scoring.models import EarlyWarning

        for pk, customer_id, user, reason, on in rows(
            EarlyWarning.objects.filter(as_of__gte=since, as_of__lte=as_of, severity__gte=conf.min_warning_severity()),
            "reason", iso("as_of"),
            worker=_worker(),
        ):
            on = as_date(on)
            if called.get(customer_id, never) >= on:
                continue
            add(Candidate(user, customer_id, ItemSource.EARLY_WARNING, pk, f"early warning: {reason}"[:300], on))
    for pk, customer_id, user, on, note in rows(
        FollowUp.objects.filter(done_at__isnull=True, date__lte=as_of), iso("date"), "note",
        worker=_worker("user"),
    ):
        if called.get(customer_id, never) >= as_of:
            continue
        on, text = _dated(on)
        add(Candidate(user, customer_id, ItemSource.FOLLOW_UP, pk,
                      f"follow-up set for {text}: {note}"[:300] if note else f"follow-up set for {text}", on))
    return out


def _worker(own: str | None = None, *, lead: bool = False) -> Coalesce:
    """Who works an item: the source's own user if it names one, else (for an escalation) the lead of the
    collector's team, else the customer's collector."""
    names = [own] if own else []
    if lead:
        names.append("customer__collector__team__lead")
    return Coalesce(*names, "customer__collector", Value(None), output_field=BigIntegerField())


def _money(raw: Any, currency: str) -> str:
    """An amount as read by `raw_rows` (a Decimal, or a float on SQLite) in words."""
    return money_text_milli(round(raw * 10**MILLI), currency)


def _event_reason(kind: str, amount: Any, currency: str, promised: dt.date | None, seq: int | None, plan_id: int | None,
                  inst_due: dt.date | None) -> str:
    short = f" ({_money(amount, currency)} short)" if amount is not None and currency else ""
    if kind == PromiseEventKind.PROMISE_BROKEN and promised is not None:
        return f"promise of {day(promised)} broken{short}"
    if kind == PromiseEventKind.PROMISE_PARTIALLY_KEPT and promised is not None:
        return f"promise of {day(promised)} partially kept{short}"
    if kind == PromiseEventKind.INSTALMENT_MISSED and seq is not None and inst_due is not None:
        return f"instalment {seq} of plan {plan_id} due {day(inst_due)} missed"
    return f"payment plan {plan_id} defaulted"


# --- what is on the worklist --------------------------------------------------------------------------


@dataclass
class Account:
    """One customer on a worklist, with its items, in expected-value order."""

    customer: Customer
    items: list[WorklistItem]

    @property
    def first(self) -> WorklistItem:
        return self.items[0]

    @property
    def score(self) -> Any:
        return self.first.score

    @property
    def reason(self) -> str:
        """"€12,400.00 overdue 45 days; promise of 20 Nov broken; 70% likely to pay > 30 days late"."""
        parts = [self.first.risk_text, *(i.reason for i in self.items), self.first.likelihood_text]
        return "; ".join(p for p in parts if p)


def worklist_accounts(*, user: Any, as_of: dt.date, status: str = ItemStatus.OPEN) -> list[Account]:
    """The user's worklist for the day, one entry per customer, highest expected value first."""
    items = (
        WorklistItem.objects.filter(user=user, as_of=as_of, status=status)
        .select_related("customer")
        .order_by("-score", "customer_id", "due_date", "id")
    )
    accounts: dict[int, Account] = {}
    for item in items:
        acc = accounts.get(item.customer_id)
        if acc is None:
            accounts[item.customer_id] = Account(customer=item.customer, items=[item])
        else:
            acc.items.append(item)
    return list(accounts.values())


def worklist_next_customer_id(*, user: Any, as_of: dt.date, after: int | None = None) -> int | None:
    """The customer to work next: the open item with the highest expected value (skipping `after`)."""
    qs = WorklistItem.objects.filter(user=user, as_of=as_of, status=ItemStatus.OPEN)
    if after is not None:
        qs = qs.exclude(customer_id=after)
    return qs.order_by("-score", "customer_id", "id").values_list("customer_id", flat=True).first()


def worklist_item_list_visible(*, user: Any, as_of: dt.date | None = None) -> QuerySet[WorklistItem]:
    """The gate for worklist items: your own; a lead's team; everything for head, admin and auditors."""
    qs = WorklistItem.objects.select_related("customer", "user")
    if not user.sees_whole_portfolio:
        qs = qs.filter(user_id__in=user.visible_collector_ids())
    if as_of is not None:
        qs = qs.filter(as_of=as_of)
    return qs


def worklist_customer_get(*, user: Any, pk: int, as_of: dt.date) -> Customer:
    """The customer gate of the workspace: the ledger's gate, plus customers on your worklist today
    (a collector covering an absent colleague works the colleague's accounts). 404 otherwise."""
    visible = customer_list_visible(user=user).values("pk")
    covering = WorklistItem.objects.filter(user=user, as_of=as_of).values("customer_id")
    try:
        return (
            Customer.objects.filter(Q(pk__in=visible) | Q(pk__in=covering))
            .select_related("business_unit", "collector")
            .get(pk=pk)
        )
    except (Customer.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such customer") from exc


def worklist_items_for_customer(*, customer_id: int, as_of: dt.date) -> QuerySet[WorklistItem]:
    return WorklistItem.objects.filter(customer_id=customer_id, as_of=as_of).select_related("user").order_by("status", "-score", "id")


def absent_user_ids(*, as_of: dt.date, user_ids: Iterable[int] | None = None) -> set[int]:
    qs = Absence.objects.filter(start__lte=as_of, end__gte=as_of)
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    return set(qs.values_list("user_id", flat=True))


def team_load(*, user_ids: Iterable[int], as_of: dt.date) -> dict[int, int]:
    """Open items per user on the day (0 for those without any)."""
    ids = list(user_ids)
    load = dict.fromkeys(ids, 0)
    for user_id, n in (
        WorklistItem.objects.filter(user_id__in=ids, as_of=as_of, status=ItemStatus.OPEN)
        .order_by().values("user_id").annotate(n=Count("id")).values_list("user_id", "n")
    ):
        load[user_id] = n
    return load


def team_members(*, team: Any) -> list[User]:
    return list(User.objects.filter(team=team, is_active=True).order_by("username"))
