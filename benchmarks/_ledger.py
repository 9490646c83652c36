"""The scratch ledger of the benchmarks: a consistent ledger of N documents (default 1,000,000) on a
SQLite temp file or a scratch PostgreSQL database created beside the given URL (COPY load).

Shared by aging_bench.py and kpi_bench.py. Every paid document has its payment and allocation; open
amounts, statuses and closed dates are what `ledger.services` would derive. With `write_off_every`
(0 = none, the aging benchmark's ledger) some old unpaid invoices are written off as well, each with
its WriteOff and write-off allocation.
"""

from __future__ import annotations

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


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- database set-up ---------------------------------------------------------------------------------


def scratch_url(args: Any, name: str = "arrears_aging_bench") -> tuple[str, str | None]:
    """DATABASE_URL for Django, and the admin URL to create/drop the scratch PostgreSQL database `name`."""
    if args.database_url:
        parts = urlsplit(args.database_url)
        return urlunsplit(parts._replace(path=f"/{name}")), args.database_url
    path = args.sqlite_path or os.path.join(tempfile.gettempdir(), f"{name}_{os.getpid()}.sqlite3")
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

    def finish(self, more_tables: tuple[str, ...] = ()) -> None:
        with self.raw.cursor() if self.vendor == "postgresql" else _Cursor(self.raw) as cur:
            if self.vendor == "postgresql":
                for table in ("ledger_customer", "ledger_document", "ledger_payment", "ledger_allocation", *more_tables):
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


def populate(args: Any, *, write_off_every: int = 0) -> dict[str, int]:
    from arrears.ledger.models import Allocation, BusinessUnit, Customer, Document, Payment, WriteOff
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
    docs, pays, allocs, wos = [], [], [], []
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
        closed = on if status == "paid" else None
        written = None
        if write_off_every and open_amount and age > 200 and i % write_off_every == 3:
            # No random draw here: the aging benchmark's ledger (write_off_every=0) stays the same.
            written = min(TODAY, max(due + dt.timedelta(days=120 + i % 60), on or issue))
            status, closed = "written_off", written
        docs.append((i + 1, unit.pk, c + 1, f"D{i:08d}", "invoice", issue, due, amount, unit.home_currency,
                     Decimal(0) if written else open_amount, status, closed))
        if paid:
            p = len(pays) + 1
            pays.append((p, unit.pk, c + 1, f"P{p:08d}", on, paid, unit.home_currency, Decimal(0)))
            allocs.append((len(allocs) + 1, i + 1, "payment", p, None, None, paid, unit.home_currency, on))
        if written:
            w = len(wos) + 1
            wos.append((w, i + 1, open_amount, unit.home_currency, written, "bench: uncollectible"))
            allocs.append((len(allocs) + 1, i + 1, "write_off", None, None, w, open_amount, unit.home_currency, written))
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
    counts = {"customers": args.customers, "documents": len(docs), "payments": len(pays), "allocations": len(allocs)}
    if wos:
        log(f"write-offs: {len(wos):,}")
        loader.insert(WriteOff, ["id", "document_id", "amount", "currency", "date", "reason"], wos)
        counts["write_offs"] = len(wos)
    log(f"allocations: {len(allocs):,}")
    loader.insert(
        Allocation,
        ["id", "document_id", "source", "payment_id", "credit_note_id", "write_off_id", "amount", "currency", "date"],
        allocs,
    )
    loader.finish(("ledger_writeoff",) if wos else ())
    return counts


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


