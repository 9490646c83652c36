"""A year in the life of a commercial customer on "Commercial standard", told night by night."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arrears.disputes.services import dispute_open, dispute_resolve_invalid, dispute_start_review
from arrears.dunning.models import ActionKind, DunningAction, DunningActionItem, GateResult
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.tests.conftest import actions_on, day, level_of
from arrears.promises.models import Promise
from arrears.promises.services.promises import promise_create, promise_evaluate


def night(n: int):
    run, _ = dunning_run(as_of=day(n))
    return run


@pytest.mark.smoke
def test_pre_due_reminder_goes_out_three_days_before_the_due_date(make_customer, make_invoice):
    brandt = make_customer()
    invoice = make_invoice(brandt)

    night(-4)
    assert actions_on(day(-4)) == []

    night(-3)
    [action] = actions_on(day(-3))
    assert (action.kind, action.step.key, action.channel, action.gate) == ("dunning", "pre_due", "email", "allowed")
    assert action.items == [[invoice.pk, 0]]
    assert action.amounts == {"EUR": "1200.00"}
    assert level_of(invoice) == 0


def test_first_reminder_on_day_7_then_a_partial_payment_lowers_the_next_reminder(make_customer, make_invoice, pay):
    brandt = make_customer()
    invoice = make_invoice(brandt)
    night(-3)
    for n in (0, 3, 6):
        night(n)
        assert actions_on(day(n)) == [], f"nothing on day {n}"

    night(7)
    [reminder] = actions_on(day(7))
    assert (reminder.step.key, reminder.channel, reminder.level) == ("reminder_1", "email", 1)

    pay(invoice, "700.00", day(10))  # late: no thank-you for it
    night(10)
    assert actions_on(day(10)) == []

    # day 21 is Good Friday 2026, a German holiday: the step moves to the next business day (Tuesday)
    night(21)
    assert actions_on(day(21)) == []
    night(25)
    [second] = actions_on(day(25))
    assert second.step.key == "reminder_2"
    assert second.amounts == {"EUR": "500.00"}, "only what is still open is asked for"


def test_a_dispute_on_one_invoice_holds_only_that_invoice(make_customer, make_invoice):
    brandt = make_customer()
    disputed = make_invoice(brandt, "800.00")
    partly = make_invoice(brandt, "500.00")
    clean = make_invoice(brandt, "300.00")
    whole = dispute_open(customer=brandt, reason="quality", lines=[(disputed, None)], opened_on=day(2))
    dispute_open(customer=brandt, reason="pricing", lines=[(partly, Decimal("200.00"))], opened_on=day(2))

    run = night(7)
    [action] = actions_on(day(7))
    assert sorted(doc for doc, _ in action.items) == sorted([partly.pk, clean.pk])
    assert action.amounts == {"EUR": "600.00"}, "the undisputed 300 of the partly disputed invoice plus 300"
    assert level_of(disputed) == -1
    assert run.counts["reasons"]["hold_dispute"] == 1

    # the dispute is found invalid: the invoice resumes at the step due now
    dispute_start_review(dispute=whole)
    dispute_resolve_invalid(dispute=whole, on=day(8))
    night(8)
    [resumed] = actions_on(day(8))
    assert resumed.items == [[disputed.pk, 1]]


def test_a_broken_promise_re_triggers_the_strategy(make_customer, make_invoice):
    brandt = make_customer()
    invoice = make_invoice(brandt, "900.00")
    promise_create(customer=brandt, amount="900.00", currency="EUR", promised_date=day(10), documents=[invoice],
                   made_on=day(1))
    night(7)
    assert actions_on(day(7), brandt) == [], "the promise holds the invoice"

    # promised day 10 + 3 days grace: on day 14 the promise is broken, and the next night reminds at once
    promise_evaluate(as_of=day(14))
    assert Promise.objects.get().status == "broken"
    night(15)
    [action] = actions_on(day(15), brandt)
    assert action.items == [[invoice.pk, 1]]


def test_day_45_call_task_and_day_90_agency_hand_over(make_customer, make_invoice):
    brandt = make_customer()
    invoice = make_invoice(brandt, "2500.00")
    night(35)
    assert actions_on(day(35))[0].step.key == "letter"

    night(45)
    [call] = actions_on(day(45))
    assert (call.step.key, call.channel) == ("call", "call_task")
    assert call.gate == GateResult.ALLOWED
    assert call.compliance_decision is None or call.compliance_decision.channel == "phone"

    night(60)
    assert actions_on(day(60))[0].channel == "escalate_lead"

    night(90)
    [handover] = actions_on(day(90))
    assert (handover.step.key, handover.channel, handover.gate) == ("agency", "agency", GateResult.NOT_A_CONTACT)
    assert level_of(invoice) == 6
    assert list(DunningActionItem.objects.filter(document=invoice).values_list("level", flat=True).order_by("level")) == [
        3, 4, 5, 6]


def test_thank_you_after_an_on_time_payment(make_customer, make_invoice, pay):
    brandt = make_customer()
    invoice = make_invoice(brandt)
    other = make_invoice(brandt, "100.00", due=day(40))
    pay(invoice, "1200.00", day(-1))  # paid before the due date

    night(0)
    [thanks] = actions_on(day(0))
    assert (thanks.kind, thanks.channel, thanks.level, thanks.step) == (ActionKind.THANK_YOU, "email", -1, None)
    assert thanks.customer.dunning_state.last_thank_you == day(0)

    night(1)
    assert actions_on(day(1)) == [], "one thank-you per payment"
    assert level_of(other) == -1


def test_each_channel_and_customer_gets_one_consolidated_message(make_customer, make_invoice):
    brandt = make_customer()
    old = make_invoice(brandt, "100.00", due=day(-30))
    new = make_invoice(brandt, "200.00", due=day(0))
    night(7)
    [action] = DunningAction.objects.filter(customer=brandt)
    assert action.step.key == "letter", "the highest level due among the documents"
    assert dict(map(tuple, action.items)) == {old.pk: 3, new.pk: 1}
    assert action.amounts == {"EUR": "300.00"}


def test_the_nights_actions_reach_the_outbox_and_the_collectors_call_list(make_customer, make_invoice):
    from arrears.communications.models import CallTask, OutboundMessage

    brandt = make_customer()
    make_invoice(brandt, "1200.00")
    night(7)
    [email] = actions_on(day(7), brandt)
    email.refresh_from_db()
    assert email.status == "dispatched"
    message = OutboundMessage.objects.get(customer=brandt)
    assert (message.channel, message.status) == ("email", "queued")
    assert "1,200.00" in message.text_body or "1.200,00" in message.text_body

    night(45)
    [call] = actions_on(day(45), brandt)
    assert call.channel == "call_task"
    assert CallTask.objects.filter(customer=brandt).count() == 1

    night(45)  # the same night again: nothing new anywhere
    assert OutboundMessage.objects.filter(customer=brandt).count() == 1
    assert CallTask.objects.filter(customer=brandt).count() == 1


def test_a_run_without_dispatch_decides_and_a_later_dispatch_hands_the_actions_on(make_customer, make_invoice):
    from arrears.communications.models import OutboundMessage
    from arrears.dunning.services.nightly_run import dispatch_actions

    brandt = make_customer()
    make_invoice(brandt, "1200.00")
    run, _ = dunning_run(as_of=day(7), dispatch=False)
    [email] = actions_on(day(7), brandt)
    assert (email.status, email.level) == ("planned", 1)
    assert not OutboundMessage.objects.filter(customer=brandt).exists()
    assert "dispatch" not in run.counts

    assert dispatch_actions(run) == 1
    email.refresh_from_db()
    assert email.status == "dispatched"
    assert OutboundMessage.objects.filter(customer=brandt, channel="email").count() == 1
    assert dispatch_actions(run) == 0  # nothing left planned: a second hand-over adds nothing
    assert OutboundMessage.objects.filter(customer=brandt).count() == 1
