"""A small ledger with known customers and open invoices, and a realistic mixed statement for it.

`MIXED` lists every line of the mixed statement with the match we expect, so each format test can
assert line by line: (status, customer name or None, {document: amount allocated}).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory
from arrears.payments.models import CustomerBankAccount
from arrears.payments.references import creditor_reference_for
from arrears.payments.tests.builders import Entry

DELTA_IBAN = "FR1420041010050500013M02606"
UNKNOWN_IBAN = "GB82WEST12345698765432"
ACME_IBAN = "NL91ABNA0417164300"

DOCS = {
    # customer name: [(document number, amount, due date)], oldest first
    "Acme GmbH": [("AC-0001001", "100.00", "2026-01-31"), ("AC-0001002", "250.00", "2026-02-15"),
                  ("AC-0001003", "400.00", "2026-03-01"), ("AC-0001004", "75.50", "2026-03-10")],
    "Beta Ltd": [("B-2001", "1000.00", "2026-02-01"), ("B-2002", "500.00", "2026-02-20")],
    "Gamma Inc.": [("INV-2026-0042", "300.00", "2026-02-05")],
    "Delta SA": [("D-4001", "800.00", "2026-01-15"), ("D-4002", "150.00", "2026-02-15")],
    "Epsilon Oy": [("E-5001", "120.00", "2026-02-28")],
    "Zeta Corporation": [("Z-1", "10.00", "2026-01-10"), ("Z-2", "20.00", "2026-01-20"), ("Z-3", "30.00", "2026-01-30")],
}


@pytest.fixture
def ledger(db):
    """Customers by name and documents by number; Delta's IBAN is already known."""
    unit = BusinessUnitFactory()
    customers, docs = {}, {}
    for name, rows in DOCS.items():
        customer = CustomerFactory(business_unit=unit, name=name)
        customers[name] = customer
        for number, amount, due in rows:
            due_date = dt.date.fromisoformat(due)
            docs[number] = DocumentFactory(customer=customer, external_id=number, amount=Decimal(amount),
                                           issue_date=due_date - dt.timedelta(days=30), due_date=due_date)
    CustomerBankAccount.objects.create(customer=customers["Delta SA"], iban=DELTA_IBAN, holder_name="Delta SA")
    return {"customers": customers, "docs": docs, "unit": unit}


def mixed_entries(docs) -> list[tuple[Entry, tuple[str, str | None, dict[str, str]]]]:
    rf = creditor_reference_for(docs["E-5001"])
    return [
        # exact document number, exact amount
        (Entry("100.00", "Invoice AC-0001001", "ACME GMBH", ACME_IBAN, bank_ref="R01"),
         ("matched", "Acme GmbH", {"AC-0001001": "100.00"})),
        # messy: lower case, no zeros, several numbers, one prefix -> combined payment of two documents
        (Entry("650.00", "re: ac 1002 + 1003 thx", "Acme", "", bank_ref="R02"),
         ("matched", "Acme GmbH", {"AC-0001002": "250.00", "AC-0001003": "400.00"})),
        # split payment: one invoice paid by two lines
        (Entry("600.00", "B-2001 first part", "Beta Ltd", "", bank_ref="R03"),
         ("matched", "Beta Ltd", {"B-2001": "600.00"})),
        (Entry("400.00", "rest of b2001", "Beta Ltd", "", bank_ref="R04"),
         ("matched", "Beta Ltd", {"B-2001": "400.00"})),
        # structured creditor reference, no text at all
        (Entry("120.00", "", "E. Oy", "", ref=rf, bank_ref="R05"),
         ("matched", "Epsilon Oy", {"E-5001": "120.00"})),
        # short-paid: partial allocation
        (Entry("200.00", "inv. 2026/0042", "Gamma", "", bank_ref="R06"),
         ("matched", "Gamma Inc.", {"INV-2026-0042": "200.00"})),
        # over-paid: the rest is unapplied cash
        (Entry("900.00", "Rechnung D 4001", "DELTA S.A.", DELTA_IBAN, bank_ref="R07"),
         ("matched", "Delta SA", {"D-4001": "800.00"})),
        # known IBAN, no text, amount = one open invoice
        (Entry("150.00", "", "Delta", DELTA_IBAN, bank_ref="R08"),
         ("matched", "Delta SA", {"D-4002": "150.00"})),
        # name only (legal form spelled differently) and exactly one open invoice of that amount
        (Entry("500.00", "", "BETA LIMITED", "", bank_ref="R09"),
         ("matched", "Beta Ltd", {"B-2002": "500.00"})),
        # combined: one line paying three documents
        (Entry("60.00", "Z-1, Z-2, Z-3", "Zeta Corp", "", bank_ref="R10"),
         ("matched", "Zeta Corporation", {"Z-1": "10.00", "Z-2": "20.00", "Z-3": "30.00"})),
        # fuzzy name only, amount = what is left of the Gamma invoice: a suggestion, not posted
        (Entry("100.00", "", "Gama Inc", "", bank_ref="R11"),
         ("suggested", "Gamma Inc.", {"INV-2026-0042": "100.00"})),
        # amount only: one open document has it, the payer is unknown: a suggestion
        (Entry("75.50", "", "", "", bank_ref="R12"),
         ("suggested", "Acme GmbH", {"AC-0001004": "75.50"})),
        # unknown payer, no reference, amount fits nothing
        (Entry("33.33", "birthday present", "Random Person", UNKNOWN_IBAN, bank_ref="R13"),
         ("unmatched", None, {})),
        # a debit (bank fee): ignored, never matched
        (Entry("4.90", "account fee", "Our Bank", "", credit=False, bank_ref="R14"),
         ("ignored", None, {})),
    ]


@pytest.fixture
def mixed(ledger):
    return mixed_entries(ledger["docs"])


@pytest.fixture
def lead(make_user):
    return make_user("lena", role="lead")


@pytest.fixture
def head(make_user):
    return make_user("hugo", role="head")
