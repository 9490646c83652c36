"""Exactly once: the same night twice, a run that dies half-way, and catching up after a gap."""

from __future__ import annotations

import pytest

from arrears.dunning.models import DunningAction, DunningActionItem, DunningRun, RunStatus
from arrears.dunning.services import nightly_run
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.tests.conftest import actions_on, day, level_of


def test_the_same_night_twice_sends_nothing_new(make_customer, make_invoice):
    for i in range(3):
        make_invoice(make_customer(f"Customer {i}"))
    first, already = dunning_run(as_of=day(7))
    assert not already
    assert first.action_count == 3

    again, already = dunning_run(as_of=day(7))
    assert already
    assert again.pk == first.pk
    assert DunningAction.objects.count() == 3
    assert DunningRun.objects.count() == 1


def test_a_run_that_dies_between_batches_is_finished_by_the_next_run_without_duplicates(
    make_customer, make_invoice, settings, monkeypatch
):
    invoices = [make_invoice(make_customer(f"Customer {i}")) for i in range(5)]
    settings.DUNNING_WRITE_BATCH = 2

    def die(batch: int) -> None:
        if batch == 1:
            raise RuntimeError("the machine was switched off")

    monkeypatch.setattr(nightly_run, "_after_batch", die)
    with pytest.raises(RuntimeError):
        dunning_run(as_of=day(7))
    run = DunningRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "switched off" in run.error
    assert DunningAction.objects.count() == 4, "two batches of two were committed"

    monkeypatch.setattr(nightly_run, "_after_batch", None)
    resumed, already = dunning_run(as_of=day(7))
    assert not already
    assert resumed.pk == run.pk
    assert (resumed.status, resumed.attempts, resumed.action_count) == (RunStatus.COMPLETED, 2, 5)
    assert DunningAction.objects.count() == 5
    assert sorted(DunningActionItem.objects.values_list("document_id", flat=True)) == sorted(i.pk for i in invoices)
    assert all(level_of(i) == 1 for i in invoices)


def test_a_gap_of_five_days_catches_up_without_sending_a_stale_step(make_customer, make_invoice):
    brandt = make_customer()
    invoice = make_invoice(brandt)
    dunning_run(as_of=day(-5))
    assert actions_on(day(-5)) == []

    # no runs on days -4 .. 0: the pre-due reminder is stale by now and never goes out
    dunning_run(as_of=day(1))
    assert actions_on(day(1)) == []
    assert level_of(invoice) == -1

    # no runs on days 2 .. 7 either: the first reminder is caught up exactly once
    dunning_run(as_of=day(8))
    [action] = actions_on(day(8))
    assert action.step.key == "reminder_1"
    for n in (9, 10, 11):
        dunning_run(as_of=day(n))
    assert DunningAction.objects.filter(customer=brandt).count() == 1
    assert list(DunningActionItem.objects.filter(document=invoice).values_list("level", flat=True)) == [1]


def test_a_first_run_late_in_the_ladder_jumps_to_the_step_due_now(make_customer, make_invoice):
    invoice = make_invoice(make_customer())
    dunning_run(as_of=day(28))
    [action] = actions_on(day(28))
    assert action.step.key == "reminder_2", "skippable steps are passed over: no pile of stale reminders"
    assert level_of(invoice) == 2
