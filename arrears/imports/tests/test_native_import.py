import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from arrears.audit.models import AuditEvent
from arrears.imports.models import ImportProfile, ImportRun
from arrears.imports.tests.conftest import NATIVE_HEADER, ledger_counts, native_csv
from arrears.ledger.models import Allocation, Customer, Document, Payment

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_native_file_creates_customers_documents_and_split_payment(unit, run_import):
    result = run_import(native_csv())

    assert result["status"] == "ok", result["errors"]
    assert result["counts"] == {
        "customers": {"created": 2, "updated": 0, "unchanged": 0},
        "documents": {"created": 4, "updated": 0, "unchanged": 0},
        "payments": {"created": 1, "updated": 0, "unchanged": 0},
    }
    acme = Customer.objects.get(business_unit=unit, external_id="C001")
    assert (acme.name, acme.country) == ("Acme GmbH", "DE")
    inv1, inv2 = Document.objects.get(external_id="INV-1"), Document.objects.get(external_id="INV-2")
    assert (inv1.amount, inv1.open_amount, inv1.status, inv1.reference) == (
        Decimal("100.00"), Decimal("60.00"), "partially_paid", "PO-7")
    assert (inv2.open_amount, inv2.status, inv2.closed_date) == (Decimal("0"), "paid", dt.date(2026, 1, 20))
    payment = Payment.objects.get(external_id="PAY-1")
    assert (payment.amount, payment.unapplied_amount, payment.customer_id) == (Decimal("290.50"), Decimal("0"), acme.pk)
    assert sorted(Allocation.objects.values_list("document__external_id", "amount")) == [
        ("INV-1", Decimal("40.00")), ("INV-2", Decimal("250.50"))]
    credit = Document.objects.get(external_id="CN-1")
    assert (credit.kind, credit.open_amount, credit.status) == ("credit_note", Decimal("20.00"), "open")
    run = ImportRun.objects.get(pk=result["run"])
    assert (run.status, run.rows, run.dry_run, run.counts) == ("ok", 4, False, result["counts"])
    event = AuditEvent.objects.get(action="import")
    assert event.after["counts"] == result["counts"]
    assert event.note.startswith("documents.csv sha256=")
    assert run.sha256 in event.note


def test_reimporting_the_same_native_file_changes_nothing(unit, run_import):
    run_import(native_csv())
    before = ledger_counts()
    updated_at = sorted(Document.objects.values_list("updated_at", flat=True))

    result = run_import(native_csv())

    assert result["counts"] == {
        "customers": {"created": 0, "updated": 0, "unchanged": 2},
        "documents": {"created": 0, "updated": 0, "unchanged": 4},
        "payments": {"created": 0, "updated": 0, "unchanged": 1},
    }
    after = ledger_counts()
    assert after == {**before, "audit_events": before["audit_events"] + 1}
    assert AuditEvent.objects.filter(action="import").count() == 2
    assert sorted(Document.objects.values_list("updated_at", flat=True)) == updated_at


def test_changed_amount_updates_one_document_and_audits_before_and_after(unit, run_import):
    run_import(native_csv())
    rows = [r.replace(",80.00,EUR", ",95.00,EUR") for r in native_csv().decode().splitlines()[1:]]

    result = run_import(native_csv(rows))

    assert result["counts"]["documents"] == {"created": 0, "updated": 1, "unchanged": 3}
    doc = Document.objects.get(external_id="INV-3")
    assert (doc.amount, doc.open_amount) == (Decimal("95.00"), Decimal("95.00"))
    event = AuditEvent.objects.get(action="update", object_type="ledger.document")
    assert event.object_id == str(doc.pk)
    assert event.customer_id == doc.customer_id
    assert event.before == {"amount": "80.000"}
    assert event.after == {"amount": "95.000"}


def test_changed_payment_amount_reallocates_and_recomputes_balances(unit, run_import):
    run_import(native_csv())
    rows = native_csv().decode().splitlines()[1:]
    rows[0] = rows[0].replace("2026-01-20,40.00", "2026-01-20,100.00")

    result = run_import(native_csv(rows))

    assert result["counts"]["payments"] == {"created": 0, "updated": 1, "unchanged": 0}
    inv1 = Document.objects.get(external_id="INV-1")
    assert (inv1.open_amount, inv1.status, inv1.closed_date) == (Decimal("0"), "paid", dt.date(2026, 1, 20))
    payment = Payment.objects.get(external_id="PAY-1")
    assert (payment.amount, payment.unapplied_amount) == (Decimal("350.50"), Decimal("0"))
    assert Allocation.objects.filter(payment=payment).count() == 2


def test_dry_run_counts_but_writes_nothing(unit, run_import):
    before = ledger_counts()

    result = run_import(native_csv(), dry_run=True)

    assert result["status"] == "ok"
    assert result["dry_run"] is True
    assert result["counts"]["documents"]["created"] == 4
    assert ledger_counts() == before
    assert ImportRun.objects.get(pk=result["run"]).dry_run is True


def test_xlsx_with_typed_cells_imports_like_the_csv(unit, run_import):
    book = Workbook()
    sheet = book.active
    sheet.append(NATIVE_HEADER.split(","))
    for line in native_csv().decode().splitlines()[1:]:
        cells: list = [c or None for c in line.split(",")]
        for i in (5, 6, 11):  # dates as real dates
            if cells[i]:
                cells[i] = dt.datetime.fromisoformat(cells[i])
        for i in (7, 12):  # amounts as numbers
            if cells[i]:
                cells[i] = float(cells[i])
        sheet.append(cells)
    buf = io.BytesIO()
    book.save(buf)

    result = run_import(buf.getvalue(), file_name="documents.xlsx")

    assert result["status"] == "ok", result["errors"]
    assert result["counts"]["documents"]["created"] == 4
    assert Document.objects.get(external_id="INV-2").amount == Decimal("250.50")
    assert Document.objects.get(external_id="INV-1").due_date == dt.date(2026, 2, 4)
    again = run_import(native_csv())  # the CSV of the same data changes nothing
    assert again["counts"]["documents"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert again["counts"]["payments"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_database_profile_overrides_the_shipped_file(unit, run_import):
    ImportProfile.objects.create(name="arrears-documents", config={
        "format": {"delimiter": ";", "date_formats": ["%d.%m.%Y"], "decimal_separator": ",",
                   "thousands_separator": "."},
        "fields": {"customer.external_id": "Kunde", "document.external_id": "Beleg", "document.issue_date": "Datum",
                   "document.due_date": "Faellig", "document.amount": "Betrag", "document.currency": {"default": "EUR"}},
    })
    data = b"Kunde;Beleg;Datum;Faellig;Betrag\nK1;R-1;05.01.2026;04.02.2026;1.234,56\n"

    result = run_import(data)

    assert result["status"] == "ok", result["errors"]
    doc = Document.objects.get(external_id="R-1")
    assert (doc.amount, doc.issue_date, doc.customer.name) == (Decimal("1234.56"), dt.date(2026, 1, 5), "K1")


def test_negative_invoices_become_credit_notes_when_the_profile_says_so(unit, run_import):
    ImportProfile.objects.create(name="erp-signed", config={
        "negative_amounts": "credit_note",
        "fields": {"customer.external_id": "cust", "document.external_id": "doc", "document.issue_date": "date",
                   "document.due_date": "date", "document.amount": "amount", "document.currency": {"default": "EUR"}},
    })
    data = b"cust,doc,date,amount\nC1,D1,2026-01-01,-12.50\nC1,D2,2026-01-01,30\n"

    result = run_import(data, profile="erp-signed", business_unit_code="ACME-DE")

    assert result["status"] == "ok", result["errors"]
    assert Document.objects.get(external_id="D1").kind == "credit_note"
    assert Document.objects.get(external_id="D1").amount == Decimal("12.50")
    assert Document.objects.get(external_id="D2").kind == "invoice"
