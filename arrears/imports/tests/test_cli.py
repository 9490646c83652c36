import json
from io import StringIO

import pytest
from django.core.management import call_command

from arrears.imports.tests.conftest import ledger_counts, native_csv
from arrears.ledger.models import Document

pytestmark = pytest.mark.django_db


def test_cli_json_prints_one_document_with_counts(unit, tmp_path):
    path = tmp_path / "documents.csv"
    path.write_bytes(native_csv())
    out = StringIO()

    call_command("import", str(path), "--profile", "arrears-documents", "--business-unit", "ACME-DE", "--json",
                 stdout=out)

    result = json.loads(out.getvalue())
    assert {k: result[k] for k in ("file", "profile", "dry_run", "status", "error_count")} == {
        "file": "documents.csv", "profile": "arrears-documents", "dry_run": False, "status": "ok", "error_count": 0}
    assert result["counts"]["documents"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert result["errors"] == []
    assert Document.objects.count() == 4


def test_cli_dry_run_writes_nothing(unit, tmp_path):
    path = tmp_path / "documents.csv"
    path.write_bytes(native_csv())
    before = ledger_counts()
    out = StringIO()

    call_command("import", str(path), "--profile", "arrears-documents", "--business-unit", "ACME-DE", "--dry-run",
                 "--json", stdout=out)

    assert json.loads(out.getvalue())["counts"]["customers"]["created"] == 2
    assert ledger_counts() == before


def test_cli_exits_1_on_a_rejected_file_and_lists_the_errors(unit, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(native_csv(["C1,X,DE,INV-1,invoice,2026-01-12,2026-02-11,1.5.0,EUR,,,,"]))
    out = StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("import", str(path), "--profile", "arrears-documents", "--business-unit", "ACME-DE", "--json",
                     stdout=out)

    assert exit_info.value.code == 1
    result = json.loads(out.getvalue())
    assert result["status"] == "rejected"
    assert result["error_count"] == 1
    assert result["errors"][0] == {"row": 2, "column": "amount", "code": "not_a_number",
                                   "message": "'1.5.0' is not a number"}


def test_cli_text_output_names_row_and_column(unit, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(native_csv(["C1,X,DE,INV-1,invoice,31/01/2026,2026-02-11,10,EUR,,,,"]))
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit):
        call_command("import", str(path), "--profile", "arrears-documents", "--business-unit", "ACME-DE",
                     stdout=out, stderr=err)

    assert "row 2, column 'issue_date': [bad_date]" in err.getvalue()
