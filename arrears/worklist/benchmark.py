"""Morning build for one collector with many accounts:
`DJANGO_SETTINGS_MODULE=config.settings.test python -m arrears.worklist.benchmark [accounts]`.

Creates a throw-away test database (SQLite in memory, or PostgreSQL's test_<name> with DATABASE_URL),
gives one collector `accounts` customers with two open invoices each (one overdue), and puts every
account on the worklist: a follow-up on each, a broken promise on every fourth, a dispute past its
SLA on every tenth. Then times `worklist_build` (first run inserts, second run changes nothing).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from decimal import Decimal


def main(n: int = 20_000) -> None:
    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        _run(n)
    finally:
        teardown_databases(old, verbosity=0)


AS_OF = dt.date(2026, 3, 10)


def _run(n: int) -> None:
    populate(n, as_of=AS_OF)
    measure(n, as_of=AS_OF)


def populate(n: int, *, as_of: dt.date) -> None:
    """One collector with `n` accounts, each on the worklist (see the module's docstring)."""
    from arrears.disputes.models import Dispute
    from arrears.ledger.models import BusinessUnit, Customer, Document
    from arrears.promises.models import Promise, PromiseEvent
    from arrears.users.models import User
    from arrears.worklist.models import FollowUp

    user = User.objects.create(username="cora", role="collector")
    unit = BusinessUnit.objects.create(code="BU", name="BU", home_currency="EUR", country="DE")
    Customer.objects.bulk_create(
        [Customer(business_unit=unit, external_id=f"C{i}", name=f"Customer {i}", collector=user) for i in range(n)], batch_size=5000
    )
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    docs = []
    for i, pk in enumerate(ids):
        for k, due in enumerate((as_of - dt.timedelta(days=5 + i % 120), as_of + dt.timedelta(days=10))):
            amount = Decimal(100 + (i * 37) % 9000)
            docs.append(Document(business_unit=unit, customer_id=pk, external_id=f"D{i}-{k}", issue_date=due - dt.timedelta(days=30),
                                 due_date=due, amount=amount, open_amount=amount, currency="EUR"))
    Document.objects.bulk_create(docs, batch_size=5000)
    FollowUp.objects.bulk_create([FollowUp(customer_id=pk, user=user, date=as_of) for pk in ids], batch_size=5000)
    promises = Promise.objects.bulk_create([
        Promise(customer_id=pk, amount=Decimal(50), currency="EUR", made_on=as_of - dt.timedelta(days=9),
                promised_date=as_of - dt.timedelta(days=5), grace_days=3, deadline=as_of - dt.timedelta(days=2), status="broken")
        for pk in ids[::4]
    ], batch_size=5000)
    PromiseEvent.objects.bulk_create([
        PromiseEvent(customer_id=p.customer_id, kind="promise_broken", promise=p, date=as_of - dt.timedelta(days=1), amount=Decimal(50))
        for p in promises
    ], batch_size=5000)
    now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    Dispute.objects.bulk_create([
        Dispute(customer_id=pk, reason="pricing", currency="EUR", disputed_amount=Decimal(10), opened_at=now,
                opened_on=dt.date(2026, 2, 1), sla_days=14, due_date=dt.date(2026, 2, 15))
        for pk in ids[::10]
    ], batch_size=5000)


def measure(n: int, *, as_of: dt.date) -> None:
    from arrears.worklist.models import WorklistItem
    from arrears.worklist.selectors import account_risk_for_customers, worklist_candidates
    from arrears.worklist.services import worklist_build

    wall = time.perf_counter()
    candidates = worklist_candidates(as_of=as_of)
    t_candidates = time.perf_counter() - wall
    wall = time.perf_counter()
    account_risk_for_customers(customer_ids={c.customer_id for c in candidates}, as_of=as_of)
    t_risk = time.perf_counter() - wall
    timings = []
    for _ in range(2):
        wall = time.perf_counter()
        result = worklist_build(as_of=as_of)
        timings.append((time.perf_counter() - wall, result))
    items = WorklistItem.objects.filter(as_of=as_of).count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    (first, r1), (second, r2) = timings
    sys.stdout.write(
        f"{n} accounts, {items} worklist items: first build {first:.2f}s (created {r1.created}), "
        f"second build {second:.2f}s (created {r2.created}, updated {r2.updated}); of which candidates {t_candidates:.2f}s, "
        f"expected values {t_risk:.2f}s; load {load:.2f}\n"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
