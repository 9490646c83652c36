"""A small ledger built by hand, whose KPIs the tests compute on paper (see the comments per figure).

Q3 2026 (1 Jul - 30 Sep, 92 days), one business unit in EUR, two customers:

    A (collector c1, segment smb)              B (collector c2, segment ent)
    INV0 6,000 issued 04-01 due 05-01,         INV4 5,000 issued 08-01 due 08-31, paid 09-15
         paid 07-20                            INV5   400 issued 06-01 due 07-01, written off 09-30
    INV1 1,000 issued 05-15 due 06-14,         CN1    500 credit note issued 09-10, unapplied
         600 paid 08-10
    INV2 3,000 issued 07-10 due 08-09, paid 10-05 (after the quarter)
    INV3 2,000 issued 09-20 due 10-20
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arrears.ledger.models import BusinessUnit, Customer, Document, DocumentKind
from arrears.ledger.services import document_write_off, payment_allocate, payment_create
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory

D = dt.date
Q3 = (D(2026, 7, 1), D(2026, 9, 30))


@dataclass
class Ledger:
    bu: BusinessUnit
    a: Customer
    b: Customer
    c1: Any
    c2: Any
    docs: dict[str, Document]


def doc(customer: Customer, ref: str, issued: dt.date, due: dt.date, amount: str, kind: str = DocumentKind.INVOICE) -> Document:
    return DocumentFactory(customer=customer, external_id=ref, issue_date=issued, due_date=due, amount=Decimal(amount), kind=kind)


def pay(customer: Customer, ref: str, on: dt.date, allocations: list[tuple[Document, str]]) -> None:
    total = sum((Decimal(a) for _, a in allocations), Decimal(0))
    payment = payment_create(business_unit=customer.business_unit, customer=customer, external_id=ref,
                             received_date=on, amount=total, currency=customer.business_unit.home_currency)
    payment_allocate(payment=payment, allocations=[(d, Decimal(a)) for d, a in allocations], date=on)


def build_ledger(make_user: Any) -> Ledger:
    bu = BusinessUnitFactory()
    c1, c2 = make_user("c1"), make_user("c2")
    a = CustomerFactory(business_unit=bu, name="Alpha", segment="smb", collector=c1)
    b = CustomerFactory(business_unit=bu, name="Beta", segment="ent", collector=c2)
    docs = {
        "INV0": doc(a, "INV0", D(2026, 4, 1), D(2026, 5, 1), "6000"),
        "INV1": doc(a, "INV1", D(2026, 5, 15), D(2026, 6, 14), "1000"),
        "INV2": doc(a, "INV2", D(2026, 7, 10), D(2026, 8, 9), "3000"),
        "INV3": doc(a, "INV3", D(2026, 9, 20), D(2026, 10, 20), "2000"),
        "INV4": doc(b, "INV4", D(2026, 8, 1), D(2026, 8, 31), "5000"),
        "INV5": doc(b, "INV5", D(2026, 6, 1), D(2026, 7, 1), "400"),
        "CN1": doc(b, "CN1", D(2026, 9, 10), D(2026, 9, 10), "500", kind=DocumentKind.CREDIT_NOTE),
    }
    pay(a, "P0", D(2026, 7, 20), [(docs["INV0"], "6000")])
    pay(a, "P1", D(2026, 8, 10), [(docs["INV1"], "600")])
    pay(b, "P4", D(2026, 9, 15), [(docs["INV4"], "5000")])
    pay(a, "P2", D(2026, 10, 5), [(docs["INV2"], "3000")])
    document_write_off(document=docs["INV5"], date=D(2026, 9, 30), reason="uncollectible")
    return Ledger(bu=bu, a=a, b=b, c1=c1, c2=c2, docs=docs)
