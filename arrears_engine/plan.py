"""``plan_dunning_run``: the whole nightly decision as one pure function over columns.

It never reads the clock, settings or a database: the caller passes ``as_of`` and the columns, and
persists what comes back. Same inputs, same plan (every sort is stable, no randomness, no dict order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from arrears_engine.ageing import as_day, days_past_due
from arrears_engine.business_days import due_tables
from arrears_engine.codes import Channel, EventKind, MessageKind, Reason
from arrears_engine.columns import (
    ColumnError,
    Customers,
    Events,
    ItemPlan,
    Messages,
    MessageTotals,
    OpenItems,
)
from arrears_engine.escalation import EventIndex, ItemState, next_steps
from arrears_engine.holds import NO_HOLD, dunnable_minor, item_reasons
from arrears_engine.policy import DunningPolicy


@dataclass(frozen=True, slots=True)
class DunningPlan:
    """What a run decides. ``items`` is aligned with the input items; ``messages`` has at most one
    row per customer; ``totals`` has the dunnable amount per message and currency.

    To feed the next run, for rows with ``reason == STEP_DUE`` set the item's level to
    ``new_level`` and its last-sent date to ``as_of``; for THANK_YOU messages set the customer's
    ``last_thank_you`` to ``as_of``.
    """

    as_of: date
    items: ItemPlan
    messages: Messages
    totals: MessageTotals
    currencies: tuple[str, ...]

    @property
    def actions(self) -> np.ndarray:
        """Row numbers of the items that advance in this run."""
        return np.flatnonzero(self.items.reason == Reason.STEP_DUE)

    def reason_counts(self) -> dict[str, int]:
        codes, counts = np.unique(self.items.reason, return_counts=True)
        return {Reason(int(c)).name.lower(): int(k) for c, k in zip(codes, counts, strict=True)}

    def message_counts(self) -> dict[str, int]:
        """Messages per (kind, channel), e.g. ``{"dunning:email": 12, "thank_you:email": 3}``."""
        pairs = Counter(zip(self.messages.kind.tolist(), self.messages.channel.tolist(), strict=True))
        return {
            f"{MessageKind(k).name.lower()}:{Channel(c).name.lower()}": n for (k, c), n in sorted(pairs.items())
        }


def plan_dunning_run(
    items: OpenItems,
    customers: Customers,
    policy: DunningPolicy,
    *,
    as_of: date,
    events: Events | None = None,
) -> DunningPlan:
    """Decide, for every open item and customer, what happens in the run for ``as_of``."""
    events = events if events is not None else Events.empty()
    _check_references(items, customers, policy, events)
    t = as_day(as_of)
    tables = policy.tables
    cust = items.customer
    strategy = customers.strategy[cust]
    dunnable = dunnable_minor(items)
    hold = item_reasons(items, customers, dunnable, t)

    last = items.last_sent.view(np.int64)
    has_last = ~np.isnat(items.last_sent)
    due_table, lo = due_tables(policy.calendars, as_of)
    state = ItemState(
        strategy=strategy,
        level=items.level,
        due=items.due_date.view(np.int64),
        issue=items.issue_date.view(np.int64),
        last_sent=np.where(has_last, last, 0),
        has_last=has_last,
        ready=~has_last | (last < t),
        # "ignoring holds" for a fully disputed item means: as if nothing were disputed
        amount=np.where(hold == Reason.HOLD_DISPUTE, items.open_minor, dunnable),
        unit=customers.business_unit[cust],
        customer=cust,
    )
    due_step, met = next_steps(state, tables, EventIndex.build(events, t), due_table, lo, t)
    no_ladder = (hold == Reason.NOT_DUNNABLE) | (hold == Reason.NO_STRATEGY)
    due_step[no_ladder] = -1
    met[no_ladder] = False

    reason = np.where(
        hold != NO_HOLD,
        hold,
        np.where(due_step >= 0, Reason.STEP_DUE, np.where(met, Reason.BELOW_MINIMUM, Reason.NOTHING_DUE)),
    ).astype(np.int8)
    act = reason == Reason.STEP_DUE
    step = np.where(act, due_step, -1).astype(np.int16)
    new_level = np.where(act, due_step, items.level).astype(np.int16)
    channel = np.where(act, _step_channel(tables.channel, strategy, step), -1).astype(np.int8)

    dunned_today = np.zeros(len(customers), bool)  # a step already went out on as_of (a re-run)
    dunned_today[cust[~state.ready]] = True
    messages, item_message = _messages(customers, events, policy, act, cust, step, dunned_today, t)
    totals = _totals(item_message[act], items.currency[act], dunnable[act], len(items.currencies))
    plan_items = ItemPlan(
        document_id=items.document_id,
        customer=cust.astype(np.int64),
        days_past_due=days_past_due(items.due_date, as_of),
        dunnable_minor=dunnable,
        reason=reason,
        due_step=due_step,
        step=step,
        new_level=new_level,
        channel=channel,
        message=item_message,
    )
    return DunningPlan(
        as_of=as_of, items=plan_items, messages=messages, totals=totals, currencies=items.currencies
    )


def _check_references(items: OpenItems, customers: Customers, policy: DunningPolicy, events: Events) -> None:
    m = len(customers)
    if len(items) and int(items.customer.max()) >= m:
        row = int(np.flatnonzero(items.customer >= m)[0])
        raise ColumnError(f"OpenItems.customer: row {row} refers to customer {int(items.customer[row])} of {m}")
    s = len(policy.strategies)
    if m and int(customers.strategy.max()) >= s:
        row = int(np.flatnonzero(customers.strategy >= s)[0])
        raise ColumnError(f"Customers.strategy: row {row} refers to strategy {int(customers.strategy[row])} of {s}")
    u = len(policy.calendars)
    if m and int(customers.business_unit.max()) >= u:
        row = int(np.flatnonzero(customers.business_unit >= u)[0])
        raise ColumnError(f"Customers.business_unit: row {row} has no calendar (the policy has {u})")
    if len(events):
        bad = np.flatnonzero((events.customer < 0) | (events.customer >= m))
        if bad.size:
            raise ColumnError(f"Events.customer: row {int(bad[0])} refers to no customer")
        bad = np.flatnonzero((events.kind < 0) | (events.kind >= len(EventKind)))
        if bad.size:
            raise ColumnError(f"Events.kind: row {int(bad[0])} is not an EventKind")


def _messages(
    customers: Customers,
    events: Events,
    policy: DunningPolicy,
    act: np.ndarray,
    cust: np.ndarray,
    step: np.ndarray,
    dunned_today: np.ndarray,
    t: int,
) -> tuple[Messages, np.ndarray]:
    tables = policy.tables
    m = len(customers)
    top = np.full(m, -1, np.int16)
    np.maximum.at(top, cust[act], step[act])
    dunning = top >= 0
    # one message per customer per day: a dunning message (now or earlier on as_of) wins over thanks
    thanks = _thank_you(customers, events, policy, t) & ~dunning & ~dunned_today
    has = dunning | thanks
    who = np.flatnonzero(has)
    index = np.cumsum(has, dtype=np.int64) - 1
    strategy = customers.strategy[who].astype(np.int64)
    is_dunning = dunning[who]
    msg_step = np.where(is_dunning, top[who], -1).astype(np.int16)
    channel = np.where(
        is_dunning, _step_channel(tables.channel, strategy, msg_step), tables.thank_you_channel[strategy]
    ).astype(np.int8)
    messages = Messages(
        customer=who.astype(np.int64),
        strategy=strategy,
        arm=customers.arm[who],
        kind=np.where(is_dunning, MessageKind.DUNNING, MessageKind.THANK_YOU).astype(np.int8),
        step=msg_step,
        channel=channel,
        n_items=np.bincount(cust[act], minlength=m)[who].astype(np.int64),
    )
    item_message = np.where(act, index[cust], -1)
    return messages, item_message


def _step_channel(channel: np.ndarray, strategy: np.ndarray, step: np.ndarray) -> np.ndarray:
    if channel.shape[1] == 0:
        return np.full(step.shape, -1, np.int8)
    return channel[strategy, np.maximum(step, 0)]


def _thank_you(customers: Customers, events: Events, policy: DunningPolicy, t: int) -> np.ndarray:
    """Customers owed a thank-you: an on-time payment or a kept promise within the strategy's window,
    after the last thank-you, where the strategy sends them and no communication hold applies."""
    tables = policy.tables
    out = np.zeros(len(customers), bool)
    if len(events) == 0:
        return out
    day = events.date.view(np.int64)
    earns = (events.kind == EventKind.PROMISE_KEPT) | ((events.kind == EventKind.PAYMENT_RECEIVED) & events.on_time)
    c = events.customer
    strategy = customers.strategy[c]
    last = customers.last_thank_you
    ok = (
        earns
        & (day <= t)
        & (strategy >= 0)
        & tables.thank_you[strategy]
        & (day >= t - tables.thank_you_within[strategy])
        & (np.isnat(last[c]) | (day > last.view(np.int64)[c]))
        & ~(customers.bankruptcy | customers.cease_communication | customers.do_not_contact)[c]
    )
    out[c[ok]] = True
    return out


def _totals(message: np.ndarray, currency: np.ndarray, amount: np.ndarray, n_currencies: int) -> MessageTotals:
    width = max(n_currencies, 1)
    key = message * width + currency
    if key.size and int(key.max()) < 8 * key.size + 1024:
        size = int(key.max()) + 1
        sums = np.zeros(size, np.int64)
        np.add.at(sums, key, amount)
        counts = np.bincount(key, minlength=size)
        uniq = np.flatnonzero(counts)
        sums, counts = sums[uniq], counts[uniq]
    else:
        uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        sums = np.zeros(uniq.size, np.int64)
        np.add.at(sums, inverse, amount)
    return MessageTotals(
        message=(uniq // width).astype(np.int64),
        currency=(uniq % width).astype(np.int64),
        amount_minor=sums.astype(np.int64),
        n_items=counts.astype(np.int64),
    )
