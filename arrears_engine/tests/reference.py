"""The dunning rules stated one item at a time, in plain Python: the slow twin of plan.py.

Nothing here is vectorised or shared with the engine's arithmetic; only the input and output
containers are. Property tests check that ``plan_dunning_run`` returns exactly what this returns.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from arrears_engine.business_days import BusinessCalendar
from arrears_engine.codes import BusinessDayRule, EventKind, MessageKind, Reason, Trigger
from arrears_engine.columns import Customers, Events, ItemPlan, Messages, MessageTotals, OpenItems
from arrears_engine.plan import DunningPlan
from arrears_engine.policy import DunningPolicy, Step, Strategy


def _date(value: np.datetime64) -> date | None:
    return None if np.isnat(value) else value.astype(date)


def is_business_day(day: date, calendar: BusinessCalendar) -> bool:
    holidays = {d.astype(date) for d in calendar.holidays}
    return calendar.weekmask[day.weekday()] == "1" and day not in holidays


def move_to_business_day(day: date, rule: BusinessDayRule, calendar: BusinessCalendar) -> date:
    """A date on a weekend or holiday moves to the next (or previous) business day."""
    if rule == BusinessDayRule.NONE:
        return day
    step = timedelta(days=1 if rule == BusinessDayRule.NEXT else -1)
    while not is_business_day(day, calendar):
        day += step
    return day


def hold_of(item: dict, customer: dict, as_of: date) -> Reason | None:
    """The first reason, in priority order, that stops this item before its ladder is looked at."""
    if item["open"] <= 0:
        return Reason.NOT_DUNNABLE
    if customer["strategy"] < 0:
        return Reason.NO_STRATEGY
    for flag, reason in (
        ("bankruptcy", Reason.HOLD_BANKRUPTCY),
        ("cease_communication", Reason.HOLD_CEASE_COMMUNICATION),
        ("do_not_contact", Reason.HOLD_DO_NOT_CONTACT),
        ("paused", Reason.HOLD_PAUSED),
    ):
        if customer[flag]:
            return reason
    if item["plan_covered"] and customer["plan_active"]:
        return Reason.HOLD_PAYMENT_PLAN
    if item["promise_covered"] and customer["promise_until"] is not None and customer["promise_until"] >= as_of:
        return Reason.HOLD_PROMISE
    if item["dunnable"] <= 0:
        return Reason.HOLD_DISPUTE
    return None


def step_date(
    k: int, step: Step, item: dict, events: list[tuple[int, date]], calendar: BusinessCalendar, as_of: date
) -> date | None:
    """The date step ``k`` becomes due for the item, or None if it cannot be due in this run."""
    if k <= item["level"]:
        return None  # a level already sent is never sent again
    if item["last_sent"] is not None and item["last_sent"] >= as_of:
        return None  # at most one step per item per day (and none dated before the last one)
    if step.trigger == Trigger.DAYS_FROM_DUE:
        if step.offset_days < 0 and as_of > item["due"]:
            return None  # a pre-due reminder is stale once the item is past due
        raw = item["due"] + timedelta(days=step.offset_days)
    elif step.trigger == Trigger.DAYS_AFTER_PREVIOUS:
        if k == 0:
            raw = item["due"] + timedelta(days=step.offset_days)
        elif item["level"] == k - 1:
            raw = item["last_sent"] + timedelta(days=step.offset_days)
        else:
            return None  # the previous step has not been sent
    else:
        # the first event of the step's kind after the item's last step (and not before its issue)
        after = item["issue"] - timedelta(days=1)
        if item["last_sent"] is not None:
            after = max(after, item["last_sent"])
        dates = sorted(d for kind, d in events if kind == step.event and after < d <= as_of)
        if not dates:
            return None
        raw = dates[0] + timedelta(days=step.offset_days)
    return move_to_business_day(raw, step.business_days, calendar)


def next_step(
    item: dict, strategy: Strategy, events: list[tuple[int, date]], calendar: BusinessCalendar, as_of: date
) -> tuple[int, bool]:
    """(step the item advances to or -1, whether some step's date came but its minimum was not met)."""
    due = []
    date_came = False
    for k, step in enumerate(strategy.steps):
        when = step_date(k, step, item, events, calendar, as_of)
        if when is None or when > as_of:
            continue
        date_came = True
        if item["amount_for_minimum"] >= step.min_amount_minor:
            due.append(k)
    if not due:
        return -1, date_came
    # jump to the highest due step, but stop at the first due step that may not be skipped
    for k in due:
        if not strategy.steps[k].allow_skip:
            return k, date_came
    return due[-1], date_came


def reference_plan(
    items: OpenItems,
    customers: Customers,
    policy: DunningPolicy,
    *,
    as_of: date,
    events: Events | None = None,
) -> DunningPlan:
    n_customers = len(customers)
    custs = [
        {
            "strategy": int(customers.strategy[c]),
            "unit": int(customers.business_unit[c]),
            "bankruptcy": bool(customers.bankruptcy[c]),
            "cease_communication": bool(customers.cease_communication[c]),
            "do_not_contact": bool(customers.do_not_contact[c]),
            "paused": bool(customers.paused[c]),
            "plan_active": bool(customers.plan_active[c]),
            "promise_until": _date(customers.promise_until[c]),
            "last_thank_you": _date(customers.last_thank_you[c]),
            "arm": int(customers.arm[c]),
        }
        for c in range(n_customers)
    ]
    events_of: dict[int, list[tuple[int, date, bool]]] = {c: [] for c in range(n_customers)}
    if events is not None:
        for e in range(len(events)):
            events_of[int(events.customer[e])].append(
                (int(events.kind[e]), events.date[e].astype(date), bool(events.on_time[e]))
            )

    rows = []
    for i in range(len(items)):
        c = int(items.customer[i])
        customer = custs[c]
        open_ = int(items.open_minor[i])
        disputed = max(int(items.disputed_minor[i]), 0)
        item = {
            "open": open_,
            "dunnable": max(open_ - disputed, 0),
            "due": items.due_date[i].astype(date),
            "issue": items.issue_date[i].astype(date),
            "level": int(items.level[i]),
            "last_sent": _date(items.last_sent[i]),
            "promise_covered": bool(items.promise_covered[i]),
            "plan_covered": bool(items.plan_covered[i]),
        }
        hold = hold_of(item, customer, as_of)
        # the step "due ignoring holds": a fully disputed item is judged on its whole open amount
        item["amount_for_minimum"] = open_ if hold == Reason.HOLD_DISPUTE else item["dunnable"]
        due_step, date_came = -1, False
        if hold not in (Reason.NOT_DUNNABLE, Reason.NO_STRATEGY):
            strategy = policy.strategies[customer["strategy"]]
            calendar = policy.calendars[customer["unit"]]
            plain_events = [(kind, d) for kind, d, _ in events_of[c]]
            due_step, date_came = next_step(item, strategy, plain_events, calendar, as_of)
        if hold is not None:
            reason = hold
        elif due_step >= 0:
            reason = Reason.STEP_DUE
        elif date_came:
            reason = Reason.BELOW_MINIMUM
        else:
            reason = Reason.NOTHING_DUE
        acts = reason == Reason.STEP_DUE
        step = due_step if acts else -1
        channel = int(policy.strategies[customer["strategy"]].steps[step].channel) if acts else -1
        rows.append(
            {
                "document_id": int(items.document_id[i]),
                "customer": c,
                "days_past_due": (as_of - item["due"]).days,
                "dunnable": item["dunnable"],
                "reason": int(reason),
                "due_step": due_step,
                "step": step,
                "new_level": step if acts else item["level"],
                "channel": channel,
                "currency": int(items.currency[i]),
            }
        )

    # consolidate: one message per customer, at the highest step among its advancing items
    message_rows = []
    message_of: dict[int, int] = {}
    for c in range(n_customers):
        customer = custs[c]
        advancing = [r for r in rows if r["customer"] == c and r["reason"] == Reason.STEP_DUE]
        if advancing:
            top = max(r["step"] for r in advancing)
            strategy = policy.strategies[customer["strategy"]]
            kind, step, channel = MessageKind.DUNNING, top, int(strategy.steps[top].channel)
        elif owes_thank_you(customer, events_of[c], policy, as_of) and not dunned_today(c, items, as_of):
            strategy = policy.strategies[customer["strategy"]]
            kind, step, channel = MessageKind.THANK_YOU, -1, int(strategy.thank_you_channel)
        else:
            continue
        message_of[c] = len(message_rows)
        message_rows.append((c, customer["strategy"], customer["arm"], int(kind), step, channel, len(advancing)))

    totals: dict[tuple[int, int], list[int]] = {}
    for r in rows:
        r["message"] = message_of[r["customer"]] if r["reason"] == Reason.STEP_DUE else -1
        if r["message"] >= 0:
            total = totals.setdefault((r["message"], r["currency"]), [0, 0])
            total[0] += r["dunnable"]
            total[1] += 1

    def col(name: str, dtype: type) -> np.ndarray:
        return np.array([r[name] for r in rows], dtype=dtype)

    plan_items = ItemPlan(
        document_id=col("document_id", np.int64),
        customer=col("customer", np.int64),
        days_past_due=col("days_past_due", np.int32),
        dunnable_minor=col("dunnable", np.int64),
        reason=col("reason", np.int8),
        due_step=col("due_step", np.int16),
        step=col("step", np.int16),
        new_level=col("new_level", np.int16),
        channel=col("channel", np.int8),
        message=col("message", np.int64),
    )
    m = list(zip(*message_rows, strict=True)) if message_rows else [[]] * 7
    messages = Messages(
        customer=np.array(m[0], np.int64),
        strategy=np.array(m[1], np.int64),
        arm=np.array(m[2], np.int8),
        kind=np.array(m[3], np.int8),
        step=np.array(m[4], np.int16),
        channel=np.array(m[5], np.int8),
        n_items=np.array(m[6], np.int64),
    )
    keys = sorted(totals)
    plan_totals = MessageTotals(
        message=np.array([k[0] for k in keys], np.int64),
        currency=np.array([k[1] for k in keys], np.int64),
        amount_minor=np.array([totals[k][0] for k in keys], np.int64),
        n_items=np.array([totals[k][1] for k in keys], np.int64),
    )
    return DunningPlan(
        as_of=as_of, items=plan_items, messages=messages, totals=plan_totals, currencies=items.currencies
    )


def dunned_today(customer: int, items: OpenItems, as_of: date) -> bool:
    """Whether one of the customer's items already had a step on (or after) as_of: a re-run."""
    return any(
        int(items.customer[i]) == customer and _date(items.last_sent[i]) is not None and _date(items.last_sent[i]) >= as_of
        for i in range(len(items))
    )


def owes_thank_you(customer: dict, events: list[tuple[int, date, bool]], policy: DunningPolicy, as_of: date) -> bool:
    """An on-time payment or a kept promise, recent enough, not yet thanked, to a customer whose
    strategy sends thank-yous and who has no communication hold."""
    if customer["strategy"] < 0:
        return False
    strategy = policy.strategies[customer["strategy"]]
    if not strategy.thank_you:
        return False
    if customer["bankruptcy"] or customer["cease_communication"] or customer["do_not_contact"]:
        return False
    for kind, day, on_time in events:
        earns = kind == EventKind.PROMISE_KEPT or (kind == EventKind.PAYMENT_RECEIVED and on_time)
        recent = as_of - timedelta(days=strategy.thank_you_within_days) <= day <= as_of
        new = customer["last_thank_you"] is None or day > customer["last_thank_you"]
        if earns and recent and new:
            return True
    return False
