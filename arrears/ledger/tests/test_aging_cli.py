import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory, PaymentFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def ledger():
    cust = CustomerFactory(name="Acme Retail", segment="smb")
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 5, 1), due_date=dt.date(2025, 5, 31), amount=D("120.50"))
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 1, 1), due_date=dt.date(2025, 1, 31), amount=D("80.00"))
    PaymentFactory(customer=cust, amount=D("10.00"), received_date=dt.date(2025, 6, 1))
    return cust


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("aging", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_prints_one_document_with_buckets_rows_and_totals(ledger):
    out, _ = run("--as-of", "2025-06-30", "--by", "segment", "--json")

    data = json.loads(out)
    assert (data["as_of"], data["by"], data["basis"], data["currency"]) == ("2025-06-30", "segment", "due", "EUR")
    assert [b["key"] for b in data["buckets"]] == ["current", "1-30", "31-60", "61-90", "91-120", "121+"]
    row = data["rows"][0]
    assert (row["key"], row["buckets"]["1-30"], row["buckets"]["121+"], row["total"]) == ("smb", "120.50", "80.00", "200.50")
    assert (row["unapplied_credits"], row["net_balance"], row["document_count"]) == ("-10.00", "190.50", 2)
    assert data["totals"][0]["net_balance"] == "190.50"


def test_invoice_basis_on_the_command_line(ledger):
    out, _ = run("--as-of", "2025-06-30", "--basis", "invoice", "--json")

    data = json.loads(out)
    assert data["rows"][0]["buckets"] == {"0-30": "0.00", "31-60": "120.50", "61-90": "0.00", "91-120": "0.00",
                                          "121+": "80.00"}


@pytest.mark.parametrize("bad", ["2025-13-01", "30/06/2025", "yesterday"])
def test_bad_date_names_the_value_and_the_expected_format(bad):
    with pytest.raises(CommandError, match=rf"{bad}.*YYYY-MM-DD"):
        run("--as-of", bad)


def test_bad_date_exits_non_zero(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "arrears.cli", "aging", "--as-of", "2025-02-30"],
        capture_output=True, text=True, env={"PATH": "/usr/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test",
                                             "ARREARS_VAR_DIR": str(tmp_path)}, check=False, timeout=60,
    )
    assert proc.returncode != 0
    assert "2025-02-30" in proc.stderr
    assert "YYYY-MM-DD" in proc.stderr
    assert proc.stdout == ""


def test_missing_fx_rate_is_a_command_error(ledger):
    DocumentFactory(customer=ledger, issue_date=dt.date(2025, 6, 1), amount=D("5.00"), currency="USD")

    with pytest.raises(CommandError, match=r"USD.*2025-06-30"):
        run("--as-of", "2025-06-30", "--reporting-currency", "EUR")


def test_table_csv_and_xlsx_carry_the_same_numbers(ledger, tmp_path):
    table, _ = run("--as-of", "2025-06-30")
    csv_out, _ = run("--as-of", "2025-06-30", "--format", "csv")
    run("--as-of", "2025-06-30", "--format", "xlsx", "--output", str(tmp_path / "aging.xlsx"))

    assert "Acme Retail" in table
    assert "200.50" in table
    rows = list(csv.reader(io.StringIO(csv_out)))
    assert rows[0][:4] == ["Key", "Customer", "Currency", "Current"]
    assert rows[1][1:] == ["Acme Retail", "EUR", "0.00", "120.50", "0.00", "0.00", "0.00", "80.00", "200.50",
                           "-10.00", "190.50", "0.00", "2"]
    assert rows[2][1] == "Total"
    sheet = load_workbook(tmp_path / "aging.xlsx").active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == rows[0]
    assert [D(str(v)).quantize(D("0.01")) for v in values[1][3:12]] == [D(v) for v in rows[1][3:12]]
