from __future__ import annotations

from pathlib import Path

import pytest

from arrears.audit.models import AuditEvent
from arrears.imports.services import import_result_json, import_run_execute
from arrears.ledger.models import Allocation, BusinessUnit, Customer, Document, Payment

NATIVE_HEADER = ("customer_id,customer_name,customer_country,document_id,kind,issue_date,due_date,amount,currency,"
                 "reference,payment_id,payment_date,payment_amount")
NATIVE_ROWS = [
    "C001,Acme GmbH,DE,INV-1,invoice,2026-01-05,2026-02-04,100.00,EUR,PO-7,PAY-1,2026-01-20,40.00",
    "C001,Acme GmbH,DE,INV-2,invoice,2026-01-10,2026-02-09,250.50,EUR,,PAY-1,2026-01-20,250.50",
    "C002,Brix Ltd,GB,INV-3,invoice,2026-01-12,2026-02-11,80.00,EUR,,,,",
    "C002,Brix Ltd,GB,CN-1,credit_note,2026-01-15,2026-01-15,20.00,EUR,,,,",
]


def native_csv(rows: list[str] | None = None, header: str = NATIVE_HEADER) -> bytes:
    return ("\n".join([header, *(NATIVE_ROWS if rows is None else rows)]) + "\n").encode()


def ledger_counts() -> dict[str, int]:
    return {
        "business_units": BusinessUnit.objects.count(), "customers": Customer.objects.count(),
        "documents": Document.objects.count(), "payments": Payment.objects.count(),
        "allocations": Allocation.objects.count(), "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def unit(db) -> BusinessUnit:
    return BusinessUnit.objects.create(code="ACME-DE", name="Acme Holding GmbH", home_currency="EUR", country="DE")


@pytest.fixture
def run_import(db):
    """Import bytes and return the CLI/API JSON document."""

    def run(data: bytes, *, file_name: str = "documents.csv", profile: str = "arrears-documents", **kwargs) -> dict:
        kwargs.setdefault("business_unit_code", "ACME-DE" if profile == "arrears-documents" else None)
        outcome = import_run_execute(data=data, file_name=file_name, profile_name=profile, **kwargs)
        return import_result_json(outcome.run)

    return run


@pytest.fixture
def ibm_bytes(ibm_csv: Path) -> bytes:
    return ibm_csv.read_bytes()
