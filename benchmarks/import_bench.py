"""Import benchmark: a deterministic native-format CSV into a fresh SQLite file (and PostgreSQL).

    .venv/bin/python benchmarks/import_bench.py                     # 1,000,000 rows into SQLite
    .venv/bin/python benchmarks/import_bench.py --rows 100000 --json
    .venv/bin/python benchmarks/import_bench.py --database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp

Each back-end runs in its own child process (Django is configured once per process), so peak RSS
(`ru_maxrss`) is that import's alone. PostgreSQL gets a scratch database made and dropped by Django's
test-database creation (`arrears_import_bench_<pid>`; the role needs CREATEDB). Timings on a shared machine are noisy:
CPU seconds (this process, and the PostgreSQL backend's when the server runs on this machine and /proc shows it;
parallel index-build workers are not counted) and /proc/loadavg are reported beside wall time.

After the import, the aging report by customer over all the imported documents is timed (median of 3): as of
the day after the last payment (nothing to reconstruct) and as of a day in the middle of the year (allocations dated
later are added back).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def backend_pid(connection) -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def backend_cpu(pid: int | None) -> float | None:
    """CPU seconds of a PostgreSQL backend (`backend_pid`), when the server runs here and /proc shows it."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_aging(as_of: dt.date, repeat: int = 3) -> dict:
    from arrears.ledger.aging import aging_report

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        report = aging_report(as_of=as_of, by="customer")
        times.append(time.perf_counter() - t0)
    return {"as_of": as_of.isoformat(), "median_s": round(statistics.median(times), 3),
            "runs_s": [round(t, 3) for t in times], "rows": len(report.rows),
            "documents": sum(t.document_count for t in report.totals)}


def generate(path: Path, rows: int, *, paid_share: float, seed: int = 20260101) -> dict:
    """One invoice per row, ~rows/20 customers; `paid_share` of them carry a payment of the full amount."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    n_customers = max(1, rows // 20)
    cust = rng.integers(0, n_customers, rows)
    issue = np.datetime64("2025-01-01") + rng.integers(0, 365, rows).astype("timedelta64[D]")
    due = issue + rng.choice([14, 30, 45, 60], rows).astype("timedelta64[D]")
    cents = rng.integers(1_000, 5_000_000, rows)
    paid = rng.random(rows) < paid_share
    paid_on = issue + rng.integers(0, 90, rows).astype("timedelta64[D]")
    idx = pl.Series(np.arange(rows))
    frame = pl.DataFrame({
        "customer_id": "C" + pl.Series(cust).cast(pl.String).str.zfill(7),
        "document_id": "INV" + idx.cast(pl.String).str.zfill(9),
        "issue_date": issue, "due_date": due,
        "amount": pl.Series(cents // 100).cast(pl.String) + "." + pl.Series(cents % 100).cast(pl.String).str.zfill(2),
        "currency": "EUR",
        "paid": paid, "payment_date": paid_on,
    })
    frame = frame.with_columns(
        ("Customer " + pl.col("customer_id")).alias("customer_name"),
        pl.lit("DE").alias("customer_country"),
        pl.when(pl.col("paid")).then("PAY" + pl.col("document_id").str.slice(3)).alias("payment_id"),
        pl.when(pl.col("paid")).then(pl.col("payment_date")).alias("payment_date"),
        pl.when(pl.col("paid")).then(pl.col("amount")).alias("payment_amount"),
    ).select("customer_id", "customer_name", "customer_country", "document_id", "issue_date", "due_date", "amount",
             "currency", "payment_id", "payment_date", "payment_amount")
    frame.write_csv(path)
    return {"rows": rows, "customers": int(np.unique(cust).size), "payments": int(paid.sum()),
            "bytes": path.stat().st_size}


def child(csv_path: str, database_url: str) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    vendor = connection.vendor
    created_test_db = None
    if vendor == "postgresql":
        # A name of our own: test_<db> may be in use by someone's test run on the same server.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"arrears_import_bench_{os.getpid()}"
        created_test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        call_command("migrate", verbosity=0)
    try:
        from arrears.imports.services import import_result_json, import_run_execute
        from arrears.ledger.models import BusinessUnit, Document

        BusinessUnit.objects.create(code="BENCH", name="Benchmark GmbH", home_currency="EUR", country="DE")
        data = Path(csv_path).read_bytes()
        load_before = loadavg()
        stages: dict[str, float] = {}
        stage_cpu: dict[str, float] = {}
        stage_server_cpu: dict[str, float] = {}
        pid = backend_pid(connection)
        s0 = backend_cpu(pid)
        t0, c0 = time.perf_counter(), time.process_time()

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in stages:
                stages[stage] = round(time.perf_counter() - t0, 2)
                stage_cpu[stage] = round(time.process_time() - c0, 2)
                server = backend_cpu(pid)
                if server is not None and s0 is not None:
                    stage_server_cpu[stage] = round(server - s0, 2)

        outcome = import_run_execute(data=data, file_name=Path(csv_path).name, profile_name="arrears-documents",
                                     business_unit_code="BENCH", progress=progress)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        s1 = backend_cpu(pid)
        server_cpu = round(s1 - s0, 2) if s0 is not None and s1 is not None else None
        result = import_result_json(outcome.run)
        if result["status"] != "ok":
            raise SystemExit(f"import rejected: {result['errors'][:3]}")
        rows = result["rows"]
        docs = Document.objects.count()
        peak_rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        load_after = loadavg()
        aging = [time_aging(dt.date(2026, 4, 1)), time_aging(dt.date(2025, 6, 30))]
        return {
            "backend": vendor, "rows": rows, "documents_in_db": docs, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "server_cpu_s": server_cpu, "rows_per_s": round(rows / wall),
            "rows_per_cpu_s": round(rows / (cpu + (server_cpu or 0))),
            "peak_rss_mib": peak_rss, "stage_started_at_s": stages, "stage_cpu_at_s": stage_cpu,
            "stage_server_cpu_at_s": stage_server_cpu,
            "counts": result["counts"], "loadavg_before": load_before, "loadavg_after": load_after,
            "aging": aging, "loadavg_after_aging": loadavg(),
        }
    finally:
        if created_test_db:
            connection.creation.destroy_test_db(created_test_db, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--paid-share", type=float, default=0.3, help="share of invoices with a payment")
    parser.add_argument("--database-url", default=None, help="also import into this PostgreSQL server")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="arrears-import-bench-") as tmp:
        csv_path = Path(tmp) / f"documents-{args.rows}.csv"
        t0 = time.perf_counter()
        gen = generate(csv_path, args.rows, paid_share=args.paid_share)
        gen["seconds"] = round(time.perf_counter() - t0, 2)
        targets = [f"sqlite:///{tmp}/bench.sqlite3"] + ([args.database_url] if args.database_url else [])
        runs = []
        for url in targets:
            out = subprocess.run([sys.executable, __file__, "--child", str(csv_path), url], capture_output=True,
                                 text=True, cwd=REPO, check=False)
            if out.returncode != 0:
                raise SystemExit(f"benchmark child failed for {url.split('@')[-1]}:\n{out.stderr[-3000:]}")
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    report = {"generated": gen, "runs": runs, "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(report))
        return
    print(f"generated {gen['rows']:,} rows ({gen['customers']:,} customers, {gen['payments']:,} payments, "
          f"{gen['bytes'] / 1e6:.0f} MB) in {gen['seconds']} s")
    for r in runs:
        server = f" + server {r['server_cpu_s']} s" if r["server_cpu_s"] is not None else ""
        print(f"{r['backend']:>10}: {r['rows_per_s']:>9,} rows/s  wall {r['wall_s']} s  cpu {r['cpu_s']} s{server} "
              f"({r['rows_per_cpu_s']:,} rows per CPU second)  peak RSS {r['peak_rss_mib']} MiB  "
              f"load {r['loadavg_before']} -> {r['loadavg_after']}")
        print(f"{'':>10}  stages started at (s): {r['stage_started_at_s']}")
        print(f"{'':>10}  client CPU by then (s): {r['stage_cpu_at_s']}")
        if r["stage_server_cpu_at_s"]:
            print(f"{'':>10}  server CPU by then (s): {r['stage_server_cpu_at_s']}")
        for a in r["aging"]:
            print(f"{'':>10}  aging by customer as of {a['as_of']}: median {a['median_s']} s of {a['runs_s']} "
                  f"({a['rows']:,} rows, {a['documents']:,} open documents)")


if __name__ == "__main__":
    main()
