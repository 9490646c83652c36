"""Morning build for one collector with many accounts:
`DJANGO_SETTINGS_MODULE=config.settings.test python -m arrears.worklist.benchmark [accounts]`.

Creates a throw-away test database (SQLite in memory, or PostgreSQL's test_<name> with DATABASE_URL),
gives one collector `accounts` customers with two open invoices each (one overdue), and puts every
account on the worklist: a follow-up on each, a broken promise on every fourth, a dispute past its
SLA on every tenth. Then times `worklist_build`: the first run inserts, the second changes nothing, the
third follows a day's changes (new follow-up notes, follow-ups done); then its two halves on their own.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from decimal import Decimal
from typing import Any


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


def _timed(label: str, run: Any) -> Any:
    """Run once; print the wall and CPU time of this process (the database's too on SQLite, which runs
    in-process; PostgreSQL works in its own processes, so there wall minus CPU includes the server)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    detail = f" ({value.created} created, {value.updated} updated, {value.closed} closed)" if hasattr(value, "created") else ""
    sys.stdout.write(f"  {label:<34} {wall:6.2f}s wall {cpu:6.2f}s CPU{detail}\n")
    return value


def measure(n: int, *, as_of: dt.date) -> None:
    from arrears.worklist.models import FollowUp, WorklistItem
    from arrears.worklist.selectors import account_risk_for_customers, worklist_candidates
    from arrears.worklist.selectors.risk import account_risk_columns
    from arrears.worklist.services import worklist_build

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    sys.stdout.write(f"{n} accounts on {connection_vendor()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
                     f"on {os.cpu_count()} CPUs\n")
    _timed("first build (inserts)", lambda: worklist_build(as_of=as_of))
    _timed("second build (no change)", lambda: worklist_build(as_of=as_of))
    # A day's changes: a note on every tenth follow-up (its item's reason changes), every twentieth done.
    follow_ups = list(FollowUp.objects.order_by("pk").values_list("pk", flat=True))
    FollowUp.objects.filter(pk__in=follow_ups[::10]).update(note="call back after 3 pm")
    FollowUp.objects.filter(pk__in=follow_ups[5::20]).update(done_at=dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    _timed("third build (10% changed, 5% gone)", lambda: worklist_build(as_of=as_of))
    candidates = _timed("  of which: candidates", lambda: worklist_candidates(as_of=as_of))
    ids = {c.customer_id for c in candidates}
    _timed("  of which: expected values", lambda: account_risk_columns(customer_ids=ids, as_of=as_of))
    _timed("one account's expected value", lambda: account_risk_for_customers(customer_ids=[min(ids)], as_of=as_of))
    items = WorklistItem.objects.filter(as_of=as_of).count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    sys.stdout.write(f"{items} worklist items; load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
