"""`arrears statement import FILE [--format] [--dry-run] [--json]` prints one JSON report."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from arrears.ledger.models import Payment
from arrears.payments.tests.builders import camt053, csv_text, mt940

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = 0
    try:
        call_command("statement", "import", *args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out
    return code, out


def test_json_output_is_one_document_with_counts_and_the_match_rate(tmp_path, capsys, mixed):
    path = tmp_path / "day.sta"
    path.write_text(mt940([e for e, _ in mixed]))

    code, out = run(capsys, str(path), "--format", "mt940", "--json")

    report = json.loads(out)
    assert code == 0
    assert (report["credits"], report["auto_matched"], report["suggested"], report["unmatched"]) == (13, 10, 2, 1)
    assert report["match_rate"] == 0.7692


def test_dry_run_posts_nothing(tmp_path, capsys, mixed):
    path = tmp_path / "day.xml"
    path.write_bytes(camt053([e for e, _ in mixed]))

    _code, out = run(capsys, str(path), "--dry-run", "--json")

    assert json.loads(out)["dry_run"] is True
    assert Payment.objects.count() == 0


def test_a_refused_file_exits_2_with_the_error_as_json(tmp_path, capsys, ledger):
    path = tmp_path / "bad.csv"
    path.write_text("Date,Amount,Currency\n2026-03-01,ten,EUR\n")

    code, out = run(capsys, str(path), "--json")

    assert code == 2
    error = json.loads(out)["error"]
    assert (error["line"], error["field"]) == (2, "Amount")
    assert "bad.csv" in error["detail"]


def test_a_csv_mapping_names_the_columns(tmp_path, capsys, mixed):
    text = csv_text([e for e, _ in mixed]).replace("Date,Amount,", "Buchungstag,Betrag,", 1)
    path = tmp_path / "bank.csv"
    path.write_text(text)

    _code, out = run(capsys, str(path), "--csv-mapping", '{"date": "Buchungstag", "amount": "Betrag"}', "--json")

    assert json.loads(out)["auto_matched"] == 10
