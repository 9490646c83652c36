"""Throughput of `compliance_gate_many` with the ledger facts (not collected by the suite).

    .venv/bin/pytest arrears/compliance/tests/bench_gate_many.py -s -q [--customers N]

Builds N US consumers with a contact, an open invoice, an e-mail consent and three calls in the
week, then gates one planned call and one e-mail per customer, recording the decisions.
"""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.compliance.models import ContactAttempt
from arrears.compliance.services import compliance_gate_many
from arrears.compliance.tests.conftest import ny
from arrears.ledger.models import ChannelConsent, Contact, Customer, Document

N = int(os.environ.get("BENCH_N", "2000"))


@pytest.mark.django_db
def test_bench_gate_many(us_unit):
    customers = Customer.objects.bulk_create(
        Customer(business_unit=us_unit, external_id=f"B{i}", name=f"Bench {i}", kind="consumer",
                 jurisdiction="us_consumer", country="US") for i in range(N))
    contacts = Contact.objects.bulk_create(
        Contact(customer=c, name=c.name, email=f"b{i}@example.com", phone=f"+1212555{i % 10000:04d}", region="NY",
                country="US", is_primary=True) for i, c in enumerate(customers))
    ChannelConsent.objects.bulk_create(ChannelConsent(contact=c, channel="email", status="granted") for c in contacts)
    Document.objects.bulk_create(
        Document(business_unit=us_unit, customer=c, external_id=f"BI{i}", issue_date=dt.date(2026, 9, 1),
                 due_date=dt.date(2026, 10, 1), amount=Decimal("50"), open_amount=Decimal("50"), currency="USD")
        for i, c in enumerate(customers))
    ContactAttempt.objects.bulk_create(
        ContactAttempt(customer=c, contact=k, channel="phone", at=ny(2026, 11, day, 10))
        for c, k in zip(customers, contacts, strict=True) for day in (18, 19, 20))
    items = [{"customer": c.pk, "channel": ch, "when": ny(2026, 11, 23, 10)} for c in customers for ch in ("phone", "email")]

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            rows = profiler.runcall(compliance_gate_many, items=items)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        else:
            rows = compliance_gate_many(items=items)
        elapsed = time.perf_counter() - began

    assert len(rows) == 2 * N
    print(f"\ncompliance_gate_many: {len(rows):,} planned contacts for {N:,} customers in {elapsed:.2f} s "
          f"= {len(rows) / elapsed:,.0f} decisions/s, {len(queries.captured_queries)} queries "
          f"({connection.vendor})")
