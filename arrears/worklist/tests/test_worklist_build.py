"""The morning build: sources, ordering by expected value with reasons, idempotency, live refresh."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.communications.models import CallTask
from arrears.disputes.services import dispute_open
from arrears.ledger.services import payment_allocate, payment_create
from arrears.promises.models import PromiseEvent, PromiseEventKind
from arrears.promises.services import promise_create
from arrears.worklist.models import FollowUp, ItemSource, ItemStatus, WorklistItem
from arrears.worklist.selectors import worklist_accounts, worklist_next_customer_id
from arrears.worklist.services import worklist_build, worklist_refresh_customer
from arrears.worklist.tests.conftest import TODAY

pytestmark = pytest.mark.django_db
D = Decimal


def broken_promise(customer, *, amount="500.00", promised=dt.date(2026, 3, 2)):
    promise = promise_create(customer=customer, amount=D(amount), currency="EUR", promised_date=promised,
                             made_on=promised - dt.timedelta(days=10), grace_days=3)
    return PromiseEvent.objects.create(customer=customer, kind=PromiseEventKind.PROMISE_BROKEN, promise=promise,
                                       date=promised + dt.timedelta(days=4), amount=D(amount))


def call_task(customer, *, due=TODAY, key="reminder_call"):
    return CallTask.objects.create(customer=customer, assigned_to=customer.collector, step_key=key, due_date=due,
                                   idempotency_key=f"t-{customer.pk}-{key}")


@pytest.mark.smoke
def test_the_worklist_is_ordered_by_expected_value_with_the_reason_in_words(make_customer, people):
    big_old = make_customer("Big Old AG", amount="12400.00", overdue_days=45)
    small_new = make_customer("Small New KG", amount="300.00", overdue_days=5)
    big_new = make_customer("Big New SE", amount="12400.00", overdue_days=3)
    broken_promise(big_old)
    call_task(small_new)
    call_task(big_new)

    worklist_build(as_of=TODAY)

    accounts = worklist_accounts(user=people["cora"], as_of=TODAY)
    assert [a.customer.name for a in accounts] == ["Big Old AG", "Big New SE", "Small New KG"]
    top = accounts[0]
    assert top.reason.startswith("€12,400.00 overdue 45 days; promise of 2 Mar broken (€500.00 short); ")
    assert "estimated risk it stays unpaid without action (no payment history)" in top.reason
    # 12,400 × (0.15 + 0.5 × 45/120 + 0.3 × 0.5) × (1 + 45/90)
    assert top.first.probability == D("0.4875")
    assert top.first.age_weight == D("1.500")
    assert top.score == D("9067.50")
    assert worklist_next_customer_id(user=people["cora"], as_of=TODAY) == big_old.pk


def test_scoring_predictions_replace_the_heuristic(make_customer, people):
    from arrears.scoring.models import ModelVersion, Prediction

    customer = make_customer("Predicted GmbH", amount="1000.00", overdue_days=30)
    call_task(customer)
    version = ModelVersion.objects.create(trained_on=TODAY, model=b"")
    doc = customer.documents.get()
    Prediction.objects.create(document=doc, model_version=version, as_of=TODAY, predicted_date=TODAY, low_date=TODAY,
                              high_date=TODAY, p_late_0=0.9, p_late_30=0.7, p_late_60=0.4)
    worklist_build(as_of=TODAY)
    item = WorklistItem.objects.get(customer=customer)
    assert item.probability == D("0.7000")
    assert item.probability_source == "model"
    assert item.likelihood_text == "70% likely to pay > 30 days late"


def test_every_source_becomes_an_item_for_the_right_person(make_customer, people):
    from arrears.scoring.models import EarlyWarning

    customer = make_customer("All Reasons AG")
    broken_promise(customer)
    call_task(customer)
    invoice = customer.documents.get()
    dispute = dispute_open(customer=customer, reason="pricing", lines=[(invoice, D("100.00"))], opened_on=dt.date(2026, 2, 1))
    EarlyWarning.objects.create(customer=customer, code="paying_slower", severity=2, reason="Paying 20 days slower", as_of=TODAY)
    EarlyWarning.objects.create(customer=customer, code="silence", severity=1, reason="low severity: not listed", as_of=TODAY)
    FollowUp.objects.create(customer=customer, user=people["carl"], date=TODAY, note="ask for the remittance")

    worklist_build(as_of=TODAY)

    items = {i.source: i for i in WorklistItem.objects.filter(customer=customer)}
    assert set(items) == {ItemSource.PROMISE_BROKEN, ItemSource.CALL_TASK, ItemSource.DISPUTE_PAST_SLA,
                          ItemSource.EARLY_WARNING, ItemSource.FOLLOW_UP}
    assert items[ItemSource.FOLLOW_UP].user == people["carl"]
    assert items[ItemSource.DISPUTE_PAST_SLA].user == people["cora"]
    assert items[ItemSource.DISPUTE_PAST_SLA].source_id == dispute.pk
    assert "past its SLA since" in items[ItemSource.DISPUTE_PAST_SLA].reason
    assert items[ItemSource.EARLY_WARNING].reason == "early warning: Paying 20 days slower"


def test_building_twice_adds_nothing(make_customer, people):
    customer = make_customer()
    broken_promise(customer)
    first = worklist_build(as_of=TODAY)
    second = worklist_build(as_of=TODAY)
    assert first.created == 1
    assert (second.created, second.updated, second.closed) == (0, 0, 0)
    assert WorklistItem.objects.count() == 1


def test_a_payment_that_clears_the_account_drops_its_items(make_customer, people):
    customer = make_customer(amount="500.00")
    broken_promise(customer)
    worklist_build(as_of=TODAY)
    payment = payment_create(business_unit=customer.business_unit, customer=customer, external_id="P1",
                             received_date=TODAY, amount=D("500.00"), currency="EUR")
    payment_allocate(payment=payment)

    result = worklist_refresh_customer(customer=customer)

    assert result.closed == 1
    assert WorklistItem.objects.get().status == ItemStatus.DONE
    assert worklist_next_customer_id(user=people["cora"], as_of=TODAY) is None


def test_a_new_reason_during_the_day_joins_the_live_worklist(make_customer, people):
    customer = make_customer()
    worklist_build(as_of=TODAY)
    assert not WorklistItem.objects.exists()
    FollowUp.objects.create(customer=customer, user=people["cora"], date=TODAY)
    worklist_refresh_customer(customer=customer)
    assert WorklistItem.objects.get().source == ItemSource.FOLLOW_UP


def test_customers_without_a_collector_are_left_for_the_assignment_rules(make_customer):
    customer = make_customer(collector=None)
    broken_promise(customer)
    worklist_build(as_of=TODAY)
    assert not WorklistItem.objects.exists()


def test_a_rebuild_writes_only_the_items_whose_values_changed(make_customer, people):
    paying = make_customer("Paying AG", amount="1000.00", overdue_days=45)
    other = make_customer("Other KG", amount="2000.00", overdue_days=45)
    for customer in (paying, other):
        broken_promise(customer)
        FollowUp.objects.create(customer=customer, user=people["cora"], date=TODAY)
    worklist_build(as_of=TODAY)
    before = {i.pk: (i.score, i.risk_text) for i in WorklistItem.objects.filter(customer=other)}
    payment = payment_create(business_unit=paying.business_unit, customer=paying, external_id="P1",
                             received_date=TODAY, amount=D("400.00"), currency="EUR")
    payment_allocate(payment=payment)

    result = worklist_build(as_of=TODAY)

    assert (result.created, result.updated, result.closed) == (0, 2, 0)
    items = list(WorklistItem.objects.filter(customer=paying))
    assert {i.risk_text for i in items} == {"€600.00 overdue 45 days"}
    assert {i.amount_at_risk for i in items} == {D("600.00")}
    assert {i.score for i in items} == {D("438.75")}  # 600 × 0.4875 × 1.5
    assert {i.pk: (i.score, i.risk_text) for i in WorklistItem.objects.filter(customer=other)} == before


def test_a_new_note_rewords_a_follow_up_and_a_done_one_drops_off(make_customer, people):
    first, second = make_customer("First AG"), make_customer("Second AG")
    reworded = FollowUp.objects.create(customer=first, user=people["cora"], date=TODAY)
    finished = FollowUp.objects.create(customer=second, user=people["cora"], date=TODAY - dt.timedelta(days=2))
    worklist_build(as_of=TODAY)
    FollowUp.objects.filter(pk=reworded.pk).update(note="ask for the remittance")
    FollowUp.objects.filter(pk=finished.pk).update(done_at=dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))

    result = worklist_build(as_of=TODAY)

    assert (result.created, result.updated, result.closed, result.open) == (0, 1, 1, 1)
    assert WorklistItem.objects.get(source_id=reworded.pk).reason == "follow-up set for 10 Mar: ask for the remittance"
    done = WorklistItem.objects.get(source_id=finished.pk)
    assert (done.status, done.done_note, done.due_date) == (ItemStatus.DONE, "resolved", dt.date(2026, 3, 8))
    assert worklist_build(as_of=TODAY).as_dict() == {"as_of": "2026-03-10", "created": 0, "updated": 0, "closed": 0,
                                                     "open": 1, "moved": 0}


def test_escalations_go_to_the_lead_and_tasks_to_their_assignee(make_customer, people):
    from arrears.dunning.models import ActionKind, DunningAction, DunningRun, StepChannel

    customer = make_customer("Escalated AG")
    task = CallTask.objects.create(customer=customer, assigned_to=people["dora"], step_key="final_call", due_date=TODAY,
                                   idempotency_key="t-escalated")
    stamp = dt.datetime(2026, 3, 10, 5, tzinfo=dt.UTC)
    run = DunningRun.objects.create(as_of=TODAY, started_at=stamp)
    action = DunningAction.objects.create(  # the strategy version is not a database constraint: any id will do
        run=run, as_of=TODAY, customer=customer, strategy_version_id=1, level=3, channel=StepChannel.ESCALATE_LEAD,
        kind=ActionKind.DUNNING, created_at=stamp,
    )

    worklist_build(as_of=TODAY)

    items = {i.source: i for i in WorklistItem.objects.filter(customer=customer)}
    assert items[ItemSource.STRATEGY_ACTION].source_id == action.pk
    assert items[ItemSource.STRATEGY_ACTION].user == people["lead"]
    assert items[ItemSource.STRATEGY_ACTION].reason == "escalated by the strategy on 10 Mar"
    assert items[ItemSource.CALL_TASK].source_id == task.pk
    assert (items[ItemSource.CALL_TASK].user, items[ItemSource.CALL_TASK].reason) == (people["dora"], "call task final_call due 10 Mar")
