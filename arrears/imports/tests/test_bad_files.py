"""Every kind of bad file is rejected whole, with an error naming row and column, and the ledger untouched."""

import pytest

from arrears.imports.errors import ImportErrorCode
from arrears.imports.models import ImportProfile, ImportRun
from arrears.imports.tests.conftest import NATIVE_HEADER, NATIVE_ROWS, ledger_counts, native_csv
from arrears.ledger.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

GOOD = NATIVE_ROWS[2]  # C002,Brix Ltd,GB,INV-3,invoice,2026-01-12,2026-02-11,80.00,EUR,,,,


def with_row(bad: str) -> bytes:
    """A good row on line 2, the bad one on line 3."""
    return native_csv([GOOD, bad])


def rejected(run_import, data: bytes, **kwargs) -> dict:
    before = ledger_counts()
    result = run_import(data, **kwargs)
    assert result["status"] == "rejected"
    assert result["counts"]["documents"] == {"created": 0, "updated": 0, "unchanged": 0}
    assert ledger_counts() == before, "a rejected file must leave the ledger unchanged"
    run = ImportRun.objects.get(pk=result["run"])
    assert run.status == "rejected"
    assert run.error_count == result["error_count"] >= 1
    return result


def only_error(result: dict) -> dict:
    assert result["error_count"] == 1, result["errors"]
    return result["errors"][0]


@pytest.mark.parametrize(
    ("bad_row", "code", "column", "words"),
    [
        ("C9,X,DE,INV-9,invoice,2026-13-45,2026-02-11,80.00,EUR,,,,", "bad_date", "issue_date", "'2026-13-45'"),
        ("C9,X,DE,INV-9,invoice,2026-01-12,2026-02-11,-80.00,EUR,,,,", "negative_amount", "amount", "negative"),
        ("C9,X,DE,INV-9,invoice,2026-01-12,2026-02-11,80.00,XYZ,,,,", "unknown_currency", "currency", "'XYZ'"),
        ("C9,X,DE,INV-3,invoice,2026-01-12,2026-02-11,80.00,EUR,,,,", "duplicate_external_id", "document_id",
         "first on row 2"),
        ("C9,X,DE,INV-9,invoice,2026-01-12,2026-02-11,eighty,EUR,,,,", "not_a_number", "amount", "'eighty'"),
        ("C9,X,DE,INV-9,invoice,2026-03-12,2026-02-11,80.00,EUR,,,,", "due_before_issue", "due_date",
         "before the issue date"),
        ("C9,X,DE,INV-9,invoice,2026-01-12,2026-02-11,80.001,EUR,,,,", "too_many_decimals", "amount",
         "more than 2 decimal places for EUR"),
        ("C9,X,DE,INV-9,invoice,2026-01-12,2026-02-11,80.5,JPY,,,,", "too_many_decimals", "amount",
         "more than 0 decimal places for JPY"),
        ("C9,X,DE,INV-9,bill,2026-01-12,2026-02-11,80.00,EUR,,,,", "bad_value", "kind", "'bill'"),
        ("C9,X,DE,INV-9,invoice,2026-01-12,2026-02-11,80.00,EUR,,P1,2026-01-20,90.00", "allocation_exceeds_document",
         "payment_amount", "more than the document amount"),
        ("C9,X,DE,,invoice,2026-01-12,2026-02-11,80.00,EUR,,,,", "required_value_missing", "document_id", "empty"),
    ],
)
def test_a_bad_cell_is_reported_with_row_and_column(unit, run_import, bad_row, code, column, words):
    error = only_error(rejected(run_import, with_row(bad_row)))
    assert (error["row"], error["column"], error["code"]) == (3, column, code)
    assert words in error["message"]


def test_missing_required_column_names_the_column(unit, run_import):
    header = NATIVE_HEADER.replace(",amount,", ",total,")
    error = only_error(rejected(run_import, native_csv([GOOD], header=header)))
    assert (error["row"], error["column"], error["code"]) == (1, "amount", ImportErrorCode.MISSING_COLUMN)
    assert "'amount'" in error["message"]
    assert "total" in error["message"]


def test_non_utf8_bytes_are_named_with_the_expected_encoding(unit, run_import):
    data = native_csv([GOOD, "C9,Café Müller,DE,INV-9,invoice,2026-01-12,2026-02-11,80.00,EUR,,,,"])
    error = only_error(rejected(run_import, data.decode().encode("latin-1")))
    assert (error["row"], error["code"]) == (3, "wrong_encoding")
    assert "utf-8" in error["message"].lower()
    assert "0xe9" in error["message"]


def test_empty_file_is_rejected(unit, run_import):
    error = only_error(rejected(run_import, b""))
    assert error["code"] == "empty_file"
    assert "empty" in error["message"]


def test_header_without_rows_is_rejected(unit, run_import):
    error = only_error(rejected(run_import, (NATIVE_HEADER + "\r\n").encode()))
    assert (error["row"], error["code"]) == (1, "no_rows")


def test_unknown_customer_for_a_profile_that_does_not_create_customers(unit, run_import):
    CustomerFactory(business_unit=unit, external_id="C002")
    ImportProfile.objects.create(name="open-items", config={
        "create_customers": False,
        "fields": {"customer.external_id": "customer_id", "document.external_id": "document_id",
                   "document.issue_date": "issue_date", "document.due_date": "due_date",
                   "document.amount": "amount", "document.currency": "currency"},
    })
    data = with_row("C404,X,DE,INV-9,invoice,2026-01-12,2026-02-11,80.00,EUR,,,,")
    error = only_error(rejected(run_import, data, profile="open-items", business_unit_code="ACME-DE"))
    assert (error["row"], error["column"], error["code"]) == (3, "customer_id", "unknown_customer")
    assert "'C404'" in error["message"]


def test_unknown_profile_is_rejected(unit, run_import):
    error = only_error(rejected(run_import, native_csv(), profile="no-such-profile"))
    assert error["code"] == "unknown_profile"
    assert "no-such-profile" in error["message"]
    assert "ibm-late-payment" in error["message"]


def test_a_file_named_xlsx_that_is_not_a_workbook_is_rejected(unit, run_import):
    error = only_error(rejected(run_import, native_csv(), file_name="documents.xlsx"))
    assert error["code"] == "not_xlsx"
    assert "not a valid XLSX" in error["message"]


def test_many_bad_rows_are_all_listed_in_file_order(unit, run_import):
    rows = [GOOD] + [f"C9,X,DE,INV-X{i},invoice,2026-01-12,2026-02-11,oops,EUR,,,," for i in range(30)]
    result = rejected(run_import, native_csv(rows))
    assert result["error_count"] == 30, result["errors"][-3:]
    assert [e["row"] for e in result["errors"]] == list(range(3, 33))


def test_an_import_changing_a_documents_currency_is_rejected(unit, run_import):
    run_import(native_csv([GOOD]))
    error = only_error(rejected(run_import, native_csv([GOOD.replace(",EUR,", ",USD,")])))
    assert (error["row"], error["column"], error["code"]) == (2, "currency", "immutable_field_changed")
