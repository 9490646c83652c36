"""Time the nightly dunning run end to end on PostgreSQL over a synthetic portfolio.

    .venv/bin/python benchmarks/nightly_run.py --invoices 10000 100000 1000000 \
        --database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp [--json]

For each N the script creates a scratch database beside the one in the URL (CREATE DATABASE needs the
CREATEDB privilege), migrates it, seeds the shipped strategies and loads with COPY: N/5 customers (80 %
business, 20 % consumers in the UK and the US), one contact each, about 5 open documents per customer
due between 120 days ago and 20 days ahead, 1 % fully disputed, 2 % partly paid, 2 % paid on time last
week (thank-you notes). Then, each in a fresh process (so its peak memory is the run's own):

1. the *first night* (``as_of - 1``): every document starts with no dunning history, so most overdue
   documents advance at once (the heaviest night there is);
2. the *nightly run* (``as_of``): the steady state the next night, where only the documents whose next
   step came today advance. ``end_to_end_s`` is this run: ``dunning_run()`` from the call to the
   completed run record (load, engine, gate, write, reduce), the decisions. Handing the planned
   actions to communications (rendering and queueing e-mails and SMS, one letter print file, call
   tasks) follows as ``dispatch_actions(run)`` and is timed apart as ``dispatch_s`` (set
   BENCH_DISPATCH=0 to skip it): it scales with the messages sent, not with the ledger, and it is
   what Tryton's separate "process" step and its letter/e-mail modules do, not its "generate".

With ``--celery-workers W`` the nights run as a deployment with a broker runs them: W Celery worker
processes (solo pool, started by the script on the scratch database and stopped at the end; Redis
database 5 by default, flushed) take the partitions, and the run's process waits for the reduce.
Worker processes run the partitions' Python in parallel, where the in-process threads share one
interpreter lock. The first night warms the workers (as the nights before would in production).

Reported per run: seconds per phase, end to end, actions, gate paths (batch/full), peak RSS. --json
prints one JSON document on stdout; progress goes to stderr. --keep keeps the scratch database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 18)  # a Wednesday
UNITS = (("BENCH-DE", "DE", "EUR", "Europe/Berlin"), ("BENCH-FR", "FR", "EUR", "Europe/Paris"),
         ("BENCH-GB", "GB", "GBP", "Europe/London"), ("BENCH-US", "US", "USD", "America/New_York"))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--invoices", type=int, nargs="+", default=[10_000])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                             "postgresql://arapp:arapp@127.0.0.1:5432/arapp"))
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--seed", type=int, default=20260318)
    p.add_argument("--celery-workers", type=int, default=0, metavar="W",
                   help="run the nights on W Celery worker processes (started here, solo pool, over Redis) "
                        "instead of in-process threads")
    p.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5"),
                   help="the Redis database the --celery-workers mode uses (flushed at start)")
    p.add_argument("--child", choices=("populate", "run"), help=argparse.SUPPRESS)
    p.add_argument("--as-of", dest="as_of", default=AS_OF.isoformat(), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def scratch_url(url: str, n: int) -> str:
    if not url.startswith("postgres"):
        raise SystemExit("--database-url: the benchmark needs PostgreSQL (postgresql://user:pass@host:port/db)")
    return urlunsplit(urlsplit(url)._replace(path=f"/arrears_nightly_bench_{n}"))


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def django_setup(url: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import django

    django.setup()


# --- loading -----------------------------------------------------------------------------------------


def copy_frame(model: Any, frame: Any) -> None:
    """COPY a polars frame into the model's table; columns not in the frame get their default."""
    import polars as pl
    from django.db import connection
    from django.db.models import JSONField

    stamp = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    extra = {}
    for f in model._meta.concrete_fields:
        if f.column in frame.columns:
            continue
        if f.name in {"created_at", "updated_at"}:
            value: Any = stamp.isoformat()
        elif f.has_default():
            value = f.get_default()
            value = json.dumps(value) if isinstance(f, JSONField) else value
        elif f.null:
            value = None
        else:
            value = ""
        extra[f.column] = value
    if extra:
        frame = frame.with_columns([pl.lit(v, dtype=pl.Utf8 if isinstance(v, str) or v is None else None).alias(k)
                                    for k, v in extra.items()])
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
    table = model._meta.db_table
    with connection.cursor() as cur, cur.cursor.copy(
        f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
    ) as copy:
        copy.write(buffer.getvalue())


def populate(n: int, seed: int, as_of: dt.date) -> dict[str, int]:
    import numpy as np
    import polars as pl
    from django.core.management import call_command
    from django.db import connection, transaction

    from arrears.dunning.services.strategies import strategy_seed_defaults
    from arrears.ledger.models import Allocation, BusinessUnit, Contact, Customer, Document, Payment

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(seed)
    units = [BusinessUnit.objects.create(code=c, name=c, country=k, home_currency=ccy, timezone=tz)
             for c, k, ccy, tz in UNITS]
    strategy_seed_defaults()
    customers = max(n // 5, 1)
    cid = np.arange(1, customers + 1)
    unit_of = rng.integers(0, len(units), customers)
    consumer = rng.random(customers) < 0.2
    country = np.asarray([UNITS[u][1] for u in unit_of])
    jurisdiction = np.where(consumer, np.where(country == "US", "us_consumer", np.where(country == "GB", "uk", "other")),
                            np.where(country == "US", "us_commercial", np.where(country == "GB", "uk", "eu_b2b")))
    holds = rng.random(customers)
    with transaction.atomic():
        copy_frame(Customer, pl.DataFrame({
            "id": cid, "business_unit_id": np.asarray([units[u].pk for u in unit_of]),
            "external_id": [f"C{i:08d}" for i in cid], "name": [f"Customer {i:08d}" for i in cid],
            "kind": np.where(consumer, "consumer", "commercial"), "jurisdiction": jurisdiction, "country": country,
            "segment": rng.choice(["smb", "mid-market", "enterprise"], customers),
            "paused": holds < 0.005, "do_not_contact": (holds >= 0.005) & (holds < 0.01),
        }))
        phone = {"DE": "+4930", "FR": "+3314", "GB": "+44113", "US": "+1212"}
        copy_frame(Contact, pl.DataFrame({
            "id": cid, "customer_id": cid, "name": [f"AP {i}" for i in cid],
            "email": [f"ap{i}@example.com" for i in cid],
            "phone": [f"{phone[c]}{5550000 + i % 9999:07d}" if i % 3 == 0 else "" for i, c in zip(cid, country, strict=True)],
            "country": country, "is_primary": np.ones(customers, bool),
        }))
        per = rng.poisson(5, customers).clip(1, 12)
        scale = n / per.sum()
        per = np.maximum(np.round(per * scale), 1).astype(np.int64)
        per[-1] += n - per.sum()
        if per[-1] < 1:
            per[-1] = 1
        docs = int(per.sum())
        doc_customer = np.repeat(cid, per)
        due = np.datetime64(as_of, "D") + rng.integers(-120, 21, docs)
        issue = due - rng.choice([14, 30, 45, 60], docs)
        amount = rng.integers(5_000, 500_000, docs)  # cents
        currency = np.asarray([UNITS[u][2] for u in unit_of])[doc_customer - 1]
        fate = rng.random(docs)
        paid_on_time = fate < 0.02
        partly = (fate >= 0.02) & (fate < 0.04)
        disputed = (fate >= 0.04) & (fate < 0.05)
        paid = np.where(paid_on_time, amount, np.where(partly, amount // 2, 0))
        open_ = amount - paid
        # paid on time: settled within the last week, on or before the due date
        pay_day = np.minimum(np.datetime64(as_of, "D") - rng.integers(1, 7, docs), due)
        pay_day = np.maximum(pay_day, issue)
        did = np.arange(1, docs + 1)
        cents = lambda a: [f"{v // 100}.{v % 100:02d}" for v in a.tolist()]  # noqa: E731
        attributes = np.where(disputed, [json.dumps({"disputed_amount": s}) for s in cents(open_)], "{}")
        copy_frame(Document, pl.DataFrame({
            "id": did, "business_unit_id": np.asarray([units[u].pk for u in unit_of])[doc_customer - 1],
            "customer_id": doc_customer, "external_id": [f"D{i:09d}" for i in did], "kind": ["invoice"] * docs,
            "issue_date": issue, "due_date": due, "amount": cents(amount), "currency": currency,
            "open_amount": cents(open_), "status": np.where(open_ == 0, "paid", np.where(paid > 0, "partially_paid", "open")),
            "closed_date": pl.Series(np.where(open_ == 0, pay_day, np.datetime64("NaT", "D"))),
            "attributes": attributes,
        }).with_columns(pl.col("attributes").cast(pl.Utf8)))
        payer = np.flatnonzero(paid > 0)
        pid = np.arange(1, len(payer) + 1)
        copy_frame(Payment, pl.DataFrame({
            "id": pid, "business_unit_id": np.asarray([units[u].pk for u in unit_of])[doc_customer[payer] - 1],
            "customer_id": doc_customer[payer], "external_id": [f"P{i:09d}" for i in pid],
            "received_date": pay_day[payer], "amount": cents(paid[payer]), "currency": currency[payer],
            "unapplied_amount": ["0.00"] * len(payer),
        }))
        copy_frame(Allocation, pl.DataFrame({
            "id": pid, "document_id": did[payer], "source": ["payment"] * len(payer), "payment_id": pid,
            "amount": cents(paid[payer]), "currency": currency[payer], "date": pay_day[payer],
        }))
        with connection.cursor() as cur:
            for table in ("ledger_customer", "ledger_contact", "ledger_document", "ledger_payment", "ledger_allocation"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return {"customers": customers, "documents": docs, "open_documents": int((open_ > 0).sum()),
            "payments": len(payer)}


def run_once(as_of: dt.date) -> dict[str, Any]:
    from django.db import connection

    from arrears.dunning.services.nightly_run import dispatch_actions, dunning_run

    connection.ensure_connection()
    from django.conf import settings

    # two partitions in two threads (or on the Celery workers): the database does much of the work
    settings.DUNNING_THREADS = int(os.environ.get("DUNNING_THREADS", "2"))
    partitions = int(os.environ.get("DUNNING_PARTITIONS", "2"))
    celery = bool(getattr(settings, "CELERY_BROKER_URL", "")) and not settings.CELERY_TASK_ALWAYS_EAGER
    if celery:  # the broker connection is set up once per process, like the database connection above
        from celery import current_app

        with current_app.producer_or_acquire():
            pass
    began = time.perf_counter()
    cpu = time.process_time()
    run, _ = dunning_run(as_of=as_of, partitions=partitions, dispatch=False)
    wall = time.perf_counter() - began
    cpu_run = time.process_time() - cpu
    began = time.perf_counter()
    dispatched = dispatch_actions(run) if os.environ.get("BENCH_DISPATCH", "1") == "1" else None
    dispatch_wall = time.perf_counter() - began
    run.refresh_from_db()
    return {
        "as_of": as_of.isoformat(),
        "end_to_end_s": round(wall, 3),
        "cpu_s": round(cpu_run, 3),
        "dispatch_s": round(dispatch_wall, 3) if dispatched is not None else None,
        "dispatched": dispatched,
        "dispatch_counts": run.counts.get("dispatch", {}),
        "phases_s": run.durations,
        "actions": run.action_count,
        "partitions": partitions,
        "threads": None if celery else settings.DUNNING_THREADS,
        "celery": celery,
        "outcomes": run.counts.get("outcome", {}),
        "channels": run.counts.get("channel", {}),
        "gate_paths": run.counts.get("gate_paths", {}),
        "blocked": run.blocked,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def child(args: argparse.Namespace, n: int, url: str, what: str, as_of: dt.date) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", what, "--invoices", str(n), "--database-url", url,
           "--seed", str(args.seed), "--as-of", as_of.isoformat()]
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    if what == "run" and args.celery_workers:
        env["CELERY_BROKER_URL"] = args.broker
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env={**env, "OMP_WAIT_POLICY": "passive"})
    return json.loads(out.stdout)


class Workers:
    """W Celery worker processes (solo pool) on the scratch database, as a deployment would keep them."""

    def __init__(self, count: int, url: str, broker: str) -> None:
        self.count, self.url, self.broker = count, url, broker
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Workers:
        import redis

        redis.Redis.from_url(self.broker).flushdb()
        env = {**os.environ, "DATABASE_URL": self.url, "CELERY_BROKER_URL": self.broker,
               "DJANGO_SETTINGS_MODULE": "config.settings.base", "OMP_WAIT_POLICY": "passive"}
        for w in range(self.count):
            self.procs.append(subprocess.Popen(
                [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "-P", "solo", "-c", "1",
                 "-n", f"bench{w}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning"],
                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        from celery import Celery

        app = Celery(broker=self.broker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5) or []
            if len(replies) >= self.count:
                return
        raise SystemExit(f"--celery-workers: {self.count} workers did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=30)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        django_setup(args.database_url)
        as_of = dt.date.fromisoformat(args.as_of)
        began = time.perf_counter()
        if args.child == "populate":
            result = populate(args.invoices[0], args.seed, as_of)
            result["seconds"] = round(time.perf_counter() - began, 1)
        else:
            result = run_once(as_of)
        sys.stdout.write(json.dumps(result) + "\n")
        return
    results = []
    for n in args.invoices:
        url = scratch_url(args.database_url, n)
        name = urlsplit(url).path.lstrip("/")
        pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {name}")
        pg_admin(args.database_url, f"CREATE DATABASE {name}")
        try:
            log(f"N={n:,}: loading {name} with COPY")
            loaded = child(args, n, url, "populate", AS_OF)
            log(f"N={n:,}: loaded {loaded}")
            with Workers(args.celery_workers, url, args.broker) if args.celery_workers else _nothing():
                first = child(args, n, url, "run", AS_OF - dt.timedelta(days=1))
                log(f"N={n:,}: first night {first['end_to_end_s']} s, {first['actions']:,} actions")
                nightly = child(args, n, url, "run", AS_OF)
            log(f"N={n:,}: nightly run {nightly['end_to_end_s']} s, {nightly['actions']:,} actions, "
                f"phases {nightly['phases_s']}")
        finally:
            if not args.keep:
                pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {name}")
        results.append({"invoices": n, "loaded": loaded, "first_night": first, "nightly": nightly,
                        "end_to_end_s": nightly["end_to_end_s"]})
    doc = {"benchmark": "nightly_run", "machine_cpus": os.cpu_count(), "runs": results,
           "end_to_end_s": results[-1]["end_to_end_s"] if results else None}
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for r in results:
            print(f"N={r['invoices']:>9,}  first night {r['first_night']['end_to_end_s']:>7.2f} s "
                  f"({r['first_night']['actions']:,} actions)  nightly {r['nightly']['end_to_end_s']:>7.2f} s "
                  f"({r['nightly']['actions']:,} actions)  phases {r['nightly']['phases_s']}  "
                  f"peak RSS {max(r['first_night']['peak_rss_mib'], r['nightly']['peak_rss_mib'])} MiB")


if __name__ == "__main__":
    main()
