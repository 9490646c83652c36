"""Time ``plan_dunning_run`` on a synthetic portfolio (the engine alone: no database).

    .venv/bin/python benchmarks/engine_bench.py --invoices 1000000 [--repeat 3] [--json]

About 5 open documents per customer, 3 strategies (6, 5 and 4 steps, one with an event step), two
business units with German and French public holidays, holds on a few percent of customers, some
disputes and promises, and events for 2 % of customers. Each size is built once and planned
``--repeat`` times; the report gives the median wall and CPU time of the plan and the peak RSS of
the process. Goal: 1,000,000 open documents in under 2 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from arrears_engine import (
    BusinessDayRule,
    Channel,
    Customers,
    DunningPolicy,
    EventKind,
    Events,
    OpenItems,
    Step,
    Strategy,
    Trigger,
    holiday_calendar,
    plan_dunning_run,
)

AS_OF = date(2026, 6, 15)
DAY = np.datetime64(AS_OF, "D")


def policy() -> DunningPolicy:
    d, p, e = Trigger.DAYS_FROM_DUE, Trigger.DAYS_AFTER_PREVIOUS, Trigger.EVENT
    standard = Strategy(
        name="standard",
        steps=(
            Step(d, -3, Channel.EMAIL),
            Step(d, 7, Channel.EMAIL),
            Step(d, 21, Channel.LETTER),
            Step(e, 0, Channel.LETTER, event=EventKind.PROMISE_BROKEN),
            Step(d, 45, Channel.CALL_TASK),
            Step(d, 90, Channel.AGENCY, min_amount_minor=100_00, allow_skip=False),
        ),
        thank_you=True,
    )
    gentle = Strategy(
        name="gentle",
        steps=(
            Step(d, 5, Channel.EMAIL),
            Step(p, 14, Channel.EMAIL),
            Step(p, 14, Channel.LETTER),
            Step(d, 60, Channel.ESCALATE_LEAD, business_days=BusinessDayRule.PREVIOUS),
            Step(d, 120, Channel.WRITE_OFF_PROPOSAL, allow_skip=False),
        ),
    )
    consumer = Strategy(
        name="consumer",
        steps=(
            Step(d, 10, Channel.SMS),
            Step(d, 30, Channel.LETTER, allow_skip=False),
            Step(d, 60, Channel.CALL_TASK),
            Step(d, 100, Channel.LEGAL, min_amount_minor=500_00),
        ),
    )
    years = [2025, 2026]
    return DunningPolicy(
        strategies=(standard, gentle, consumer),
        calendars=(holiday_calendar("DE", None, years), holiday_calendar("FR", None, years)),
    )


def portfolio(n_items: int, seed: int = 7) -> tuple[OpenItems, Customers, Events]:
    rng = np.random.default_rng(seed)
    m = max(n_items // 5, 1)
    customer = np.sort(rng.integers(0, m, n_items))
    due = DAY - rng.integers(-30, 150, n_items).astype("timedelta64[D]")
    level = rng.integers(-1, 3, n_items).astype(np.int16)
    last_sent = np.where(level >= 0, DAY - rng.integers(1, 30, n_items).astype("timedelta64[D]"), np.datetime64("NaT", "D"))
    open_minor = rng.integers(1_00, 5_000_00, n_items).astype(np.int64)
    disputed = np.where(rng.random(n_items) < 0.02, open_minor // rng.integers(1, 3, n_items), 0).astype(np.int64)
    items = OpenItems(
        document_id=np.arange(1, n_items + 1, dtype=np.int64),
        customer=customer.astype(np.int64),
        due_date=due,
        issue_date=due - np.timedelta64(30, "D"),
        open_minor=open_minor,
        currency=(rng.random(n_items) < 0.1).astype(np.int64),
        disputed_minor=disputed,
        level=level,
        last_sent=last_sent.astype("datetime64[D]"),
        currencies=("EUR", "USD"),
    )

    def few(p: float) -> np.ndarray:
        return rng.random(m) < p

    customers = Customers(
        strategy=rng.integers(0, 3, m).astype(np.int64),
        business_unit=rng.integers(0, 2, m).astype(np.int64),
        cease_communication=few(0.005),
        do_not_contact=few(0.01),
        bankruptcy=few(0.005),
        paused=few(0.01),
        promise_until=np.where(few(0.02), DAY + np.timedelta64(10, "D"), np.datetime64("NaT", "D")).astype("datetime64[D]"),
        plan_active=few(0.01),
        arm=(rng.random(m) < 0.2).astype(np.int8),
    )
    k = max(m // 50, 1)
    events = Events(
        customer=rng.integers(0, m, k).astype(np.int64),
        kind=rng.integers(0, len(EventKind), k).astype(np.int8),
        date=DAY - rng.integers(0, 20, k).astype("timedelta64[D]"),
        on_time=rng.random(k) < 0.5,
    )
    return items, customers, events


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(n: int, repeat: int) -> dict:
    t0 = time.perf_counter()
    items, customers, events = portfolio(n)
    build_s = time.perf_counter() - t0
    pol = policy()
    walls, cpus = [], []
    plan = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        plan = plan_dunning_run(items, customers, pol, as_of=AS_OF, events=events)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    assert plan is not None
    return {
        "invoices": n,
        "customers": len(customers),
        "build_s": round(build_s, 3),
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
        "runs_wall_s": [round(x, 3) for x in walls],
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "items_advancing": len(plan.actions),
        "messages": len(plan.messages),
        "held": int((plan.items.reason >= 10).sum()),
        "reasons": plan.reason_counts(),
        "channels": plan.message_counts(),
        "goal_met": n < 1_000_000 or statistics.median(walls) < 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, action="append", help="portfolio size (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    sizes = args.invoices or [10_000, 100_000, 1_000_000]
    results = [measure(n, args.repeat) for n in sizes]
    if args.json:
        print(json.dumps({"benchmark": "engine", "as_of": AS_OF.isoformat(), "results": results}, indent=2))
        return
    print(f"{'invoices':>10} {'customers':>10} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'advancing':>10} {'messages':>9}")
    for r in results:
        print(
            f"{r['invoices']:>10,} {r['customers']:>10,} {r['wall_s']:>8.3f} {r['cpu_s']:>8.3f} "
            f"{r['peak_rss_mib']:>9.1f} {r['items_advancing']:>10,} {r['messages']:>9,}"
        )


if __name__ == "__main__":
    main()
