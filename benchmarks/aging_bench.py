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
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 3, 31)
CURRENCIES = {"DE": "EUR", "FR": "EUR", "US": "USD", "GB": "GBP"}
EXTRA_INDEXES = {
    # What the report reads that the lead's models do not index yet (see docs/aging.md).
    "allocation_date_idx": "CREATE INDEX allocation_date_idx ON ledger_allocation (date)",
    "payment_unapplied_idx": "CREATE INDEX payment_unapplied_idx ON ledger_payment (unapplied_amount)",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


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
    p.add_argument("--extra-indexes", action="store_true", help=f"also create: {', '.join(EXTRA_INDEXES)}")
    p.add_argument("--verify", action="store_true", help="check grand totals against the plain definition")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--seed", type=int, default=20260331)
    return p.parse_args(argv)


# --- database set-up ---------------------------------------------------------------------------------


def scratch_url(args: argparse.Namespace) -> tuple[str, str | None]:
    """DATABASE_URL for Django, and the admin URL to create/drop the scratch PostgreSQL database."""
    if args.database_url:
        parts = urlsplit(args.database_url)
        return urlunsplit(parts._replace(path="/arrears_aging_bench")), args.database_url
    path = args.sqlite_path or os.path.join(tempfile.gettempdir(), f"arrears_aging_bench_{os.getpid()}.sqlite3")
    return f"sqlite:///{path}", None


def pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def django_setup(url: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("ARREARS_VAR_DIR", tempfile.gettempdir())
    import django

    django.setup()


# --- data --------------------------------------------------------------------------------------------


class Loader:
    """Bulk inserts: executemany on SQLite, COPY on PostgreSQL. Columns not given get their default."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.vendor = connection.vendor
        self.raw = connection.connection
        if self.vendor == "sqlite":
            self.raw.execute("PRAGMA synchronous=OFF")  # a scratch file: no need to wait for the disk

    def insert(self, model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        from django.db.models import JSONField

        now = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
        extra_cols, extra_vals = [], []
        for f in model._meta.concrete_fields:
            if f.column in columns:
                continue
            if f.name in {"created_at", "updated_at"}:
                value: Any = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                value = ""
            if isinstance(f, JSONField):
                value = json.dumps(value)
            extra_cols.append(f.column)
            extra_vals.append(value)
        cols = columns + extra_cols
        table = model._meta.db_table
        tail = tuple(extra_vals)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r + tail)
        else:
            tail_sql = tuple(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v for v in tail)
            placeholders = ", ".join("?" for _ in cols)
            self.raw.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})",
                (tuple(_sqlite(v) for v in r) + tail_sql for r in rows),
            )
        self.raw.commit()

    def finish(self) -> None:
        with self.raw.cursor() if self.vendor == "postgresql" else _Cursor(self.raw) as cur:
            if self.vendor == "postgresql":
                for table in ("ledger_customer", "ledger_document", "ledger_payment", "ledger_allocation"):
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.execute("ANALYZE")
        self.raw.commit()


class _Cursor:
    def __init__(self, raw: Any) -> None:
        self.cur = raw.cursor()

    def __enter__(self) -> Any:
        return self.cur

    def __exit__(self, *exc: Any) -> None:
        self.cur.close()


def _sqlite(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def populate(args: argparse.Namespace) -> dict[str, int]:
    from arrears.ledger.models import Allocation, BusinessUnit, Customer, Document, Payment
    from arrears.users.models import User

    rng = random.Random(args.seed)
    loader = Loader()
    units = [
        BusinessUnit.objects.create(code=f"BU-{cc}", name=f"Bench {cc}", home_currency=ccy, country=cc)
        for cc, ccy in CURRENCIES.items()
    ]
    collectors = User.objects.bulk_create(
        [User(username=f"collector{i:03d}", role="collector", first_name="Col", last_name=f"{i:03d}")
         for i in range(args.collectors)]
    )
    log(f"customers: {args.customers:,}")
    segments = ["smb", "mid-market", "enterprise", "public", ""]
    cust_unit = [units[i % len(units)] for i in range(args.customers)]
    loader.insert(
        Customer,
        ["id", "business_unit_id", "external_id", "name", "segment", "collector_id"],
        [
            (i + 1, cust_unit[i].pk, f"C{i:07d}", f"Customer {i:07d}", segments[i % len(segments)],
             collectors[i % len(collectors)].pk if i % 20 else None)
            for i in range(args.customers)
        ],
    )

    log(f"documents: {args.documents:,} (+ their payments and allocations)")
    docs, pays, allocs = [], [], []
    for i in range(args.documents):
        c = rng.randrange(args.customers)
        unit = cust_unit[c]
        issue = TODAY - dt.timedelta(days=rng.randrange(730))
        amount = Decimal(rng.randrange(1_000, 500_000)) / 100
        age = (TODAY - issue).days
        if i % 100 == 0:  # ~1 % unused credit notes
            docs.append((i + 1, unit.pk, c + 1, f"D{i:08d}", "credit_note", issue, issue, amount,
                         unit.home_currency, amount, "open", None))
            continue
        due = issue + dt.timedelta(days=rng.choice((14, 30, 30, 45, 60)))
        settled = rng.random() < (0.97 if age > 150 else 0.75 if age > 60 else 0.25)
        paid, on = Decimal(0), None
        if settled:
            paid = amount
            on = max(issue, min(TODAY, due + dt.timedelta(days=rng.randrange(-15, 45))))
        elif rng.random() < 0.1:
            paid = (amount / 2).quantize(Decimal("0.01"))
            on = issue + dt.timedelta(days=rng.randrange(age + 1))
        open_amount = amount - paid
        status = "paid" if open_amount == 0 else "partially_paid" if paid else "open"
        docs.append((i + 1, unit.pk, c + 1, f"D{i:08d}", "invoice", issue, due, amount, unit.home_currency,
                     open_amount, status, on if status == "paid" else None))
        if paid:
            p = len(pays) + 1
            pays.append((p, unit.pk, c + 1, f"P{p:08d}", on, paid, unit.home_currency, Decimal(0)))
            allocs.append((len(allocs) + 1, i + 1, "payment", p, paid, unit.home_currency, on))
    for _ in range(args.documents // 100):  # unapplied cash
        p, c = len(pays) + 1, rng.randrange(args.customers)
        amount = Decimal(rng.randrange(1_000, 100_000)) / 100
        pays.append((p, cust_unit[c].pk, c + 1, f"P{p:08d}", TODAY - dt.timedelta(days=rng.randrange(200)),
                     amount, cust_unit[c].home_currency, amount))
    loader.insert(
        Document,
        ["id", "business_unit_id", "customer_id", "external_id", "kind", "issue_date", "due_date", "amount",
         "currency", "open_amount", "status", "closed_date"],
        docs,
    )
    log(f"payments: {len(pays):,}")
    loader.insert(
        Payment,
        ["id", "business_unit_id", "customer_id", "external_id", "received_date", "amount", "currency",
         "unapplied_amount"],
        pays,
    )
    log(f"allocations: {len(allocs):,}")
    loader.insert(Allocation, ["id", "document_id", "source", "payment_id", "amount", "currency", "date"], allocs)
    loader.finish()
    return {"customers": args.customers, "documents": len(docs), "payments": len(pays), "allocations": len(allocs)}


# --- measurement -------------------------------------------------------------------------------------


def timed(fn: Any, repeat: int) -> tuple[dict[str, float], Any]:
    result = fn()  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return {
        "wall_median_s": round(statistics.median(walls), 4),
        "cpu_median_s": round(statistics.median(cpus), 4),
        "wall_min_s": round(min(walls), 4),
        "wall_max_s": round(max(walls), 4),
    }, result


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


def run(args: argparse.Namespace) -> dict[str, Any]:
    url, admin = scratch_url(args)
    if admin and not args.reuse:
        pg_admin(admin, "DROP DATABASE IF EXISTS arrears_aging_bench")
        pg_admin(admin, "CREATE DATABASE arrears_aging_bench")
    django_setup(url)
    from django.core.management import call_command
    from django.db import connection

    from arrears.ledger.aging import aging_report

    out: dict[str, Any] = {"backend": connection.vendor, "database": url.split("@")[-1], "today": TODAY.isoformat()}
    try:
        if not args.reuse:
            t = time.perf_counter()
            call_command("migrate", verbosity=0)
            out["counts"] = populate(args)
            out["load_s"] = round(time.perf_counter() - t, 1)
            log(f"loaded in {out['load_s']} s")
        with connection.cursor() as cur:  # measure exactly the schema asked for
            for name, sql in EXTRA_INDEXES.items():
                cur.execute(f"DROP INDEX IF EXISTS {name}")
                if args.extra_indexes:
                    cur.execute(sql)
            cur.execute("ANALYZE")
        out["extra_indexes"] = sorted(EXTRA_INDEXES) if args.extra_indexes else []
        from arrears.ledger.models import Allocation, Document

        out["open_documents_now"] = Document.objects.filter(open_amount__gt=0).exclude(kind="credit_note").count()
        scenarios = []
        for label, as_of in (("today", TODAY), ("90 days ago", TODAY - dt.timedelta(days=90)),
                             ("1 year ago", TODAY - dt.timedelta(days=365))):
            later = Allocation.objects.filter(date__gt=as_of).count()
            for by in ("customer", "business-unit"):
                figures, report = timed(lambda as_of=as_of, by=by: aging_report(as_of=as_of, by=by), args.repeat)
                totals = {t.currency: str(t.total) for t in report.totals}
                scenario = {"as_of": as_of.isoformat(), "label": label, "by": by, "rows": len(report.rows),
                            "allocations_after_as_of": later, "totals": totals, **figures}
                if args.verify and by == "business-unit":
                    expected = {c: str(v) for c, v in definition_totals(as_of).items()}
                    scenario["verified"] = expected == totals
                    if expected != totals:
                        scenario["expected_totals"] = expected
                log(f"{label:>12} by {by:<13} rows {len(report.rows):>7,}  wall {figures['wall_median_s']:.3f} s"
                    f"  cpu {figures['cpu_median_s']:.3f} s" + (f"  verified={scenario.get('verified')}"
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
                  f"  median wall {s['wall_median_s']:.3f} s  cpu {s['cpu_median_s']:.3f} s")


if __name__ == "__main__":
    main()
