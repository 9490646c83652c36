"""The nightly refresh of the predictions for every open debit document."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import transaction

from arrears.scoring.learn import THRESHOLDS, PaymentModel
from arrears.scoring.models import ModelVersion, Prediction
from arrears.scoring.reasons import reasons_for_rows
from arrears.scoring.selectors import Portfolio, model_version_active
from arrears.scoring.services.training import (
    _date,
    _day,
    model_train,
    model_version_load,
    portfolio_features,
    portfolio_for_model,
)

BATCH = 5000


def predictions_compute(
    *, model: PaymentModel, portfolio: Portfolio, rows: np.ndarray, as_of: dt.date, explain: bool = True,
) -> dict[str, Any]:
    """Predicted dates (never before ``as_of``) and lateness probabilities for ``portfolio[rows]``.

    What is already certain overrides the model: an invoice 40 days overdue on ``as_of`` is paid more
    than 30 days late with probability 1.
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
        out["reasons"] = reasons_for_rows(fx.names, fx.values, model.contributions(fx.values), model.schema["vocabularies"])
    return out


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
    doc_ids = portfolio.document_id[rows]
    objs = [
        Prediction(
            document_id=int(doc_ids[i]), model_version=version, as_of=as_of,
            predicted_date=_date(result["predicted"][i]), low_date=_date(result["low"][i]),
            high_date=_date(result["high"][i]),
            p_late_0=float(result["p_late"][0][i]), p_late_30=float(result["p_late"][30][i]),
            p_late_60=float(result["p_late"][60][i]), reasons=result["reasons"][i],
        )
        for i in range(len(rows))
    ]
    with transaction.atomic():
        Prediction.objects.all().delete()
        Prediction.objects.bulk_create(objs, batch_size=BATCH)
    return {
        "as_of": as_of, "model_version": version.pk, "predictions": len(objs),
        "mean_p_late": float(np.mean(result["p_late"][0])) if len(rows) else None,
    }
