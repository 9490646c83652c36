"""`arrears kpi`: one JSON document per run, a readable table, clear errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("kpi", *args, stdout=out)
    return out.getvalue()


def test_json_prints_every_kpi_per_group_as_strings(ledger):
    doc = json.loads(run("--from", "2026-07-01", "--to", "2026-09-30", "--by", "collector", "--json"))
    assert doc["period"] == {"from": "2026-07-01", "to": "2026-09-30", "days": 92, "months": 3}
    assert doc["currency"] == "EUR"
    assert doc["total"]["kpis"]["dso"]["display"] == "47.45"
    assert isinstance(doc["total"]["kpis"]["dso"]["value"], str)
    labels = {g["label"]: g for g in doc["groups"]}
    assert labels["c2"]["kpis"]["dso"]["flags"] == ["NEGATIVE_AR"]
    cei = labels["c2"]["kpis"]["ptp_kept_rate_count"]
    assert cei["value"] is None
    assert cei["reason"] == "NO_EVALUATED_PROMISES"
    assert {"dso", "bpdso", "add", "cei", "percent_current", "adp_w", "dbt_w", "ptp_kept_rate_count",
            "dispute_resolution_mean", "rpc_rate_per_attempt", "collector_attainment", "write_off_ratio_gross",
            "roll_rate:current->1-30"} <= set(doc["total"]["kpis"])


def test_table_output_names_the_kpis(ledger):
    text = run("--from", "2026-07-01", "--to", "2026-09-30")
    assert "KPIs 2026-07-01..2026-09-30 in EUR" in text
    assert "47.45" in text
    assert "n/a (NO_EVALUATED_PROMISES)" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13-01", "--to", "2026-09-30"], "--from: '2026-13-01' is not a date"),
    (["--from", "2026-07-01", "--to", "yesterday"], "--to: 'yesterday' is not a date"),
    (["--from", "2026-07-01"], "--to is required"),
    (["--from", "2026-09-30", "--to", "2026-07-01"], "is before --from"),
])
def test_bad_dates_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_bad_date_exits_non_zero_from_the_command_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    manage = Path(__file__).resolve().parents[3] / "manage.py"
    proc = subprocess.run(
        [sys.executable, str(manage), "kpi", "--from", "2026-02-30", "--to", "2026-03-31", "--json"],
        capture_output=True, text=True, check=False,
        env={**__import__("os").environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
    )
    assert proc.returncode != 0
    assert "--from: '2026-02-30' is not a date" in proc.stderr
    assert proc.stdout == ""


def test_unknown_currency_is_an_error(ledger):
    with pytest.raises(CommandError, match="unknown currency 'XYZ'"):
        run("--from", "2026-07-01", "--to", "2026-09-30", "--currency", "XYZ")


def test_snapshot_as_of_and_backfill(ledger):
    doc = json.loads(run("snapshot", "--as-of", "2026-09-30", "--json"))
    assert doc["snapshots"] == [{"as_of": "2026-09-30", "balances": 2, "forecast_weeks": 0}]
    doc = json.loads(run("snapshot", "--from", "2026-06-15", "--to", "2026-09-30", "--monthly", "--json"))
    assert [s["as_of"] for s in doc["snapshots"]] == ["2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30"]


def test_backfill_needs_monthly_or_daily(ledger):
    with pytest.raises(CommandError, match="needs --monthly"):
        run("snapshot", "--from", "2026-06-01", "--to", "2026-09-30")
