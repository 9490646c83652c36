"""Importing statements in every format posts what matches, queues the rest, and keeps the ledger consistent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Allocation, Document, Payment
from arrears.payments.errors import StatementError, StatementErrorCode
from arrears.payments.models import BankStatement, CustomerBankAccount, LineStatus, StatementLine
from arrears.payments.services import statement_import
from arrears.payments.tests.builders import Entry, camt053, csv_text, mt940

pytestmark = pytest.mark.django_db

FORMATS = {
    "camt053-v02": lambda e: ("stmt.xml", camt053(e, version="02"), "camt053"),
    "camt053-v08": lambda e: ("stmt.xml", camt053(e, version="08"), "camt053"),
    "mt940-german": lambda e: ("stmt.sta", mt940(e, layout="german").encode(), "mt940"),
    "mt940-tags": lambda e: ("stmt.sta", mt940(e, layout="tags").encode("latin-1"), "mt940"),
    "csv": lambda e: ("stmt.csv", csv_text(e).encode(), "csv"),
    "csv-semicolon-decimal-comma": lambda e: ("stmt.csv", csv_text(e, delimiter=";", decimal_comma=True).encode(), None),
}


def assert_ledger_consistent():
    """Open amounts = amount - allocations; unapplied = payment - allocations; never negative."""
    for doc in Document.objects.all():
        allocated = doc.allocations.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert doc.open_amount == doc.amount - allocated, doc.external_id
        assert doc.open_amount >= 0
        expected_status = "paid" if doc.open_amount == 0 else ("partially_paid" if allocated else "open")
        assert doc.status == expected_status, doc.external_id
    for payment in Payment.objects.all():
        allocated = payment.allocations.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert payment.unapplied_amount == payment.amount - allocated, payment.external_id


def observed(line: StatementLine, docs_by_id) -> tuple[str, str | None, dict[str, str]]:
    if line.status == LineStatus.MATCHED:
        allocs = {docs_by_id[a.document_id]: str(a.amount.quantize(Decimal("0.01"))) for a in line.payment.allocations.all()}
        return line.status, line.matched_customer.name, allocs
    if line.candidates:
        best = line.candidates[0]
        return line.status, best["customer_name"], {a["external_id"]: a["amount"] for a in best["allocations"]}
    return line.status, None, {}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_mixed_statement_matches_each_line_as_expected(fmt, ledger, mixed):
    name, content, format_ = FORMATS[fmt]([e for e, _ in mixed])

    result = statement_import(file_name=name, content=content, format=format_)

    docs_by_id = {d.pk: d.external_id for d in ledger["docs"].values()}
    lines = list(result.statement.lines.order_by("position"))
    assert len(lines) == len(mixed)
    for line, (entry, expected) in zip(lines, mixed, strict=True):
        assert observed(line, docs_by_id) == expected, (entry, line.evidence)
    report = result.report
    assert (report["credits"], report["auto_matched"], report["suggested"], report["unmatched"]) == (13, 10, 2, 1)
    assert report["match_rate"] == round(10 / 13, 4)
    assert report["auto_matched_amount"] == {"EUR": "3680.00"}
    assert_ledger_consistent()


def test_short_and_over_payments_leave_partial_documents_and_unapplied_cash(ledger, mixed):
    statement_import(file_name="s.xml", content=camt053([e for e, _ in mixed]))

    docs = {d.external_id: d for d in Document.objects.all()}
    assert docs["INV-2026-0042"].open_amount == Decimal("100.00")
    assert docs["INV-2026-0042"].status == "partially_paid"
    assert docs["B-2001"].status == "paid"  # split over two lines
    over = Payment.objects.get(reference__startswith="R07")
    assert over.unapplied_amount == Decimal("100.00")
    assert_ledger_consistent()


def test_bulk_posting_gives_the_same_ledger_as_posting_line_by_line(ledger, mixed, settings):
    settings.ARREARS_CASH_BULK_POST_FROM = 1

    result = statement_import(file_name="s.xml", content=camt053([e for e, _ in mixed]))

    assert result.report["auto_matched"] == 10
    docs = {d.external_id: d for d in Document.objects.all()}
    assert docs["INV-2026-0042"].open_amount == Decimal("100.00")
    assert docs["AC-0001003"].status == "paid"
    assert docs["AC-0001003"].closed_date is not None
    assert Allocation.objects.count() == 13
    assert StatementLine.objects.filter(status="matched", payment__isnull=False).count() == 10
    assert_ledger_consistent()


def test_a_matched_payer_iban_is_learned_and_identifies_the_next_payment(ledger):
    acme = ledger["customers"]["Acme GmbH"]
    statement_import(file_name="a.csv", content=csv_text([Entry("100.00", "AC-0001001", "Acme", "NL91 ABNA 0417 1643 00", bank_ref="X1")]).encode())
    assert CustomerBankAccount.objects.filter(customer=acme, iban="NL91ABNA0417164300").exists()

    result = statement_import(file_name="b.csv", content=csv_text([Entry("75.50", "", "", "NL91ABNA0417164300", bank_ref="X2")]).encode())

    line = result.statement.lines.get()
    assert line.status == "matched"
    assert line.matched_customer == acme
    assert any("IBAN" in words for words in line.evidence)


def test_the_same_file_is_refused_the_second_time(ledger, mixed):
    content = camt053([e for e, _ in mixed])
    statement_import(file_name="s.xml", content=content)

    with pytest.raises(StatementError) as err:
        statement_import(file_name="copy.xml", content=content)

    assert err.value.code == StatementErrorCode.DUPLICATE_FILE
    assert "copy.xml" in err.value.message
    assert "already imported" in err.value.message
    assert BankStatement.objects.count() == 1


def test_a_line_in_two_overlapping_files_is_posted_once(ledger):
    first = [Entry("100.00", "AC-0001001", "Acme", bank_ref="SAME-1")]
    second = [Entry("100.00", "AC-0001001", "Acme", bank_ref="SAME-1"), Entry("250.00", "AC-0001002", "Acme", bank_ref="NEW-2")]
    statement_import(file_name="day1.xml", content=camt053(first, stmt_id="D1"))

    result = statement_import(file_name="day2.xml", content=camt053(second, stmt_id="D2"))

    assert result.report["duplicates"] == 1
    assert result.report["auto_matched"] == 1
    assert Payment.objects.count() == 2
    assert Allocation.objects.filter(document__external_id="AC-0001001").count() == 1
    assert_ledger_consistent()


def test_lines_without_bank_reference_are_recognised_again_by_content(ledger):
    rows = [Entry("100.00", "AC-0001001", "Acme"), Entry("5.00", "coffee", "Someone"), Entry("5.00", "coffee", "Someone")]
    statement_import(file_name="a.csv", content=csv_text(rows).encode())

    result = statement_import(file_name="b.csv", content=(csv_text(rows) + "\n").encode())

    assert result.report["duplicates"] == 3
    assert StatementLine.objects.count() == 3  # the two identical coffee lines are both kept the first time


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("bad.xml", camt053([Entry("12.x0", "x")]), ("bad.xml, line 9", "Ntry/Amt")),
        ("bad.xml", camt053([Entry("10.00", "ok")]).replace(b"CRDT", b"CRED"), ("bad.xml, line 9", "CdtDbtInd")),
        ("bad.xml", camt053([Entry("10.00", "ok")])[:-30], ("bad.xml, line", "not well-formed")),
        ("bad.sta", mt940([Entry("10.00", "ok")]).replace("NTRF", "").replace(":61:2603020302C10,00", ":61:26X").encode(), ("bad.sta, line 5", ":61:")),
        ("bad.csv", csv_text([Entry("10.00", "ok"), Entry("1O.00", "typo")]).encode(), ("bad.csv, line 3", "Amount")),
        ("bad.csv", b"Date,Amount,Currency\n2026-13-01,10.00,EUR\n", ("bad.csv, line 2", "Date")),
        ("bad.csv", b"Date,Amount,Currency\n2026-03-01,10.00,EUX\n", ("bad.csv, line 2", "Currency")),
        ("bad.csv", b"When,Amount\n2026-03-01,10.00\n", ("bad.csv, line 1", "date")),
    ],
)
def test_a_bad_file_names_file_line_and_field_and_writes_nothing(ledger, name, content, where):
    with pytest.raises(StatementError) as err:
        statement_import(file_name=name, content=content)

    for part in where:
        assert part in err.value.message, err.value.message
    assert BankStatement.objects.count() == 0
    assert StatementLine.objects.count() == 0
    assert Payment.objects.count() == 0


def test_xml_with_entity_declarations_is_refused(ledger):
    evil = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
    with pytest.raises(StatementError) as err:
        statement_import(file_name="evil.xml", content=evil, format="camt053")
    assert err.value.code == StatementErrorCode.UNSAFE_XML


def test_dry_run_reports_the_match_rate_and_writes_nothing(ledger, mixed):
    result = statement_import(file_name="s.xml", content=camt053([e for e, _ in mixed]), dry_run=True)

    assert result.statement is None
    assert result.report["auto_matched"] == 10
    assert result.report["dry_run"] is True
    assert BankStatement.objects.count() == 0
    assert Payment.objects.count() == 0
    assert Document.objects.filter(status="paid").count() == 0


def test_an_import_is_audited_and_automatic_allocations_are_audited(ledger, mixed):
    statement_import(file_name="s.xml", content=camt053([e for e, _ in mixed]))

    assert AuditEvent.objects.filter(action="statement_import").count() == 1
    assert AuditEvent.objects.filter(action="allocate").count() == Allocation.objects.count()


@pytest.mark.smoke
def test_an_invoice_number_in_the_text_pays_the_invoice(ledger):
    result = statement_import(file_name="one.csv", content=csv_text([Entry("100.00", "Invoice AC-0001001")]).encode())

    line = result.statement.lines.get()
    assert line.status == "matched"
    assert float(line.confidence) >= 0.9
    assert ledger["docs"]["AC-0001001"].__class__.objects.get(external_id="AC-0001001").status == "paid"
