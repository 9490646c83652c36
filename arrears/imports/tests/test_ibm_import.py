"""The IBM late-payment sample through the shipped `ibm-late-payment` profile."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db.models import Sum

from arrears.audit.models import AuditEvent
from arrears.imports.tests.conftest import ledger_counts
from arrears.ledger.models import Allocation, BusinessUnit, Customer, Document, Payment

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def expected(ibm_bytes: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ibm_bytes.decode("utf-8"))))


def test_ibm_file_imports_every_invoice_customer_and_settlement(ibm_bytes, run_import):
    rows = expected(ibm_bytes)
    total = sum((Decimal(r["InvoiceAmount"]) for r in rows), Decimal(0))

    result = run_import(ibm_bytes, file_name="WA_Fn-UseC_-Accounts-Receivable.csv", profile="ibm-late-payment")

    assert result["status"] == "ok", result["errors"][:5]
    assert result["counts"] == {
        "customers": {"created": 100, "updated": 0, "unchanged": 0},
        "documents": {"created": 2466, "updated": 0, "unchanged": 0},
        "payments": {"created": 2466, "updated": 0, "unchanged": 0},
    }
    unit = BusinessUnit.objects.get(code="IBM")
    assert unit.home_currency == "USD"
    assert (Customer.objects.count(), Document.objects.count(), Payment.objects.count()) == (100, 2466, 2466)
    assert Document.objects.aggregate(s=Sum("amount"))["s"] == total
    assert Payment.objects.aggregate(s=Sum("amount"))["s"] == total
    assert Allocation.objects.count() == 2466
    assert set(Document.objects.values_list("currency", "status", "open_amount")) == {("USD", "paid", Decimal(0))}

    first = rows[0]
    doc = Document.objects.select_related("customer").get(business_unit=unit, external_id=first["invoiceNumber"])
    assert doc.external_id == "0000611365"  # leading zeros kept
    assert doc.customer.external_id == first["customerID"]
    assert doc.customer.attributes == {"country_code": first["countryCode"]}
    assert doc.attributes == {"disputed": first["Disputed"] == "Yes", "paperless_bill": first["PaperlessBill"],
                              "paperless_date": first["PaperlessDate"]}
    month, day, year = (int(x) for x in first["SettledDate"].split("/"))
    assert doc.closed_date == dt.date(year, month, day)
    payment = Payment.objects.get(external_id=f"PAY-{first['invoiceNumber']}")
    assert (payment.amount, payment.unapplied_amount, payment.received_date) == (doc.amount, Decimal(0), doc.closed_date)


def test_reimporting_the_ibm_file_is_a_no_op(ibm_bytes, run_import):
    run_import(ibm_bytes, profile="ibm-late-payment")
    before = ledger_counts()

    result = run_import(ibm_bytes, profile="ibm-late-payment")

    assert result["counts"] == {
        "customers": {"created": 0, "updated": 0, "unchanged": 100},
        "documents": {"created": 0, "updated": 0, "unchanged": 2466},
        "payments": {"created": 0, "updated": 0, "unchanged": 2466},
    }
    assert ledger_counts() == {**before, "audit_events": before["audit_events"] + 1}
    assert list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:1]) == ["import"]


def test_a_changed_ibm_amount_updates_that_invoice_and_its_settlement(ibm_bytes, run_import):
    run_import(ibm_bytes, profile="ibm-late-payment")
    changed = ibm_bytes.replace(b",0000611365,1/2/2013,2/1/2013,55.94,", b",0000611365,1/2/2013,2/1/2013,65.94,")
    assert changed != ibm_bytes
    audits = AuditEvent.objects.count()

    result = run_import(changed, profile="ibm-late-payment")

    assert result["counts"]["documents"] == {"created": 0, "updated": 1, "unchanged": 2465}
    assert result["counts"]["payments"] == {"created": 0, "updated": 1, "unchanged": 2465}
    doc = Document.objects.get(external_id="0000611365")
    assert (doc.amount, doc.open_amount, doc.status) == (Decimal("65.94"), Decimal(0), "paid")
    update = AuditEvent.objects.get(action="update", object_type="ledger.document")
    assert (update.before, update.after) == ({"amount": "55.940"}, {"amount": "65.940"})
    assert AuditEvent.objects.filter(action="update", object_type="ledger.payment").count() == 1
    assert AuditEvent.objects.count() > audits
