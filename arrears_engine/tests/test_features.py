"""The scoring features: values on a small hand-made history, and no information from the future."""

from __future__ import annotations

import numpy as np
import pytest

from arrears_engine.features import EventLog, PaymentHistory, payment_examples, payment_features

D = np.datetime64


def _history(settled: list[str | None], *, amounts: list[float] | None = None, customer: list[int] | None = None,
             issue: list[str] | None = None) -> PaymentHistory:
    n = len(settled)
    issue = issue or [str(D("2025-01-01") + np.timedelta64(10 * i, "D")) for i in range(n)]
    issue_d = np.array(issue, dtype="datetime64[D]")
    return PaymentHistory(
        customer=customer or [1] * n,
        issue_date=issue_d,
        due_date=issue_d + np.timedelta64(30, "D"),
        amount=amounts or [100.0] * n,
        settled_date=np.array([s or "NaT" for s in settled], dtype="datetime64[D]"),
        outcome_flags={"disputed": [False] * n},
    )


def _delays_history(delays: list[int]) -> PaymentHistory:
    """Invoices every 10 days, each settled ``delay`` days after its due date (30 days after issue)."""
    issue = np.array([D("2025-01-01") + np.timedelta64(10 * i, "D") for i in range(len(delays))])
    settled = [str(issue[i] + np.timedelta64(30 + d, "D")) for i, d in enumerate(delays)]
    return _history([*settled, None], issue=[*map(str, issue), "2026-06-01"])


def test_history_uses_only_invoices_settled_before_the_prediction_date():
    h = _delays_history([5, 0, 12, -3])
    # on 2025-02-15 only invoice 0 (settled 2025-02-05) and 1 (2025-02-10) are settled
    fx = payment_features(h, np.array([4]), D("2025-02-15"))
    assert fx.column("hist_count")[0] == 2
    assert fx.column("hist_mean_delay")[0] == pytest.approx(2.5)
    assert fx.column("hist_share_late")[0] == pytest.approx(0.5)
    assert fx.column("hist_last_delay")[0] == 0
    assert fx.column("hist_days_since_last")[0] == 5


def test_last_ten_window_median_and_trend():
    delays = [0, 0, 0, 0, 0, 20, 30, 25, 40, 35, 22, 24]
    h = _delays_history(delays)
    fx = payment_features(h, np.array([len(delays)]), D("2026-06-01"))
    last10 = delays[-10:]
    assert fx.column("hist_count_last10")[0] == 10
    assert fx.column("hist_late_last10")[0] == sum(d > 0 for d in last10)
    assert fx.column("hist_median_delay")[0] == pytest.approx(float(np.median(last10)))
    assert fx.column("hist_trend")[0] == pytest.approx(np.mean(delays[-5:]) - np.mean(delays[:-5]))


def test_no_history_gives_missing_values_not_zeros():
    h = _history([None, None])
    fx = payment_features(h, np.array([0]), D("2025-03-01"))
    assert fx.column("hist_count")[0] == 0
    assert np.isnan(fx.column("hist_mean_delay")[0])
    assert np.isnan(fx.column("hist_median_delay")[0])


def test_open_book_counts_other_invoices_issued_and_not_yet_settled():
    # invoice 0 settled 2025-01-20, 1 open until 2025-05-01, 2 never settled, 3 issued later
    h = _history(["2025-01-20", "2025-05-01", None, None], amounts=[10, 20, 40, 80],
                 issue=["2025-01-01", "2025-01-05", "2025-01-10", "2025-04-01"])
    fx = payment_features(h, np.array([2]), D("2025-02-01"))
    assert fx.column("open_count")[0] == 1  # invoice 1 (not 0: settled; not 2: itself; not 3: later)
    assert np.expm1(fx.column("open_amount_log")[0]) == pytest.approx(20)


def test_event_counts_before_the_prediction_date():
    h = _history([None])
    events = {"promises_broken": EventLog(customer=[1, 1, 1, 2], date=["2024-06-01", "2025-01-10", "2025-03-01", "2025-01-01"])}
    fx = payment_features(h, np.array([0]), D("2025-02-01"), events=events, event_names=["promises_broken", "contacts"])
    assert fx.column("promises_broken_total")[0] == 2
    assert fx.column("promises_broken_90d")[0] == 1
    assert fx.column("contacts_total")[0] == 0


@pytest.mark.smoke
def test_features_do_not_change_when_later_settlements_change():
    """Leakage: rewriting the outcomes of invoices settled after the prediction date changes nothing."""
    rng = np.random.default_rng(3)
    n = 400
    customer = rng.integers(0, 20, n)
    issue = D("2024-01-01") + rng.integers(0, 500, n).astype("timedelta64[D]")
    settled = issue + rng.integers(5, 120, n).astype("timedelta64[D]")
    settled[rng.random(n) < 0.1] = np.datetime64("NaT", "D")
    h = PaymentHistory(customer=customer, issue_date=issue, due_date=issue + np.timedelta64(30, "D"),
                       amount=rng.uniform(10, 1000, n), settled_date=settled,
                       outcome_flags={"disputed": rng.random(n) < 0.2})
    rows = np.arange(n)
    before = payment_features(h, rows, issue)
    for i in range(n):
        later = (h.settled_date > issue[i]) | np.isnat(h.settled_date)
        # the future: when the still-open invoices get settled, and whether they get disputed
        shifted = np.where(later, issue[i] + rng.integers(1, 300, n).astype("timedelta64[D]"), h.settled_date)
        shifted = np.where(later & (rng.random(n) < 0.3), np.datetime64("NaT", "D"), shifted)
        # ... and everything about invoices issued after the prediction date
        future_issue = h.issue_date > issue[i]
        changed = PaymentHistory(
            customer=h.customer, issue_date=h.issue_date, due_date=h.due_date,
            amount=np.where(future_issue, h.amount * 3, h.amount), settled_date=shifted,
            outcome_flags={"disputed": np.where(later, ~h.outcome_flags["disputed"], h.outcome_flags["disputed"])},
        )
        after = payment_features(changed, rows[i : i + 1], issue[i : i + 1])
        np.testing.assert_allclose(after.values[0], before.values[i], rtol=1e-9, atol=1e-9, err_msg=f"row {i}")


def test_examples_keep_only_rows_whose_outcome_is_known():
    h = _history(["2025-01-20", None, "2025-09-01"], issue=["2025-01-01", "2025-01-05", "2025-06-01"])
    ex = payment_examples(h, known_on=D("2025-07-01"), issued_before=D("2025-07-01"), label_window_days=60,
                          snapshots_after_due=(0, 30))
    issue_rows = ex.rows[ex.as_of == h.issue_date[ex.rows]]
    assert sorted(issue_rows.tolist()) == [0, 1]  # invoice 2 was issued inside the 60-day label window
    open_row = np.flatnonzero((ex.rows == 1) & (ex.as_of == h.issue_date[1]))[0]
    assert ex.censored[open_row]
    assert ex.delay[open_row] == (D("2025-07-01") - h.due_date[1]).astype(int)
    # snapshots: invoice 1 on its due date and 30 days later (still open); invoice 0 was paid before its due date
    assert sorted(ex.as_of[ex.rows == 1].tolist()) == sorted(
        [h.issue_date[1], h.due_date[1], h.due_date[1] + np.timedelta64(30, "D")]
    )
    assert (ex.rows == 0).sum() == 1


def test_mismatched_columns_are_rejected():
    from arrears_engine.features import FeatureError

    with pytest.raises(FeatureError, match="amount"):
        PaymentHistory(customer=[1, 2], issue_date=["2025-01-01"] * 2, due_date=["2025-01-31"] * 2,
                       amount=[1.0], settled_date=["NaT", "NaT"])


def test_a_rows_features_do_not_depend_on_the_other_rows_computed_with_it():
    rng = np.random.default_rng(11)
    n = 400
    issue = D("2025-01-01") + rng.integers(0, 300, n).astype("timedelta64[D]")
    settled = np.where(rng.random(n) < 0.6, issue + rng.integers(10, 90, n).astype("timedelta64[D]"),
                       np.datetime64("NaT", "D"))
    h = PaymentHistory(customer=rng.integers(0, 12, n), issue_date=issue, due_date=issue + np.timedelta64(30, "D"),
                       amount=rng.lognormal(5, 1, n), settled_date=settled, outcome_flags={"disputed": rng.random(n) < 0.1})
    events = {"disputes": EventLog(customer=rng.integers(0, 12, 50),
                                   date=D("2025-01-01") + rng.integers(0, 400, 50).astype("timedelta64[D]"))}
    rows = rng.integers(0, n, 300)
    dates = issue[rows] + rng.integers(0, 60, 300).astype("timedelta64[D]")
    dates[::3] = D("2025-08-01")  # many rows share a customer and a date

    together = payment_features(h, rows, dates, events=events)

    for i in range(0, 300, 7):
        alone = payment_features(h, rows[i : i + 1], dates[i : i + 1], events=events)
        np.testing.assert_array_equal(alone.values[0], together.values[i])
