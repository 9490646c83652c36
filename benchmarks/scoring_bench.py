"""Scoring benchmark: features, predictions, reasons and storing them for N open invoices (default 1,000,000).

    OMP_WAIT_POLICY=passive .venv/bin/python benchmarks/scoring_bench.py [--open 1000000] \
        [--database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp | --no-store] [--json]

Synthetic portfolio: 50,000 customers with a settled history (12 invoices each), plus N open
invoices. The timed part is what `predictions_refresh` runs after loading the ledger:

1. ``payment_features`` for the N open invoices on one date;
2. the six models (median delay, 10th/90th percentiles, P(late > 0/30/60 days));
3. the reasons: SHAP values of the "paid late" score (`arrears.scoring.shap`) and the top three
   factors per invoice (`reasons.top_factors`), stored as numbers;
4. storing the N Prediction rows (`prediction_rows_replace`: TRUNCATE and one COPY on PostgreSQL).

For step 4 the script creates a scratch database beside the one in the URL (it needs CREATEDB),
migrates it and loads N open documents with COPY (not timed); it keeps it for the next run
(``--fresh`` rebuilds it). The model is trained on 60,000 sampled rows first (not timed).

Reported: wall and CPU seconds per step and in total, the PostgreSQL backend's CPU for the store,
peak RSS and /proc/loadavg before and after (the machine is shared: the CPU time is the steadier
figure). The target is under 20 s end to end on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402

from arrears_engine.features import PaymentHistory, payment_examples, payment_features  # noqa: E402

AS_OF = np.datetime64("2026-06-01")
CURRENCIES = ["EUR", "GBP", "USD"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def portfolio(n_open: int, n_customers: int, history_per_customer: int, seed: int = 1) -> tuple[PaymentHistory, np.ndarray]:
    rng = np.random.default_rng(seed)
    as_of = AS_OF
    n_hist = n_customers * history_per_customer
    habit = rng.gamma(1.5, 6.0, n_customers) - 3  # each customer's usual delay
    cust_h = np.repeat(np.arange(n_customers), history_per_customer)
    issue_h = as_of - rng.integers(60, 720, n_hist).astype("timedelta64[D]")
    delay_h = np.rint(habit[cust_h] + rng.normal(0, 5, n_hist)).astype(np.int64)
    settled_h = issue_h + (30 + delay_h).astype("timedelta64[D]")
    cust_o = rng.integers(0, n_customers, n_open)
    issue_o = as_of - rng.integers(0, 120, n_open).astype("timedelta64[D]")
    customer = np.concatenate([cust_h, cust_o])
    issue = np.concatenate([issue_h, issue_o])
    settled = np.concatenate([np.minimum(settled_h, as_of - np.timedelta64(1, "D")),
                              np.full(n_open, np.datetime64("NaT", "D"))])
    history = PaymentHistory(
        customer=customer, issue_date=issue, due_date=issue + np.timedelta64(30, "D"),
        amount=rng.lognormal(6, 1, len(customer)), settled_date=settled,
        categories={"currency": rng.integers(0, 3, len(customer))},
    )
    return history, np.arange(n_hist, n_hist + n_open)


# --- the scratch database (PostgreSQL) ---------------------------------------------------------------


def scratch_url(url: str) -> str:
    if not url.startswith("postgres"):
        raise SystemExit("--database-url: the store step needs PostgreSQL (or pass --no-store)")
    return urlunsplit(urlsplit(url)._replace(path="/arrears_scoring_bench"))


def database_prepare(url: str, n_open: int, customers: int, fresh: bool) -> str:
    """Migrate the scratch database and COPY ``n_open`` open documents into it, unless already there."""
    import psycopg

    scratch = scratch_url(url)
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'arrears_scoring_bench'").fetchone()
        if exists and fresh:
            conn.execute("DROP DATABASE arrears_scoring_bench")
            exists = None
        if not exists:
            conn.execute("CREATE DATABASE arrears_scoring_bench")
    os.environ["DATABASE_URL"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from arrears.ledger.models import BusinessUnit, Customer, Document

    call_command("migrate", verbosity=0)
    if Document.objects.filter(status="open").count() == n_open:
        return scratch
    import polars as pl
    from nightly_run import copy_frame

    log(f"loading {n_open:,} open documents with COPY (not timed)")
    rng = np.random.default_rng(7)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("TRUNCATE scoring_prediction, ledger_document, ledger_customer CASCADE")
        unit, _ = BusinessUnit.objects.get_or_create(
            code="BENCH", defaults={"name": "Bench", "country": "DE", "home_currency": "EUR", "timezone": "Europe/Berlin"})
        cid = np.arange(1, customers + 1)
        copy_frame(Customer, pl.DataFrame({
            "id": cid, "business_unit_id": np.full(customers, unit.pk), "external_id": [f"C{i:08d}" for i in cid],
            "name": [f"Customer {i:08d}" for i in cid], "country": ["DE"] * customers,
        }))
        did = np.arange(1, n_open + 1)
        issue = AS_OF - rng.integers(0, 120, n_open).astype("timedelta64[D]")
        cents = rng.integers(5_000, 500_000, n_open)
        amount = [f"{v // 100}.{v % 100:02d}" for v in cents.tolist()]
        copy_frame(Document, pl.DataFrame({
            "id": did, "business_unit_id": np.full(n_open, unit.pk), "customer_id": rng.integers(1, customers + 1, n_open),
            "external_id": [f"D{i:09d}" for i in did], "kind": ["invoice"] * n_open, "issue_date": issue,
            "due_date": issue + np.timedelta64(30, "D"), "amount": amount, "currency": ["EUR"] * n_open,
            "open_amount": amount, "status": ["open"] * n_open, "attributes": ["{}"] * n_open,
        }))
        with connection.cursor() as cur:
            for table in ("ledger_customer", "ledger_document"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return scratch


def backend_cpu() -> float | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the run -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--history", type=int, default=12, help="settled invoices per customer")
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgresql://arapp:arapp@127.0.0.1:5432/arapp"))
    parser.add_argument("--no-store", action="store_true", help="skip step 4 (no database)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch database")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    args = parser.parse_args()

    if not args.no_store:
        database_prepare(args.database_url, args.open, args.customers, args.fresh)
    from arrears.scoring.learn import ModelParams, PaymentModel
    from arrears.scoring.reasons import factor_reasons, top_factors

    history, open_rows = portfolio(args.open, args.customers, args.history)
    t = time.perf_counter()
    train = payment_examples(history, known_on=AS_OF, issued_before=AS_OF)
    sample = np.random.default_rng(2).choice(len(train), min(len(train), 60_000), replace=False)
    fx_train = payment_features(history, train.rows[sample], train.as_of[sample])
    model = PaymentModel(fx_train.names, fx_train.categorical, ModelParams()).fit(fx_train.values, train.delay[sample])
    model.schema = {"vocabularies": {"currency": CURRENCIES}, "attributes": [], "outcome_flags": [], "events": []}
    log(f"trained on {len(sample):,} rows (not timed): {time.perf_counter() - t:.1f} s")

    load_before = loadavg()
    steps: dict[str, dict[str, float]] = {}
    began, began_cpu = time.perf_counter(), time.process_time()

    def step(name: str, fn: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        steps[name] = {"wall_s": round(time.perf_counter() - w, 2), "cpu_s": round(time.process_time() - c, 2)}
        log(f"{name:10s} wall {steps[name]['wall_s']:6.2f} s  cpu {steps[name]['cpu_s']:6.2f} s")
        return out

    fx = step("features", lambda: payment_features(history, open_rows, AS_OF))
    pred = step("predict", lambda: model.predict(fx.values))
    idx, effect = step("reasons", lambda: top_factors(model.contributions(fx.values)))
    server_cpu = None
    if not args.no_store:
        from arrears.scoring.models import ModelVersion
        from arrears.scoring.services.predictions import prediction_rows_replace

        version = ModelVersion.objects.create(trained_on=dt.date(2026, 6, 1), features=list(model.feature_names),
                                              card={"schema": model.schema}, model=b"")
        due = history.due_date[open_rows]
        day = AS_OF

        def when(delay: np.ndarray) -> np.ndarray:
            return np.maximum(due + np.rint(delay).astype(np.int64).astype("timedelta64[D]"), day)

        def store() -> int:
            value = np.take_along_axis(fx.values, idx.astype(np.intp), axis=1)
            columns: dict[str, Any] = {
                "document_id": np.arange(1, len(open_rows) + 1), "model_version_id": np.full(len(open_rows), version.pk),
                "as_of": np.full(len(open_rows), day), "predicted_date": when(pred.delay),
                "low_date": when(pred.low), "high_date": when(pred.high),
                **{f"p_late_{k}": pred.p_late[k] for k in (0, 30, 60)},
                **{f"reason_{r + 1}{s}": a[:, r] for r in range(3)
                   for s, a in (("", idx.astype(np.int64)), ("_value", value), ("_effect", effect))},
                "history_count": fx.column("hist_count").astype(np.int64),
                "history_count_last10": fx.column("hist_count_last10").astype(np.int64),
            }
            return prediction_rows_replace(columns=columns)

        cpu0 = backend_cpu()
        step("store", store)
        cpu1 = backend_cpu()
        server_cpu = None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 2)
    total = {"wall_s": round(time.perf_counter() - began, 2), "cpu_s": round(time.process_time() - began_cpu, 2)}

    # what a page does with one stored prediction: its three reasons in words
    w = time.perf_counter()
    words = factor_reasons(model.feature_names, list(zip(idx[0].tolist(), fx.values[0, idx[0]].tolist(),
                                                          effect[0].tolist(), strict=True)),
                           {"hist_count": fx.column("hist_count")[0], "hist_count_last10": fx.column("hist_count_last10")[0]},
                           model.schema["vocabularies"])
    render_us = (time.perf_counter() - w) * 1e6
    result = {
        "open_invoices": len(open_rows), "history_rows": len(history) - len(open_rows), "customers": args.customers,
        "steps": steps, "total": total, "store_server_cpu_s": server_cpu,
        "target_s": 20, "within_target": total["wall_s"] < 20,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loadavg_before": load_before, "loadavg_after": loadavg(), "cpus": os.cpu_count(),
        "mean_p_late": round(float(pred.p_late[0].mean()), 3),
        "reasons_in_words_one_prediction_us": round(render_us, 1), "example_reasons": [r["text"] for r in words],
    }
    if args.json:
        print(json.dumps(result))
        return
    for name, s in {**steps, "total": total}.items():
        print(f"{name:10s} wall {s['wall_s']:6.2f} s   cpu {s['cpu_s']:6.2f} s")
    print(f"PostgreSQL backend CPU for the store: {server_cpu} s")
    print(f"peak RSS {result['peak_rss_mib']} MiB; loadavg before {load_before}, after {result['loadavg_after']}")
    print(f"target < 20 s: {'OK' if result['within_target'] else 'SLOW'}")
    print(f"reasons in words for one prediction: {result['reasons_in_words_one_prediction_us']} µs")
    print("example:", *result["example_reasons"], sep="\n  ")


if __name__ == "__main__":
    main()
