"""Property tests: on random portfolios, strategies, calendars, events and dates, the vectorised plan
equals the one-item-at-a-time reference, is deterministic, and never moves an item backwards."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears_engine import (
    BusinessCalendar,
    BusinessDayRule,
    Channel,
    Customers,
    DunningPolicy,
    EventKind,
    Events,
    MessageKind,
    OpenItems,
    Reason,
    Step,
    Strategy,
    Trigger,
    plan_dunning_run,
)
from arrears_engine.tests.book import assert_same_plan
from arrears_engine.tests.reference import reference_plan

BASE = date(2026, 3, 2)
CURRENCIES = ("EUR", "USD", "JPY")
EXAMPLES = settings(max_examples=75, deadline=None)


def days(draw, lo: int, hi: int, around: date = BASE) -> date:
    return around + timedelta(days=draw(st.integers(lo, hi)))


@st.composite
def steps(draw) -> Step:
    trigger = draw(st.sampled_from(Trigger))
    offset = draw(st.integers(-10, 60)) if trigger == Trigger.DAYS_FROM_DUE else draw(st.integers(0, 15))
    return Step(
        trigger=trigger,
        offset_days=offset,
        channel=draw(st.sampled_from(Channel)),
        min_amount_minor=draw(st.sampled_from([0, 0, 100, 2_000])),
        business_days=draw(st.sampled_from(BusinessDayRule)),
        allow_skip=draw(st.booleans()),
        event=draw(st.sampled_from(EventKind)) if trigger == Trigger.EVENT else None,
    )


@st.composite
def calendars(draw, as_of: date) -> BusinessCalendar:
    holidays = sorted({days(draw, -80, 40, as_of) for _ in range(draw(st.integers(0, 12)))})
    weekmask = draw(st.sampled_from(["1111100", "1111110", "1111111", "0111110", "1010100"]))
    return BusinessCalendar(holidays=np.array(holidays, dtype="datetime64[D]"), weekmask=weekmask)


@st.composite
def portfolios(draw):
    strategies = tuple(
        Strategy(
            name=f"s{i}",
            steps=tuple(draw(st.lists(steps(), min_size=1, max_size=5))),
            thank_you=draw(st.booleans()),
            thank_you_channel=draw(st.sampled_from(Channel)),
            thank_you_within_days=draw(st.integers(0, 10)),
        )
        for i in range(draw(st.integers(1, 3)))
    )
    as_of = days(draw, -30, 120)
    cals = tuple(draw(st.lists(calendars(as_of), min_size=1, max_size=2)))
    policy = DunningPolicy(strategies=strategies, calendars=cals)

    n_customers = draw(st.integers(1, 5))
    rare = st.sampled_from([False] * 9 + [True])
    maybe_date = st.one_of(st.none(), st.builds(lambda n: as_of + timedelta(days=n), st.integers(-20, 10)))
    strategy_index = st.sampled_from([*range(len(strategies)), *range(len(strategies)), -1])
    customers = Customers.from_sequences(
        strategy=[draw(strategy_index) for _ in range(n_customers)],
        business_unit=[draw(st.integers(0, len(cals) - 1)) for _ in range(n_customers)],
        cease_communication=[draw(rare) for _ in range(n_customers)],
        do_not_contact=[draw(rare) for _ in range(n_customers)],
        bankruptcy=[draw(rare) for _ in range(n_customers)],
        paused=[draw(rare) for _ in range(n_customers)],
        plan_active=[draw(rare) for _ in range(n_customers)],
        promise_until=[draw(maybe_date) for _ in range(n_customers)],
        last_thank_you=[draw(maybe_date) for _ in range(n_customers)],
        arm=[draw(st.integers(0, 1)) for _ in range(n_customers)],
    )

    n_items = draw(st.integers(0, 12))
    rows = []
    for doc in range(n_items):
        due = as_of + timedelta(days=draw(st.one_of(st.integers(-70, 20), st.integers(-900, 400))))
        level = draw(st.sampled_from([-1, -1, -1, 0, 1, 2, 5]))
        last = None
        if level >= 0 or draw(st.booleans()):
            last = as_of - timedelta(days=draw(st.integers(-2, 30)))
        rows.append(
            {
                "document_id": 1000 + doc,
                "customer": draw(st.integers(0, n_customers - 1)),
                "due_date": due,
                "issue_date": due - timedelta(days=draw(st.integers(0, 40))),
                "open_minor": draw(st.sampled_from([5_000, 150, 999, 2_500, 5_000, 50, 120_000, 0, -100])),
                "currency": draw(st.integers(0, len(CURRENCIES) - 1)),
                "disputed_minor": draw(st.sampled_from([0, 0, 0, 0, 300, 5_000])),
                "level": level,
                "last_sent": last,
                "promise_covered": draw(st.booleans()),
                "plan_covered": draw(st.booleans()),
            }
        )
    columns = {key: [r[key] for r in rows] for key in rows[0]} if rows else _empty_item_columns()
    items = OpenItems.from_sequences(**columns, currencies=CURRENCIES)

    n_events = draw(st.integers(0, 12))
    events = Events.from_sequences(
        customer=[draw(st.integers(0, n_customers - 1)) for _ in range(n_events)],
        kind=[int(draw(st.sampled_from(EventKind))) for _ in range(n_events)],
        date=[days(draw, -30, 3, as_of) for _ in range(n_events)],
        on_time=[draw(st.booleans()) for _ in range(n_events)],
    )
    return items, customers, policy, events, as_of


def _empty_item_columns() -> dict:
    return {
        "document_id": np.zeros(0, np.int64),
        "customer": np.zeros(0, np.int64),
        "due_date": np.zeros(0, "datetime64[D]"),
        "issue_date": np.zeros(0, "datetime64[D]"),
        "open_minor": np.zeros(0, np.int64),
        "currency": np.zeros(0, np.int64),
    }


def feed_back(items: OpenItems, customers: Customers, plan) -> tuple[OpenItems, Customers]:
    """What the nightly job writes after a run: new levels, dates sent, thank-yous."""
    act = plan.items.reason == Reason.STEP_DUE
    last_sent = items.last_sent.copy()
    last_sent[act] = np.datetime64(plan.as_of, "D")
    thanked = customers.last_thank_you.copy()
    thanked[plan.messages.customer[plan.messages.kind == MessageKind.THANK_YOU]] = np.datetime64(plan.as_of, "D")
    items = OpenItems(
        **{name: getattr(items, name) for name in OpenItems.SPECS} | {"level": plan.items.new_level.copy(), "last_sent": last_sent},
        currencies=items.currencies,
    )
    customers = Customers(**{name: getattr(customers, name) for name in Customers.SPECS} | {"last_thank_you": thanked})
    return items, customers


@EXAMPLES
@given(portfolios())
def test_the_vectorised_plan_equals_the_reference(case):
    items, customers, policy, events, as_of = case

    plan = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)

    assert_same_plan(plan, reference_plan(items, customers, policy, as_of=as_of, events=events))


@EXAMPLES
@given(portfolios())
def test_the_plan_is_deterministic(case):
    items, customers, policy, events, as_of = case

    first = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)
    second = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)

    assert_same_plan(first, second)


@EXAMPLES
@given(portfolios(), st.integers(0, 60))
def test_days_past_due_never_decrease_as_as_of_grows(case, later):
    items, customers, policy, events, as_of = case

    before = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)
    after = plan_dunning_run(items, customers, policy, as_of=as_of + timedelta(days=later), events=events)

    assert (after.items.days_past_due - before.items.days_past_due == later).all()


@EXAMPLES
@given(portfolios(), st.lists(st.integers(1, 9), max_size=6))
def test_levels_never_decrease_and_no_step_is_sent_twice_over_nights_with_gaps(case, gaps):
    items, customers, policy, events, as_of = case
    sent: set[tuple[int, int]] = set()
    for gap in [0, *gaps]:
        as_of += timedelta(days=gap)
        plan = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)
        assert (plan.items.new_level >= items.level).all()
        for i in plan.actions:
            key = (int(items.document_id[i]), int(plan.items.step[i]))
            assert key not in sent
            sent.add(key)
        items, customers = feed_back(items, customers, plan)


@EXAMPLES
@given(portfolios())
def test_running_the_same_night_twice_sends_nothing_new(case):
    items, customers, policy, events, as_of = case
    first = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)
    items, customers = feed_back(items, customers, first)

    second = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)

    assert len(second.actions) == 0
    assert len(second.messages) == 0
    assert (second.items.new_level == first.items.new_level).all()


@EXAMPLES
@given(portfolios())
def test_every_customer_gets_at_most_one_message_at_the_highest_step_of_its_items(case):
    items, customers, policy, events, as_of = case

    plan = plan_dunning_run(items, customers, policy, as_of=as_of, events=events)

    assert len(set(plan.messages.customer.tolist())) == len(plan.messages)
    for m in range(len(plan.messages)):
        mine = plan.items.message == m
        assert (plan.items.customer[mine] == plan.messages.customer[m]).all()
        if plan.messages.kind[m] == MessageKind.DUNNING:
            assert plan.messages.step[m] == plan.items.step[mine].max()
            assert plan.totals.amount_minor[plan.totals.message == m].sum() == plan.items.dunnable_minor[mine].sum()
