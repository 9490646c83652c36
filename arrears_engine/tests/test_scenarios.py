"""A collector's story on a small strategy, run night by night.

The "Standard" ladder (German public holidays, Monday to Friday):

    level 0  3 days before the due date   email   pre-due reminder
    level 1  7 days past due              email   first reminder
    level 2  21 days past due             letter  second reminder
    level 3  when a promise is broken     letter  broken-promise notice
    level 4  45 days past due             call    task for the collector
    level 5  90 days past due             agency  hand-over (only from 100.00, never skipped)

and a thank-you email when a customer pays on time.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from arrears_engine import (
    BusinessDayRule,
    Channel,
    DunningPolicy,
    EventKind,
    Reason,
    Step,
    Strategy,
    Trigger,
    holiday_calendar,
)
from arrears_engine.tests.book import Book, messages

DUE = date(2026, 3, 6)  # a Friday; days -3, 7, 21, 45 and 90 are all German business days


def day(n: int, due: date = DUE) -> date:
    return due + timedelta(days=n)


def standard(**overrides: object) -> Strategy:
    steps = (
        Step(Trigger.DAYS_FROM_DUE, -3, Channel.EMAIL, template="pre-due"),
        Step(Trigger.DAYS_FROM_DUE, 7, Channel.EMAIL, template="reminder-1"),
        Step(Trigger.DAYS_FROM_DUE, 21, Channel.LETTER, template="reminder-2"),
        Step(Trigger.EVENT, 0, Channel.LETTER, event=EventKind.PROMISE_BROKEN, template="promise-broken"),
        Step(Trigger.DAYS_FROM_DUE, 45, Channel.CALL_TASK),
        Step(Trigger.DAYS_FROM_DUE, 90, Channel.AGENCY, min_amount_minor=100_00, allow_skip=False),
    )
    return Strategy(**({"name": "Standard", "steps": steps, "thank_you": True} | overrides))


CALENDAR = holiday_calendar("DE", None, [2026, 2027])


def book(*strategies: Strategy) -> Book:
    return Book(policy=DunningPolicy(strategies=strategies or (standard(),), calendars=(CALENDAR,)))


def sends(b: Book) -> list[tuple[int, int, Channel]]:
    """(days past DUE, step, channel) of every dunning message sent so far."""
    return [
        ((when - DUE).days, m["step"], Channel(m["channel"]))
        for when, plan in b.sent
        for m in messages(plan)
        if m["kind"] == "DUNNING"
    ]


def run_daily(b: Book, first: int, last: int) -> None:
    for n in range(first, last + 1):
        b.run(day(n))


def test_the_ladder_from_pre_due_reminder_to_agency_hand_over():
    b = book()
    c = b.customer()
    b.invoice(c, 1001, due=DUE, amount=500_00)

    run_daily(b, -10, 100)

    assert sends(b) == [
        (-3, 0, Channel.EMAIL),
        (7, 1, Channel.EMAIL),
        (21, 2, Channel.LETTER),
        (45, 4, Channel.CALL_TASK),  # the broken-promise notice is skipped: no promise was broken
        (90, 5, Channel.AGENCY),
    ]


def test_nothing_goes_out_four_days_before_the_due_date():
    b = book()
    b.invoice(b.customer(), 1001, due=DUE, amount=500_00)

    plan = b.run(day(-4))

    assert messages(plan) == []
    assert b.item(plan, 1001)["reason"] == Reason.NOTHING_DUE


def test_a_partial_payment_keeps_the_level_and_the_next_reminder_asks_for_the_remainder():
    b = book()
    c = b.customer()
    b.invoice(c, 1001, due=DUE, amount=500_00)
    run_daily(b, -3, 7)
    b.pay(1001, 200_00)
    b.event(c, EventKind.PAYMENT_RECEIVED, day(10))

    run_daily(b, 10, 20)
    item = b.item(b.sent[-1][1], 1001)
    assert (item["level"], item["dunnable"]) == (1, 300_00)
    assert sends(b)[-1][0] == 7  # nothing since day 7, and no thank-you for a late payment
    assert all(m["kind"] == "DUNNING" for _, plan in b.sent for m in messages(plan))

    plan = b.run(day(21))
    assert messages(plan) == [
        {"customer": c, "kind": "DUNNING", "step": 2, "channel": Channel.LETTER, "n_items": 1, "totals": {"EUR": 300_00}}
    ]


def test_a_dispute_on_one_invoice_holds_only_that_invoice():
    b = book()
    c = b.customer()
    b.invoice(c, 1, due=DUE, amount=300_00)
    b.invoice(c, 2, due=DUE, amount=200_00)
    b.invoice(c, 3, due=DUE, amount=400_00)
    run_daily(b, -3, 0)
    b.dispute(1, 300_00)  # the whole invoice
    b.dispute(3, 150_00)  # part of it: the rest is still dunned

    plan = b.run(day(7))

    assert b.item(plan, 1) == {
        "reason": Reason.HOLD_DISPUTE, "step": -1, "due_step": 1, "level": 0, "message": -1, "dunnable": 0,
    }
    assert b.item(plan, 2)["step"] == 1
    assert b.item(plan, 3)["step"] == 1
    assert b.item(plan, 3)["dunnable"] == 250_00
    assert messages(plan) == [
        {"customer": c, "kind": "DUNNING", "step": 1, "channel": Channel.EMAIL, "n_items": 2, "totals": {"EUR": 450_00}}
    ]


def test_when_a_dispute_is_resolved_the_invoice_resumes_where_it_stood():
    b = book()
    c = b.customer()
    b.invoice(c, 1, due=DUE, amount=300_00)
    run_daily(b, -3, 0)
    b.dispute(1, 300_00)
    run_daily(b, 1, 29)
    assert sends(b) == [(-3, 0, Channel.EMAIL)]

    b.dispute(1, 0)
    b.event(c, EventKind.DISPUTE_RESOLVED, day(30))
    plan = b.run(day(30))

    # levels 1 and 2 are both due by now; the ladder may skip, so the item jumps to the letter
    assert b.item(plan, 1)["step"] == 2
    assert sends(b)[-1] == (30, 2, Channel.LETTER)


def test_a_broken_promise_re_triggers_the_strategy():
    b = book()
    c = b.customer()
    b.invoice(c, 1001, due=DUE, amount=500_00)
    run_daily(b, -3, 9)
    b.set(c, promise_until=day(31))  # on day 10 the customer promises to pay by day 31 (Easter Monday)

    run_daily(b, 10, 31)
    held = b.item(b.sent[-1][1], 1001)
    assert held["reason"] == Reason.HOLD_PROMISE
    assert held["due_step"] == 2  # the day-21 letter waits behind the promise
    assert sends(b)[-1][0] == 7

    b.event(c, EventKind.PROMISE_BROKEN, day(32))
    run_daily(b, 32, 50)

    # the broken-promise notice outranks the waiting letter, which is skipped
    assert sends(b)[-2:] == [(32, 3, Channel.LETTER), (45, 4, Channel.CALL_TASK)]


def test_a_kept_promise_is_not_broken_and_the_ladder_resumes_after_it():
    b = book()
    c = b.customer()
    b.invoice(c, 1001, due=DUE, amount=500_00)
    run_daily(b, -3, 9)
    b.set(c, promise_until=day(31))

    run_daily(b, 10, 32)

    assert sends(b)[-1] == (32, 2, Channel.LETTER)  # no event: the waiting letter goes out


def test_thank_you_when_a_customer_pays_on_time_and_only_once():
    b = book()
    c = b.customer()
    b.invoice(c, 1001, due=DUE, amount=500_00)
    b.run(day(-3))
    b.pay(1001, 500_00)
    b.event(c, EventKind.PAYMENT_RECEIVED, day(-1), on_time=True)

    plan = b.run(day(0))
    again = b.run(day(1))

    assert messages(plan) == [
        {"customer": c, "kind": "THANK_YOU", "step": -1, "channel": Channel.EMAIL, "n_items": 0, "totals": {}}
    ]
    assert b.item(plan, 1001)["reason"] == Reason.NOT_DUNNABLE
    assert messages(again) == []


@pytest.mark.parametrize(
    ("on_time", "thank_you", "expected"),
    [(False, True, 0), (True, False, 0), (True, True, 1)],
)
def test_thank_you_needs_an_on_time_payment_and_a_strategy_that_sends_them(on_time, thank_you, expected):
    b = book(standard(thank_you=thank_you))
    c = b.customer()
    b.invoice(c, 1001, due=DUE, amount=500_00)
    b.pay(1001, 500_00)
    b.event(c, EventKind.PAYMENT_RECEIVED, day(0), on_time=on_time)

    plan = b.run(day(1))

    assert len(messages(plan)) == expected


def test_no_thank_you_to_a_customer_who_asked_us_to_cease_communication():
    b = book()
    c = b.customer(cease_communication=True)
    b.invoice(c, 1001, due=DUE, amount=500_00)
    b.pay(1001, 500_00)
    b.event(c, EventKind.PROMISE_KEPT, day(0))

    assert messages(b.run(day(1))) == []


@pytest.mark.parametrize(
    ("rule", "sent_on"),
    [
        (BusinessDayRule.NEXT, date(2026, 3, 16)),  # Monday
        (BusinessDayRule.PREVIOUS, date(2026, 3, 13)),  # Friday
        (BusinessDayRule.NONE, date(2026, 3, 14)),  # the Saturday itself
    ],
)
def test_a_step_falling_on_a_saturday_follows_the_business_day_rule(rule, sent_on):
    due = date(2026, 3, 7)  # a Saturday, so day 7 is Saturday 14 March
    strategy = Strategy(name="one", steps=(Step(Trigger.DAYS_FROM_DUE, 7, Channel.EMAIL, business_days=rule),))
    b = book(strategy)
    b.invoice(b.customer(), 1, due=due, amount=100_00)

    for n in range(0, 12):
        b.run(day(n, due))

    assert [when for when, plan in b.sent if len(plan.messages)] == [sent_on]


def test_a_step_falling_on_christmas_moves_to_the_next_business_day():
    due = date(2026, 12, 18)  # day 7 is Friday 25 December; 26 is a holiday too, then a Sunday
    b = book()
    b.invoice(b.customer(), 1, due=due, amount=100_00)
    b.run(date(2026, 12, 15))  # the pre-due reminder

    sent_on = [d for d in (date(2026, 12, n) for n in range(24, 30)) if len(b.run(d).messages)]

    assert sent_on == [date(2026, 12, 28)]


def test_one_message_per_customer_at_the_highest_level_with_each_item_at_its_own():
    b = book()
    c = b.customer()
    other = b.customer()
    run_on = day(45)
    b.invoice(c, 1, due=DUE, amount=100_00)  # 45 days past due: call task
    b.invoice(c, 2, due=run_on - timedelta(days=21), amount=200_00)  # 21 days: letter
    b.invoice(c, 3, due=run_on + timedelta(days=3), amount=300_00)  # due in 3 days: pre-due email
    b.invoice(c, 4, due=run_on - timedelta(days=7), amount=50_00, currency="USD")  # 7 days: reminder
    b.invoice(other, 5, due=run_on - timedelta(days=7), amount=70_00)

    plan = b.run(run_on)

    assert [b.item(plan, n)["step"] for n in (1, 2, 3, 4, 5)] == [4, 2, 0, 1, 1]
    assert [b.item(plan, n)["message"] for n in (1, 2, 3, 4, 5)] == [0, 0, 0, 0, 1]
    assert messages(plan) == [
        {
            "customer": c, "kind": "DUNNING", "step": 4, "channel": Channel.CALL_TASK, "n_items": 4,
            "totals": {"EUR": 600_00, "USD": 50_00},
        },
        {"customer": other, "kind": "DUNNING", "step": 1, "channel": Channel.EMAIL, "n_items": 1, "totals": {"EUR": 70_00}},
    ]


def test_catch_up_after_a_five_day_gap_sends_the_missed_reminder_once():
    b = book()
    b.invoice(b.customer(), 1001, due=DUE, amount=500_00)
    run_daily(b, -5, 5)
    # no runs on days 6 to 10
    run_daily(b, 11, 15)

    assert sends(b) == [(-3, 0, Channel.EMAIL), (11, 1, Channel.EMAIL)]


def test_catch_up_on_a_ladder_without_skipping_advances_one_level_per_run():
    no_skip = Strategy(
        name="strict",
        steps=tuple(
            Step(Trigger.DAYS_FROM_DUE, n, ch, allow_skip=False)
            for n, ch in ((-3, Channel.EMAIL), (7, Channel.EMAIL), (21, Channel.LETTER), (45, Channel.CALL_TASK))
        ),
    )
    b = book(no_skip)
    b.invoice(b.customer(), 1001, due=DUE, amount=500_00)

    run_daily(b, 25, 30)  # the first run ever is on day 25

    # the pre-due reminder is stale and never sent; each overdue level goes out once, in order
    assert sends(b) == [(25, 1, Channel.EMAIL), (26, 2, Channel.LETTER)]


def test_running_the_same_night_twice_sends_nothing_new():
    b = book()
    c = b.customer()
    b.invoice(c, 1, due=DUE, amount=500_00)
    b.invoice(c, 2, due=DUE, amount=100_00)
    first = b.run(day(7))

    second = b.run(day(7))

    assert len(first.messages) == 1
    assert len(second.messages) == 0
    assert set(second.items.reason.tolist()) == {Reason.NOTHING_DUE}


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("bankruptcy", Reason.HOLD_BANKRUPTCY),
        ("cease_communication", Reason.HOLD_CEASE_COMMUNICATION),
        ("do_not_contact", Reason.HOLD_DO_NOT_CONTACT),
        ("paused", Reason.HOLD_PAUSED),
        ("plan_active", Reason.HOLD_PAYMENT_PLAN),
    ],
)
def test_a_customer_level_hold_stops_every_item_of_that_customer_only(flag, reason):
    b = book()
    held = b.customer(**{flag: True})
    free = b.customer()
    b.invoice(held, 1, due=DUE, amount=100_00)
    b.invoice(held, 2, due=DUE, amount=200_00)
    b.invoice(free, 3, due=DUE, amount=300_00)

    plan = b.run(day(7))

    assert [b.item(plan, n)["reason"] for n in (1, 2, 3)] == [reason, reason, Reason.STEP_DUE]
    assert [b.item(plan, n)["due_step"] for n in (1, 2)] == [1, 1]  # what the hold blocks
    assert [m["customer"] for m in messages(plan)] == [free]


def test_a_promise_holds_only_the_items_it_covers():
    b = book()
    c = b.customer(promise_until=day(20))
    b.invoice(c, 1, due=DUE, amount=100_00)
    b.invoice(c, 2, due=DUE, amount=200_00)
    b.invoices[1]["promise_covered"] = False

    plan = b.run(day(7))

    assert [b.item(plan, n)["reason"] for n in (1, 2)] == [Reason.HOLD_PROMISE, Reason.STEP_DUE]


def test_the_agency_hand_over_needs_the_minimum_amount():
    b = book()
    c = b.customer()
    b.invoice(c, 1, due=DUE, amount=99_99)
    run_daily(b, 44, 45)

    plan = b.run(day(90))

    assert b.item(plan, 1)["reason"] == Reason.BELOW_MINIMUM
    assert messages(plan) == []


def test_days_after_previous_step_count_from_when_it_was_actually_sent():
    strategy = Strategy(
        name="chain",
        steps=(
            Step(Trigger.DAYS_FROM_DUE, 7, Channel.EMAIL),
            Step(Trigger.DAYS_AFTER_PREVIOUS, 10, Channel.LETTER, business_days=BusinessDayRule.NONE),
        ),
    )
    b = book(strategy)
    b.invoice(b.customer(), 1, due=DUE, amount=100_00)

    run_daily(b, 9, 30)  # the first run is two days late

    assert sends(b) == [(9, 0, Channel.EMAIL), (19, 1, Channel.LETTER)]


def test_a_customer_without_a_strategy_is_not_dunned():
    b = book()
    b.invoice(b.customer(strategy=-1), 1, due=DUE, amount=100_00)

    plan = b.run(day(7))

    assert b.item(plan, 1)["reason"] == Reason.NO_STRATEGY
    assert messages(plan) == []
