"""The nightly refresh of the predictions for every open debit document.

A million open invoices is the design point: features, the six models and the SHAP factors are
vectorised (no Python loop per row), the reasons are stored as numbers (`reasons.top_factors`), and
the rows go in with one COPY on PostgreSQL (``executemany`` elsewhere) instead of a million model
instances. Measured figures: docs/prediction.md.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
from django.db import connection, transaction

from arrears.scoring.learn import THRESHOLDS, PaymentModel
from arrears.scoring.models import ModelVersion, Prediction
from arrears.scoring.reasons import TOP_REASONS, top_factors
from arrears.scoring.selectors import Portfolio, model_version_active
from arrears.scoring.services.training import (
    _day,
    model_train,
    model_version_load,
    portfolio_features,
    portfolio_for_model,
)

SQLITE_BATCH = 50_000


def predictions_compute(
    *, model: PaymentModel, portfolio: Portfolio, rows: np.ndarray, as_of: dt.date, explain: bool = True,
) -> dict[str, Any]:
    """Predicted dates (never before ``as_of``) and lateness probabilities for ``portfolio[rows]``.

    What is already certain overrides the model: an invoice 40 days overdue on ``as_of`` is paid more
    than 30 days late with probability 1. With ``explain``, ``factors`` holds the top reasons as
    arrays: feature indexes (rows x 3), their values and effects, and the history counts.
    """
    day = _day(as_of)
    fx = portfolio_features(model, portfolio, rows, day)
    pred = model.predict(fx.values)
    due = portfolio.history.due_date[rows]
    overdue = (day - due).astype(np.int64)

    def when(delay: np.ndarray) -> np.ndarray:
        return np.maximum(due + np.rint(delay).astype(np.int64).astype("timedelta64[D]"), day)

    out: dict[str, Any] = {
        "predicted": when(pred.delay), "low": when(pred.low), "high": when(pred.high),
        "p_late": {k: np.where(overdue > k, 1.0, pred.p_late[k]) for k in THRESHOLDS},
    }
    out["high"] = np.maximum(out["high"], out["predicted"])
    out["low"] = np.minimum(out["low"], out["predicted"])
    if explain:
        idx, effect = top_factors(model.contributions(fx.values), top=TOP_REASONS)
        out["factors"] = {
            "feature": idx, "effect": effect, "value": np.take_along_axis(fx.values, idx.astype(np.intp), axis=1),
            "hist_count": fx.column("hist_count"), "hist_count_last10": fx.column("hist_count_last10"),
        }
    return out


def _prediction_columns(
    *, document_id: np.ndarray, version: ModelVersion, as_of: dt.date, result: dict[str, Any],
) -> dict[str, Any]:
    """The Prediction table's columns as arrays (database column name -> values), one entry per row."""
    n = len(document_id)
    cols: dict[str, Any] = {
        "document_id": document_id.astype(np.int64),
        "model_version_id": np.full(n, version.pk, dtype=np.int64),
        "as_of": np.full(n, np.datetime64(as_of, "D")),
        "predicted_date": result["predicted"], "low_date": result["low"], "high_date": result["high"],
        **{f"p_late_{k}": np.asarray(result["p_late"][k], dtype=np.float64) for k in THRESHOLDS},
    }
    f = result["factors"]
    k = f["feature"].shape[1]
    for r in range(TOP_REASONS):
        present = r < k
        cols[f"reason_{r + 1}"] = f["feature"][:, r].astype(np.int64) if present else None
        cols[f"reason_{r + 1}_value"] = f["value"][:, r] if present else None  # NaN -> NULL
        cols[f"reason_{r + 1}_effect"] = f["effect"][:, r] if present else None
    cols["history_count"] = np.nan_to_num(f["hist_count"]).astype(np.int64)
    cols["history_count_last10"] = np.nan_to_num(f["hist_count_last10"]).astype(np.int64)
    return cols


def _copy_postgres(table: str, cols: dict[str, Any], n: int) -> None:
    import polars as pl

    frame = pl.DataFrame({
        name: pl.Series(name, [None] * n, dtype=pl.Float64) if values is None else pl.Series(name, values)
        for name, values in cols.items()
    }).with_columns(pl.selectors.float().fill_nan(None))
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", date_format="%Y-%m-%d")
    columns = ", ".join(connection.ops.quote_name(c) for c in cols)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def _insert_many(table: str, cols: dict[str, Any], n: int) -> None:
    def listed(values: Any) -> list[Any]:
        if values is None:
            return [None] * n
        arr = np.asarray(values)
        if arr.dtype.kind == "M":
            return arr.astype("datetime64[D]").astype(str).tolist()  # ISO dates, as Django stores them
        if arr.dtype.kind == "f":
            return np.where(np.isnan(arr), None, arr).tolist()
        return arr.tolist()

    data = [listed(v) for v in cols.values()]
    columns = ", ".join(connection.ops.quote_name(c) for c in cols)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(cols))})"
    rows = list(zip(*data, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, n, SQLITE_BATCH):
            cursor.executemany(sql, rows[start : start + SQLITE_BATCH])


def prediction_rows_replace(*, columns: dict[str, Any]) -> int:
    """Replace every stored prediction with ``columns`` (see `_prediction_columns`), in one transaction.

    PostgreSQL: TRUNCATE and one COPY (the table is locked against readers for those seconds).
    Other databases: DELETE and ``executemany``.
    """
    n = len(columns["document_id"])
    table = connection.ops.quote_name(Prediction._meta.db_table)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table}")
            if n:
                _copy_postgres(table, columns, n)
        else:
            Prediction.objects.all().delete()
            if n:
                _insert_many(table, columns, n)
    return n


def predictions_refresh(*, as_of: dt.date, model_version: ModelVersion | None = None) -> dict[str, Any]:
    """Replace the stored predictions with fresh ones for every open debit document issued by ``as_of``.

    The nightly run calls this. Without an active model version it trains one on what is known on
    ``as_of`` first. Safe to run twice: the second run writes the same rows again.
    """
    version = model_version or model_version_active()
    if version is None:
        version = model_train(cutoff=as_of + dt.timedelta(days=1), evaluate=False)
    model = model_version_load(version)
    portfolio = portfolio_for_model(model)
    rows = np.flatnonzero(portfolio.open_now & (portfolio.history.issue_date <= _day(as_of)))
    result = predictions_compute(model=model, portfolio=portfolio, rows=rows, as_of=as_of)
    columns = _prediction_columns(document_id=portfolio.document_id[rows], version=version, as_of=as_of, result=result)
    written = prediction_rows_replace(columns=columns)
    return {
        "as_of": as_of, "model_version": version.pk, "predictions": written,
        "mean_p_late": float(np.mean(result["p_late"][0])) if len(rows) else None,
    }
