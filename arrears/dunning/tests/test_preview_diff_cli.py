"""Dry run, backtest of two versions, the volume alert, strategy versions and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from arrears.audit.models import AuditEvent
from arrears.common.clock import now
from arrears.compliance.models import ComplianceDecision
from arrears.dunning.errors import DunningError, DunningErrorCode
from arrears.dunning.models import (
    CustomerDunningState,
    DocumentDunningState,
    DunningAction,
    DunningActionItem,
    DunningRun,
    RunStatus,
)
from arrears.dunning.services.nightly_run import dunning_run, run_preview, strategy_diff
from arrears.dunning.services.strategies import (
    COMMERCIAL_STANDARD,
    strategy_version_create,
    strategy_version_update,
)
from arrears.dunning.tests.conftest import day

TABLES = (DunningRun, DunningAction, DunningActionItem, DocumentDunningState, CustomerDunningState, ComplianceDecision)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def test_a_dry_run_shows_what_goes_out_tomorrow_and_writes_nothing(make_customer, make_invoice):
    for i in range(3):
        make_invoice(make_customer(f"Customer {i}"), due=day(0) + dt.timedelta(days=i))
    before = _counts()
    preview = run_preview(as_of=day(-3))
    assert _counts() == before
    assert preview["dry_run"] is True
    assert preview["action_count"] == 1
    assert preview["counts"]["step"] == {"Commercial standard v1: pre_due": 1}
    [action] = preview["actions"]
    assert (action["step"], action["channel"], action["gate"]) == ("pre_due", "email", "allowed")

    # and the real run then does exactly that
    run, _ = dunning_run(as_of=day(-3))
    assert run.counts["step"] == preview["counts"]["step"]


def test_an_alert_when_a_night_produces_far_fewer_actions_than_usual(make_customer, make_invoice, caplog):
    for i, n in enumerate((30, 34, 28)):
        DunningRun.objects.create(as_of=day(-10 + i), status=RunStatus.COMPLETED, action_count=n, started_at=now())
    make_invoice(make_customer())
    with caplog.at_level("WARNING", logger="arrears.dunning"):
        run, _ = dunning_run(as_of=day(7))
    assert run.action_count == 1
    assert run.alert == "far fewer actions than usual: 1 against a median of 30 over the last 3 runs"
    assert "far fewer actions" in caplog.text


def test_no_alert_for_a_usual_night_or_a_young_history(make_customer, make_invoice):
    make_invoice(make_customer())
    DunningRun.objects.create(as_of=day(-1), status=RunStatus.COMPLETED, action_count=5, started_at=now())
    run, _ = dunning_run(as_of=day(7))
    assert run.alert == ""


def test_strategy_diff_shows_the_customers_a_new_version_treats_differently(make_customer, make_invoice, strategies):
    early, late = make_customer("Early"), make_customer("Late")
    make_invoice(early, due=day(0))
    make_invoice(late, due=day(-20))
    v1 = strategies["Commercial standard"].versions.get()
    steps = [dict(s) for s in COMMERCIAL_STANDARD]
    steps[1]["offset_days"] = 4  # remind after 4 days instead of 7
    v2 = strategy_version_create(strategy=v1.strategy, steps=steps, note="remind earlier")

    diff = strategy_diff(version_a=v1, version_b=v2, as_of=day(5))
    assert diff["population"] == 2
    assert diff["a"]["action_count"] == 1  # Late is at reminder 1 under both; Early only under v2
    assert diff["b"]["action_count"] == 2
    assert diff["customers_differing"] == [
        {"customer_id": early.pk, "a": None, "b": {"kind": "dunning", "step": "reminder_1", "channel": "email"}}
    ]
    assert DunningAction.objects.count() == 0, "a backtest writes nothing"


def test_a_version_used_by_a_run_is_frozen_and_edits_make_a_new_audited_version(make_customer, make_invoice, strategies):
    make_invoice(make_customer())
    strategy = strategies["Commercial standard"]
    v1 = strategy.versions.get()
    strategy_version_update(version=v1, steps=COMMERCIAL_STANDARD, note="typo")  # unused: editable in place
    dunning_run(as_of=day(7))
    v1.refresh_from_db()
    assert v1.is_frozen
    with pytest.raises(DunningError) as err:
        strategy_version_update(version=v1, steps=COMMERCIAL_STANDARD)
    assert err.value.code == DunningErrorCode.VERSION_FROZEN
    v2 = strategy_version_create(strategy=strategy, steps=COMMERCIAL_STANDARD[:3], note="shorter ladder")
    assert v2.number == 2
    assert AuditEvent.objects.filter(object_type="dunning.strategyversion", object_id=str(v2.pk)).exists()
    assert {"id": v1.pk, "strategy": "Commercial standard", "number": 1} in DunningRun.objects.get().strategy_versions


def test_bad_steps_are_refused_naming_the_field(strategies):
    strategy = strategies["Commercial standard"]
    with pytest.raises(DunningError, match=r"steps\[1\]\.channel: 'fax' is not one of"):
        strategy_version_create(strategy=strategy, steps=[{"key": "a", "channel": "email"}, {"key": "b", "channel": "fax"}])
    with pytest.raises(DunningError, match=r"steps\[0\]\.offset_days: only a days-from-due step may be negative"):
        strategy_version_create(strategy=strategy, steps=[{"key": "a", "channel": "email", "trigger": "event",
                                                           "event": "promise_broken", "offset_days": -1}])
    assert strategy.versions.count() == 1


def test_cli_run_json_prints_the_run_record(make_customer, make_invoice):
    make_invoice(make_customer())
    out = io.StringIO()
    call_command("run", "--as-of", day(7).isoformat(), "--json", stdout=out)
    record = json.loads(out.getvalue())
    assert record["as_of"] == day(7).isoformat()
    assert record["status"] == "completed"
    assert record["counts"]["step"] == {"Commercial standard v1: reminder_1": 1}
    assert record["counts"]["channel"] == {"email": 1}
    assert record["counts"]["outcome"] == {"planned": 1}
    assert record["blocked"] == {}
    assert set(record["durations"]) >= {"load", "engine", "gate", "write", "total"}
    assert record["alert"] == ""

    again = io.StringIO()
    call_command("run", "--as-of", day(7).isoformat(), "--json", stdout=again)
    assert json.loads(again.getvalue())["already_ran"] is True


def test_cli_dry_run_and_diff_json(make_customer, make_invoice, strategies):
    make_invoice(make_customer())
    out = io.StringIO()
    call_command("run", "--as-of", day(7).isoformat(), "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["action_count"] == 1
    assert DunningRun.objects.count() == 0
    v1 = strategies["Commercial standard"].versions.get()
    v2 = strategy_version_create(strategy=v1.strategy, steps=COMMERCIAL_STANDARD[:1])
    out = io.StringIO()
    call_command("dunning", "diff", "--a", str(v1.pk), "--b", str(v2.pk), "--as-of", day(7).isoformat(), "--json",
                 stdout=out)
    diff = json.loads(out.getvalue())
    assert (diff["a"]["action_count"], diff["b"]["action_count"]) == (1, 0)
