"""Time `kpi_report` (every KPI of a period, arrears/analytics/selectors/kpis.py) over a large scratch ledger.

    .venv/bin/python benchmarks/kpi_bench.py                       # SQLite temp file, 1,000,000 documents
    .venv/bin/python benchmarks/kpi_bench.py --database-url postgresql://arrears:arrears@127.0.0.1:5432/arrears
    .venv/bin/python benchmarks/kpi_bench.py --documents 100000 --json

The ledger is the one of aging_bench.py (benchmarks/_ledger.py: 1,000,000 documents, 50,000 customers,
four business units in EUR, EUR, USD and GBP, payments and allocations, unapplied cash and credit
notes), plus write-offs of some old unpaid invoices and daily USD->EUR and GBP->EUR rates, so the report
is in one reporting currency (EUR) and converts two others at their transaction dates' rates.

Scenarios: March 2026 (a month) and Q1 2026 (a quarter), each with no grouping, --by business-unit and
--by collector. Each runs once to warm the caches, then --repeat times: median wall-clock and CPU time
(of this process; on PostgreSQL most of the work is in the server). Then one more run with every
reading step wrapped in a timer, so the slow part is known (`phases`: seconds per step, summed over
the steps' calls in that run). The machine's load average is reported before and after.

--extra-indexes creates, in the scratch database only, the ledger indexes listed in EXTRA_INDEXES
(they are not in arrears/ledger/models.py). --snapshots takes the daily balance snapshots of the
balance dates first and reads balances from them (balance_source="auto").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ledger import TODAY, django_setup, log, pg_admin, populate, scratch_url, timed

DB_NAME = "arrears_kpi_bench"
EXTRA_INDEXES = {
    # Ledger indexes measured here only (NOT in arrears/ledger/models.py; see docs/analytics.md, Performance).
    # Covering: "allocations dated after X" (the balances, the roll-rate cells and the cash) is read from
    # the index alone, without visiting the table's pages.
    "allocation_date_cover_idx": (
        "CREATE INDEX allocation_date_cover_idx ON ledger_allocation "
        "(date, document_id, source, payment_id, credit_note_id, amount, currency)"
    ),
}
SCENARIOS = (
    ("month", dt.date(2026, 3, 1), TODAY),
    ("quarter", dt.date(2026, 1, 1), TODAY),
)
GROUPINGS = (None, "business-unit", "collector")
REPORTING_CURRENCY = "EUR"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--documents", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=50_000)
    p.add_argument("--collectors", type=int, default=60)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--write-off-every", type=int, default=7, help="write off every Nth old unpaid invoice")
    p.add_argument("--database-url", help="PostgreSQL server URL; a scratch database is created beside it")
    p.add_argument("--sqlite-path", help="SQLite file to use (default: a temporary file)")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--reuse", action="store_true", help="the scratch database is already loaded: skip loading")
    p.add_argument("--extra-indexes", action="store_true", help=f"also create: {', '.join(EXTRA_INDEXES)}")
    p.add_argument("--snapshots", action="store_true", help="take balance snapshots and read balances from them")
    p.add_argument("--serial", action="store_true",
                   help="PostgreSQL: no parallel workers, so the server's CPU time is all in one process and measured")
    p.add_argument("--only", choices=[s[0] for s in SCENARIOS], help="run one period only")
    p.add_argument("--by", choices=["total", "business-unit", "collector"], action="append",
                   help="run these groupings only (repeatable; default: all three)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--seed", type=int, default=20260331)
    return p.parse_args(argv)


def load_fx_rates() -> int:
    """Daily USD->EUR and GBP->EUR rates over the ledger's two years (and a little before)."""
    from arrears.ledger.models import FxRate

    rows = []
    for i in range(800):
        day = TODAY - dt.timedelta(days=i)
        rows.append(FxRate(date=day, currency="USD", quote_currency="EUR", rate=Decimal("0.9") + Decimal(i % 50) / 1000))
        rows.append(FxRate(date=day, currency="GBP", quote_currency="EUR", rate=Decimal("1.15") + Decimal(i % 30) / 1000))
    FxRate.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


class PhaseTimer:
    """Wraps the reading steps kpi_report calls, adding up each step's wall time while installed."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._saved: list[tuple[Any, str, Any]] = []
        self.stack: list[str] = []
        self.queries: list[tuple[float, str, str]] = []  # (seconds, phase, SQL head)

    def sql(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """A connection.execute_wrapper: times every SQL statement against the step that sent it."""
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            phase = self.stack[-1] if self.stack else "(report)"
            self.queries.append((time.perf_counter() - t, phase, " ".join(sql.split())[:160]))

    def _wrap(self, owner: Any, attr: str, label: str) -> None:
        fn = getattr(owner, attr)

        def timed_fn(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            self.stack.append(label)
            try:
                return fn(*a, **kw)
            finally:
                self.stack.pop()
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t
                self.calls[label] = self.calls.get(label, 0) + 1

        self._saved.append((owner, attr, fn))
        setattr(owner, attr, timed_fn)

    def install(self) -> None:
        from arrears.analytics.selectors import activity, kpis, ledger

        # Whatever the report reads through: the names kpis.py imported, and the ledger module's own
        # (balances_at calls balances_live / balances_from_snapshots there).
        for owner in (kpis, ledger):
            for attr in ("balances_at", "balances_live", "balances_from_snapshots", "credit_sales", "cash_applied",
                         "write_offs", "credit_sales_raw", "cash_applied_raw", "write_offs_raw", "migration_cells",
                         "open_items_many", "balances_at_many",
                         "currencies_in_use"):
                if hasattr(owner, attr) and callable(getattr(owner, attr)):
                    self._wrap(owner, attr, f"{attr}" if owner is kpis else f"ledger.{attr}")
        for attr in ("promise_rows", "dispute_rows", "call_counts", "collector_targets", "labels_for"):
            self._wrap(activity, attr, f"activity.{attr}")

    def uninstall(self) -> None:
        for owner, attr, fn in reversed(self._saved):
            setattr(owner, attr, fn)
        self._saved.clear()


def server_cpu(connection: Any) -> Any:
    """A clock of the PostgreSQL backend's CPU seconds (user + system, from /proc), or None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():  # the server is on another machine
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    return seconds


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def run(args: argparse.Namespace) -> dict[str, Any]:
    url, admin = scratch_url(args, DB_NAME)
    if admin and not args.reuse:
        pg_admin(admin, f"DROP DATABASE IF EXISTS {DB_NAME}")
        pg_admin(admin, f"CREATE DATABASE {DB_NAME}")
    django_setup(url)
    from django.core.management import call_command
    from django.db import connection

    from arrears.analytics.selectors import kpi_report

    out: dict[str, Any] = {"backend": connection.vendor, "database": url.split("@")[-1], "today": TODAY.isoformat(),
                           "currency": REPORTING_CURRENCY, "repeat": args.repeat}
    try:
        if not args.reuse:
            t = time.perf_counter()
            call_command("migrate", verbosity=0)
            out["counts"] = populate(args, write_off_every=args.write_off_every)
            out["counts"]["fx_rates"] = load_fx_rates()
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            out["load_s"] = round(time.perf_counter() - t, 1)
            log(f"loaded in {out['load_s']} s")
        with connection.cursor() as cur:  # measure exactly the schema asked for
            for name, sql in EXTRA_INDEXES.items():
                cur.execute(f"DROP INDEX IF EXISTS {name}")
                if args.extra_indexes:
                    cur.execute(sql)
            # VACUUM sets the visibility map (as autovacuum does on a live database) so index-only scans work.
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        out["extra_indexes"] = sorted(EXTRA_INDEXES) if args.extra_indexes else []
        source = "live"
        if args.snapshots:
            from arrears.analytics.services import snapshot_take

            t = time.perf_counter()
            days = sorted({d for _, start, end in SCENARIOS for d in (start - dt.timedelta(days=1), end)})
            for day in days:
                snapshot_take(as_of=day, forecast=False)
            out["snapshots_taken"] = {"dates": [d.isoformat() for d in days], "seconds": round(time.perf_counter() - t, 1)}
            source = "auto"
        out["balance_source"] = source
        if args.serial and connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET max_parallel_workers_per_gather = 0")
        out["parallel_workers"] = "off" if args.serial else "server default"
        out["loadavg_before"] = loadavg()
        scenarios = []
        for label, start, end in SCENARIOS:
            if args.only and label != args.only:
                continue
            for by in GROUPINGS:
                if args.by and (by or "total") not in args.by:
                    continue

                def once(start: dt.date = start, end: dt.date = end, by: str | None = by) -> Any:
                    return kpi_report(start=start, end=end, by=by, currency=REPORTING_CURRENCY, balance_source=source)

                clock = server_cpu(connection)
                server = []

                def measured(once: Any = once, clock: Any = clock, server: list[float] = server) -> Any:
                    before = clock() if clock else 0.0
                    result = once()
                    if clock:
                        server.append(clock() - before)
                    return result

                figures, report = timed(measured, args.repeat)
                if clock:
                    figures["server_cpu_median_s"] = round(statistics.median(server[1:]), 4)
                phases = PhaseTimer()
                phases.install()
                try:
                    with connection.execute_wrapper(phases.sql):
                        t = time.perf_counter()
                        once()
                        phased_wall = time.perf_counter() - t
                finally:
                    phases.uninstall()
                total = report.total
                scenario = {
                    "period": label, "from": start.isoformat(), "to": end.isoformat(), "by": by or "total",
                    "groups": len(report.groups), **figures,
                    "phases_s": {k: round(v, 4) for k, v in sorted(phases.seconds.items(), key=lambda kv: -kv[1])},
                    "phases_run_wall_s": round(phased_wall, 4),
                    "sql_s": round(sum(q[0] for q in phases.queries), 4),
                    "sql_statements": len(phases.queries),
                    "slowest_sql": [{"s": round(q[0], 4), "phase": q[1], "sql": q[2]}
                                    for q in sorted(phases.queries, reverse=True)[:6]],
                    "figures": {k: total.figures[k] for k in ("credit_sales", "ar_begin", "ar_end", "cash_collected",
                                                              "write_offs", "open_documents_end")},
                    "dso": total.kpis["dso"]["display"], "cei": total.kpis["cei"]["display"],
                    "loadavg": loadavg(),
                }
                log(f"{label:>8} by {by or 'total':<13} groups {len(report.groups):>3}  wall {figures['wall_median_s']:.3f} s"
                    f"  cpu {figures['cpu_median_s']:.3f} s  server cpu {figures.get('server_cpu_median_s')}  load {scenario['loadavg'][0]}")
                scenarios.append(scenario)
        out["scenarios"] = scenarios
        out["loadavg_after"] = loadavg()
    finally:
        connection.close()
        if admin and not args.keep:
            pg_admin(admin, f"DROP DATABASE IF EXISTS {DB_NAME}")
        elif not admin and not args.keep and not args.sqlite_path:
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for s in result["scenarios"]:
            slow = ", ".join(f"{k} {v:.3f}" for k, v in list(s["phases_s"].items())[:4])
            print(f"{result['backend']:<10} {s['period']:<8} by {s['by']:<13} groups {s['groups']:>3}"
                  f"  median wall {s['wall_median_s']:.3f} s  cpu {s['cpu_median_s']:.3f} s  [{slow}]")


if __name__ == "__main__":
    main()
