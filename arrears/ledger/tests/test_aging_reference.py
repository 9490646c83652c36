"""The optimised aging report (grouped SQL, partial indexes, lazy rows) against the definition,
computed one document at a time in Python, on a seeded random ledger; and the pieces that make
the report fast (lazy rows, streaming exports, the indexes the queries use)."""

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import load_workbook

from arrears.ledger import aging
from arrears.ledger.aging import AgingRows, _Units, age_bucket, aging_buckets, aging_report
from arrears.ledger.exports import table_to_csv, table_to_csv_chunks, table_to_xlsx
from arrears.ledger.models import Allocation, Document, DocumentKind, Payment
from arrears.ledger.services import credit_note_apply, document_write_off, payment_allocate
from arrears.ledger.tests.factories import (
    BusinessUnitFactory,
    CustomerFactory,
    DocumentFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
START = dt.date(2025, 1, 1)
AS_OFS = (dt.date(2025, 1, 20), dt.date(2025, 3, 15), dt.date(2025, 5, 31), dt.date(2025, 8, 1), dt.date(2026, 1, 1))


@pytest.fixture
def random_ledger(make_user):
    """Two business units (EUR, and GBP with a EUR customer), collectors and segments; invoices
    and debit notes, some disputed; partial payments allocated on or after receipt, credit notes
    applied later, write-offs, unapplied cash; amounts with three decimals now and then."""
    rng = random.Random(20260331)
    collectors = [make_user("ann"), make_user("ben"), None]
    units = [BusinessUnitFactory(code="EU", home_currency="EUR"), BusinessUnitFactory(code="UK", home_currency="GBP")]
    customers = [
        CustomerFactory(business_unit=units[i % 2], collector=collectors[i % 3], segment=["smb", "enterprise", ""][i % 3])
        for i in range(7)
    ]
    for i in range(70):
        cust = rng.choice(customers)
        issued = START + dt.timedelta(days=rng.randrange(200))
        kind = DocumentKind.CREDIT_NOTE if i % 6 == 0 else DocumentKind.DEBIT_NOTE if i % 11 == 0 else DocumentKind.INVOICE
        amount = D(rng.randrange(100, 900_000)) / (1000 if i % 9 == 0 else 100)
        DocumentFactory(
            customer=cust, kind=kind, issue_date=issued, amount=amount,
            due_date=issued + dt.timedelta(days=rng.choice([0, 14, 30, 60, 90])),
            attributes={"disputed": True} if kind != DocumentKind.CREDIT_NOTE and i % 5 == 1 else {},
        )
    for _ in range(35):
        cust = rng.choice(customers)
        pay = PaymentFactory(customer=cust, amount=D(rng.randrange(100, 400_000)) / 100,
                             received_date=START + dt.timedelta(days=rng.randrange(10, 320)))
        if rng.random() < 0.8:  # the rest stays unapplied
            open_docs = list(Document.objects.filter(customer=cust, open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE))
            picks, left = [], pay.amount
            for doc in rng.sample(open_docs, min(len(open_docs), 2)):
                part = min(left, (doc.open_amount * D(rng.choice(["0.5", "1"]))).quantize(D("0.01")))
                if part > 0:
                    picks.append((doc, part))
                    left -= part
            if picks:
                payment_allocate(payment=pay, allocations=picks, date=pay.received_date + dt.timedelta(days=rng.randrange(40)))
    for cn in Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).order_by("pk"):
        target = (Document.objects.filter(customer=cn.customer, open_amount__gt=0)
                  .exclude(kind=DocumentKind.CREDIT_NOTE).order_by("pk").first())
        if target and rng.random() < 0.7:
            credit_note_apply(credit_note=cn, document=target, amount=min(cn.open_amount, target.open_amount) / 2,
                              date=max(cn.issue_date, target.issue_date) + dt.timedelta(days=rng.randrange(90)))
    for doc in (Document.objects.filter(open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE).order_by("pk")[:40:6]):
        document_write_off(document=doc, date=doc.due_date + dt.timedelta(days=rng.randrange(30, 200)), reason="test",
                           amount=None if rng.random() < 0.5 else (doc.open_amount / 3).quantize(D("0.01")))
    assert Allocation.objects.filter(source="write_off").exists()
    assert Allocation.objects.filter(source="credit_note").exists()
    assert Allocation.objects.filter(date__gt=AS_OFS[2]).exists()
    return customers


def _key(by, customer, business_unit_id):
    return {"customer": customer.pk, "collector": customer.collector_id, "segment": customer.segment,
            "business-unit": business_unit_id}[by]


def _reference(as_of, by, basis):
    """The definition, one item at a time, in Decimals: amount less allocations dated <= as_of."""
    keys = [b.key for b in aging_buckets(basis)]
    out = {}

    def group(key, ccy):
        return out.setdefault((key, ccy), {"buckets": dict.fromkeys(keys, D(0)), "credits": D(0),
                                           "disputed": D(0), "count": 0})

    for doc in Document.objects.select_related("customer").order_by("pk"):
        if doc.issue_date > as_of:
            continue
        g = group(_key(by, doc.customer, doc.business_unit_id), doc.currency)
        if doc.kind == DocumentKind.CREDIT_NOTE:
            used = sum((a.amount for a in Allocation.objects.filter(credit_note=doc, date__lte=as_of)), D(0))
            g["credits"] += doc.amount - used
            continue
        left = doc.amount - sum((a.amount for a in doc.allocations.filter(date__lte=as_of)), D(0))
        if left > 0:
            anchor = doc.due_date if basis == "due" else doc.issue_date
            g["buckets"][age_bucket(as_of=as_of, anchor=anchor, basis=basis)] += left
            g["count"] += 1
            if doc.attributes.get("disputed") is True:
                g["disputed"] += left
    for pay in Payment.objects.select_related("customer").filter(received_date__lte=as_of).order_by("pk"):
        used = sum((a.amount for a in pay.allocations.filter(date__lte=as_of)), D(0))
        group(_key(by, pay.customer, pay.business_unit_id), pay.currency)["credits"] += pay.amount - used
    cent = D("0.01")  # both currencies have two decimals; the report rounds each row half-up
    return {
        k: ([v.quantize(cent, "ROUND_HALF_UP") for v in g["buckets"].values()],
            -g["credits"].quantize(cent, "ROUND_HALF_UP"), g["disputed"].quantize(cent, "ROUND_HALF_UP"), g["count"])
        for k, g in out.items()
        if any(g["buckets"].values()) or g["credits"] or g["count"]
    }


@pytest.mark.parametrize("basis", ["due", "invoice"])
@pytest.mark.parametrize("by", ["customer", "collector", "segment", "business-unit"])
def test_report_equals_the_per_document_definition_for_every_grouping_and_basis(random_ledger, by, basis):
    for as_of in AS_OFS:
        report = aging_report(as_of=as_of, by=by, basis=basis)

        got = {(r.key, r.currency): (list(r.buckets), r.unapplied_credits, r.disputed, r.document_count)
               for r in report.rows}
        expected = _reference(as_of, by, basis)
        assert got == expected, (as_of, by, basis)
        for total in report.totals:  # the totals row is the sum of the rows shown
            rows = [r for r in report.rows if r.currency == total.currency]
            assert list(total.buckets) == [sum(col, D(0)) for col in zip(*(r.buckets for r in rows), strict=True)]
            assert total.unapplied_credits == sum((r.unapplied_credits for r in rows), D(0))
            assert total.disputed == sum((r.disputed for r in rows), D(0))
            assert total.document_count == sum(r.document_count for r in rows)


def test_disputed_and_three_decimal_amounts_are_in_the_random_ledger(random_ledger):
    """The reference test above is only as good as its ledger: it must hold the hard cases."""
    report = aging_report(as_of=AS_OFS[3])

    assert any(r.disputed for r in report.rows)
    assert any(d.amount != d.amount.quantize(D("0.01")) for d in Document.objects.all())
    assert {r.currency for r in report.rows} == {"EUR", "GBP"}


def test_rows_are_built_on_demand_and_compare_like_a_tuple(random_ledger):
    report = aging_report(as_of=AS_OFS[3])
    rows = report.rows

    assert isinstance(rows, AgingRows)
    built = tuple(rows)
    assert len(rows) == len(built) > 3
    assert rows == built
    assert rows == list(built)
    assert rows[1:3] == built[1:3]
    assert rows[-1] == built[-1]
    assert [r.label.casefold() for r in rows] == sorted(r.label.casefold() for r in rows)
    assert aging_report(as_of=dt.date(2020, 1, 1)).rows == ()


def test_as_dict_formats_amounts_as_the_decimals_would(random_ledger):
    report = aging_report(as_of=AS_OFS[3], by="collector")
    keys = report.bucket_keys

    fast = report.as_dict()["rows"]
    slow = [{"key": r.key, "label": r.label, "currency": r.currency,
             "buckets": {k: str(v) for k, v in zip(keys, r.buckets, strict=True)}, "total": str(r.total),
             "unapplied_credits": str(r.unapplied_credits), "net_balance": str(r.net_balance),
             "disputed": str(r.disputed), "document_count": r.document_count} for r in report.rows]
    assert fast == slow


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
def test_minor_unit_text_is_the_decimal_string(currency):
    units = _Units(currency)
    for value in (0, 1, -1, 5, -5, 99, 100, -100, 1234, -1050, 10**15 + 7, -(10**12)):
        assert units.text(value) == str(units.money(value)), (currency, value)


def test_rounding_half_up_happens_once_per_row_on_the_sum(make_user):
    # 0.005 + 0.005 EUR in one customer's row: 0.010 -> 0.01 (rounding each first would give 0.02).
    cust = CustomerFactory()
    for _ in range(2):
        DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 1), amount=D("0.005"))
    other = CustomerFactory()
    DocumentFactory(customer=other, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 1), amount=D("0.005"))

    report = aging_report(as_of=dt.date(2025, 6, 30))

    assert {r.key: r.total for r in report.rows} == {cust.pk: D("0.01"), other.pk: D("0.01")}
    assert report.total_row.total == D("0.02")


def test_csv_chunks_join_to_the_whole_file_and_stream_in_pieces():
    header = ["Key", "Name", "Amount", "Date"]
    rows = [[i, f"=Customer {i}", D(i) / 100, dt.date(2025, 1, 1)] for i in range(1_203)]

    chunks = list(table_to_csv_chunks(header, rows, rows_per_chunk=500))

    assert len(chunks) == 3
    assert b"".join(chunks) == table_to_csv(header, rows)
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert parsed[0] == header
    assert parsed[1202] == ["1201", "'=Customer 1201", "12.01", "2025-01-01"]


def test_xlsx_keeps_numbers_dates_bold_frozen_header_and_escapes_formulas():
    header = ["Key", "Name", "Amount", "Date"]
    rows = [[1, "=cmd()", D("1234.50"), dt.date(2025, 1, 2)], ["", "Total", D("-10.00"), None]]

    sheet = load_workbook(io.BytesIO(table_to_xlsx(header, rows, title="Aging"))).active

    assert sheet.title == "Aging"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet["B2"].value == "'=cmd()"
    assert (sheet["C2"].value, sheet["C2"].number_format) == (1234.5, "#,##0.00")
    assert sheet["D2"].value.date() == dt.date(2025, 1, 2)
    assert sheet["C3"].value == -10


def test_large_csv_export_streams_and_matches_the_report(client, make_user, monkeypatch):
    monkeypatch.setattr("arrears.web.views_aging.STREAM_CSV_ABOVE", 3)
    for i in range(5):
        DocumentFactory(customer=CustomerFactory(name=f"Customer {i}"), issue_date=dt.date(2025, 6, 1),
                        due_date=dt.date(2025, 6, 10), amount=D("10.00") + i)
    client.force_login(make_user("boss", role="head"))

    response = client.get("/aging/export.csv", {"as_of": "2025-06-30"})

    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == [f"Customer {i}" for i in range(5)] + ["Total"]
    assert rows[-1][rows[0].index("Total")] == "60.00"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="plans of tiny PostgreSQL tables are seq scans")
def test_queries_read_the_aging_indexes_on_sqlite(monkeypatch):
    """Open documents, disputed ones and unapplied cash come from their partial indexes (a covering
    scan for the first and the last): a filter written another way (status IN ...) would not."""
    scope = aging._Scope(as_of=dt.date(2025, 6, 30), by="customer", user=None, currency=None, filters={})
    buckets = aging_buckets("due")
    plans = []

    def explain(qs):
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plans.append(" ".join(str(row[-1]) for row in cursor.fetchall()))
        return []

    monkeypatch.setattr(aging, "_fetch", explain)
    aging._add_open_documents({}, scope, buckets, "due")
    aging._add_disputed_documents({}, scope, len(buckets))
    aging._add_unapplied_cash({}, scope, len(buckets))

    assert "COVERING INDEX document_open_aging_idx" in plans[0]
    assert "INDEX document_disputed_aging_idx" in plans[1]
    assert "COVERING INDEX payment_unapplied_aging_idx" in plans[2]
