"""Time `aging_report` over a large scratch ledger (default 1,000,000 documents, 50,000 customers).

    .venv/bin/python benchmarks/aging_bench.py                       # SQLite temp file
    .venv/bin/python benchmarks/aging_bench.py --database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp
    .venv/bin/python benchmarks/aging_bench.py --documents 100000 --json

With PostgreSQL the script creates a scratch database next to the one in the URL (CREATE DATABASE
needs the CREATEDB privilege), loads it with COPY and drops it at the end (--keep keeps it). SQLite
uses a temporary file filled with executemany. The ledger is consistent: every paid document has its
payment and allocation, open amounts and statuses are what `ledger.services` would derive.

Each scenario runs once to warm the caches, then --repeat times; the median wall-clock and CPU time
(of this process: on PostgreSQL most of the work is in the server) are reported. --verify checks
the report's grand totals against the definition (amount less allocations dated <= as_of) computed
by a plain SQL query with no shortcut.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The scratch-ledger builder shared with kpi_bench.py (arrears/web/tests/bench_pages.py uses it through here too).
from _ledger import (
    TODAY,
    django_setup,
    log,
    pg_admin,
    populate,
    scratch_url,
    timed,
)

AGING_INDEXES = (  # ledger migration 0004: what the report reads (see docs/aging.md, "Indexes")
    "document_open_aging_idx", "document_disputed_aging_idx", "payment_unapplied_aging_idx", "allocation_date_idx",
)
GROUPINGS = ("customer", "collector", "segment", "business-unit")
MID_YEAR = dt.date(2025, 9, 30)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--documents", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=50_000)
    p.add_argument("--collectors", type=int, default=60)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--database-url", help="PostgreSQL server URL; a scratch database is created beside it")
    p.add_argument("--sqlite-path", help="SQLite file to use (default: a temporary file)")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--reuse", action="store_true", help="the scratch database is already loaded: skip loading")
    p.add_argument("--without-aging-indexes", action="store_true",
                   help=f"drop {', '.join(AGING_INDEXES)} first (to measure what they bring)")
    p.add_argument("--by", action="append", choices=GROUPINGS, help="grouping(s) to time (default: all four)")
    p.add_argument("--basis", choices=("due", "invoice"), default="due")
    p.add_argument("--verify", action="store_true", help="check grand totals against the plain definition")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--seed", type=int, default=20260331)
    return p.parse_args(argv)


def definition_totals(as_of: dt.date) -> dict[str, Decimal]:
    """Grand total open per currency by the plain definition: no stored balances, no shortcut."""
    from django.db import connection

    sql = """
        SELECT d.currency, SUM(d.amount - COALESCE(a.used, 0))
        FROM ledger_document d
        LEFT JOIN (SELECT document_id, SUM(amount) AS used FROM ledger_allocation WHERE date <= %s
                   GROUP BY document_id) a ON a.document_id = d.id
        WHERE d.kind <> 'credit_note' AND d.issue_date <= %s AND d.amount - COALESCE(a.used, 0) > 0
        GROUP BY d.currency
    """
    with connection.cursor() as cur:
        cur.execute(sql, [as_of, as_of])
        return {ccy: Decimal(str(total)).quantize(Decimal("0.01")) for ccy, total in cur.fetchall()}


def phases(as_of: dt.date, by: str, basis: str) -> dict[str, float]:
    """Wall time of each query of `aging_report` (the rest is Python turning groups into rows)."""
    from arrears.ledger import aging

    scope = aging._Scope(as_of=as_of, by=by, user=None, currency=None, filters={})
    buckets = aging.aging_buckets(basis)
    n = len(buckets)
    groups: dict[Any, Any] = {}
    out = {}
    with aging._reading(scope.db):
        for name, step in (
            ("open_documents", lambda: aging._add_open_documents(groups, scope, buckets, basis)),
            ("disputed", lambda: aging._add_disputed_documents(groups, scope, n)),
            ("unapplied_cash", lambda: aging._add_unapplied_cash(groups, scope, n)),
            ("later_exists", lambda: aging._later_allocations_exist(scope)),
            ("later_allocations", lambda: aging._later_allocations_exist(scope)
             and aging._add_later_allocations(groups, scope, buckets, basis)),
        ):
            t = time.perf_counter()
            step()
            out[name] = round(time.perf_counter() - t, 3)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    url, admin = scratch_url(args)
    if admin and not args.reuse:
        pg_admin(admin, "DROP DATABASE IF EXISTS arrears_aging_bench")
        pg_admin(admin, "CREATE DATABASE arrears_aging_bench")
    django_setup(url)
    from django.core.management import call_command
    from django.core.paginator import Paginator
    from django.db import connection

    from arrears.ledger.aging import aging_report

    out: dict[str, Any] = {"backend": connection.vendor, "database": url.split("@")[-1], "today": TODAY.isoformat()}
    try:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)  # also brings a --reuse'd database up to date
        if not args.reuse:
            out["counts"] = populate(args)
            out["load_s"] = round(time.perf_counter() - t, 1)
            log(f"loaded in {out['load_s']} s")
        with connection.cursor() as cur:  # measure exactly the schema asked for
            # One open debit document in 50 is disputed (the generator marks none): the report's
            # "of which disputed" reads them through their own partial index.
            cur.execute("""UPDATE ledger_document SET attributes = '{"disputed": true}'
                           WHERE open_amount > 0 AND kind <> 'credit_note' AND id % 50 = 7""")
            if args.without_aging_indexes:
                for name in AGING_INDEXES:
                    cur.execute(f"DROP INDEX IF EXISTS {name}")
            # PostgreSQL's autovacuum keeps the visibility map of a live ledger current (index-only
            # scans rely on it); a freshly COPY'd scratch database needs one VACUUM to get there.
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        out["aging_indexes"] = not args.without_aging_indexes
        from arrears.ledger.models import Allocation, Document

        out["open_documents_now"] = Document.objects.filter(open_amount__gt=0).exclude(kind="credit_note").count()
        scenarios = []
        for label, as_of in (("today", TODAY), ("mid-year", MID_YEAR), ("1 year ago", TODAY - dt.timedelta(days=365))):
            later = Allocation.objects.filter(date__gt=as_of).count()
            for by in args.by or GROUPINGS:
                def report(as_of: dt.date = as_of, by: str = by) -> Any:
                    return aging_report(as_of=as_of, by=by, basis=args.basis)

                def page(as_of: dt.date = as_of, by: str = by) -> Any:
                    """What the web page needs: the totals and the first 100 rows."""
                    r = report(as_of, by)
                    return r, list(Paginator(r.rows, 100).get_page(1)), r.totals

                def as_json(as_of: dt.date = as_of, by: str = by) -> Any:
                    """What `arrears aging --json` and the API need: every row as strings."""
                    r = report(as_of, by)
                    return r, r.as_dict()

                figures, result = timed(page, args.repeat)
                json_figures, _ = timed(as_json, max(1, args.repeat // 2))
                rep = result[0]
                totals = {t.currency: str(t.total) for t in rep.totals}
                scenario = {"as_of": as_of.isoformat(), "label": label, "by": by, "basis": args.basis,
                            "rows": len(rep.rows), "allocations_after_as_of": later, "totals": totals,
                            **figures, "json_wall_median_s": json_figures["wall_median_s"],
                            "query_s": phases(as_of, by, args.basis)}
                if args.verify and by == "business-unit" and args.basis == "due":
                    expected = {c: str(v) for c, v in definition_totals(as_of).items()}
                    scenario["verified"] = expected == totals
                    if expected != totals:
                        scenario["expected_totals"] = expected
                log(f"{label:>10} by {by:<13} rows {len(rep.rows):>7,}  page wall {figures['wall_median_s']:.3f} s"
                    f"  cpu {figures['cpu_median_s']:.3f} s  json wall {json_figures['wall_median_s']:.3f} s"
                    f"  {scenario['query_s']}" + (f"  verified={scenario.get('verified')}"
                                                  if "verified" in scenario else ""))
                scenarios.append(scenario)
        out["scenarios"] = scenarios
    finally:
        connection.close()
        if admin and not args.keep:
            pg_admin(admin, "DROP DATABASE IF EXISTS arrears_aging_bench")
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
            print(f"{result['backend']:<10} as of {s['as_of']} by {s['by']:<13} rows {s['rows']:>7,}"
                  f"  page: median wall {s['wall_median_s']:.3f} s  cpu {s['cpu_median_s']:.3f} s"
                  f"  json: median wall {s['json_wall_median_s']:.3f} s")


if __name__ == "__main__":
    main()
