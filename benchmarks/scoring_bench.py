"""Scoring benchmark: features, predictions and reasons for N open invoices (default 1,000,000).

    OMP_WAIT_POLICY=passive .venv/bin/python benchmarks/scoring_bench.py [--open 1000000] [--reasons 100000]

Synthetic portfolio, no database: 50,000 customers with a settled history, plus N open invoices.
Times the pure part of the nightly refresh (payment_features + the six models + SHAP reasons), which
is what `predictions_refresh` runs between loading the ledger and writing the rows. Target: under
20 s for 1,000,000 open invoices on 2 cores. Reasons in words are rendered for --reasons rows and
the time scaled to N (they are a Python loop).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from arrears.scoring.learn import ModelParams, PaymentModel
from arrears.scoring.reasons import reasons_for_rows
from arrears_engine.features import PaymentHistory, payment_examples, payment_features


def portfolio(n_open: int, n_customers: int, history_per_customer: int, seed: int = 1) -> tuple[PaymentHistory, np.ndarray]:
    rng = np.random.default_rng(seed)
    as_of = np.datetime64("2026-06-01")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--history", type=int, default=12, help="settled invoices per customer")
    parser.add_argument("--reasons", type=int, default=100_000, help="rows whose reasons are rendered in words")
    args = parser.parse_args()

    history, open_rows = portfolio(args.open, args.customers, args.history)
    as_of = np.datetime64("2026-06-01")
    t = time.perf_counter()
    train = payment_examples(history, known_on=as_of, issued_before=as_of)
    sample = np.random.default_rng(2).choice(len(train), min(len(train), 60_000), replace=False)
    fx_train = payment_features(history, train.rows[sample], train.as_of[sample])
    model = PaymentModel(fx_train.names, fx_train.categorical, ModelParams()).fit(fx_train.values, train.delay[sample])
    print(f"training on {len(sample):,} rows (not part of the target): {time.perf_counter() - t:.1f} s")

    t0 = time.perf_counter()
    fx = payment_features(history, open_rows, as_of)
    t1 = time.perf_counter()
    pred = model.predict(fx.values)
    t2 = time.perf_counter()
    contrib = model.contributions(fx.values)
    t3 = time.perf_counter()
    k = min(args.reasons, len(open_rows))
    reasons_for_rows(fx.names, fx.values[:k], contrib[:k], {"currency": ["EUR", "GBP", "USD"]})
    t4 = time.perf_counter()
    words = (t4 - t3) * len(open_rows) / max(k, 1)
    total = (t3 - t0) + words
    print(f"open invoices: {len(open_rows):,}  history rows: {len(history) - len(open_rows):,}")
    print(f"features          {t1 - t0:6.2f} s")
    print(f"6 models predict  {t2 - t1:6.2f} s  (mean P(late) {pred.p_late[0].mean():.3f})")
    print(f"SHAP reasons      {t3 - t2:6.2f} s")
    print(f"reasons in words  {words:6.2f} s  (measured on {k:,} rows, scaled)")
    print(f"total             {total:6.2f} s  target < 20 s: {'OK' if total < 20 else 'SLOW'}")


if __name__ == "__main__":
    main()
