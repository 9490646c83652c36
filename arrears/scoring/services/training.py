"""Train, evaluate and store the payment model on whatever history the ledger holds."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from arrears.common.json import jsonable
from arrears.scoring.errors import ScoringError, ScoringErrorCode
from arrears.scoring.learn import (
    THRESHOLDS,
    ModelParams,
    PaymentModel,
    auc,
    calibration_svg,
    calibration_table,
    mae,
)
from arrears.scoring.models import ModelKind, ModelVersion
from arrears.scoring.selectors import Portfolio, payment_portfolio_load
from arrears_engine.features import Examples, FeatureMatrix, payment_examples, payment_features

LABEL_WINDOW_DAYS = 60
MIN_TRAINING_ROWS = 50
TEST_SPLIT = 0.75  # default cutoff: this far into the range of issue dates


def _day(value: dt.date | np.datetime64) -> np.datetime64:
    return np.datetime64(value, "D")


def _date(value: np.datetime64) -> dt.date:
    return value.astype("datetime64[D]").astype(dt.date)


def portfolio_features(
    model: PaymentModel | None, portfolio: Portfolio, rows: np.ndarray, as_of: np.ndarray | np.datetime64
) -> FeatureMatrix:
    names = model.schema.get("events") if model is not None else None
    fx = payment_features(portfolio.history, rows, as_of, events=portfolio.events, event_names=names)
    if model is not None and fx.names != model.feature_names:
        raise ScoringError(ScoringErrorCode.NO_MODEL, "the stored model was trained on other columns; train it again")
    return fx


def portfolio_for_model(model: PaymentModel) -> Portfolio:
    """The ledger as columns shaped like the model's training data."""
    return payment_portfolio_load(
        vocabularies=model.schema["vocabularies"], attributes=model.schema["attributes"],
        outcome_flags=model.schema["outcome_flags"],
    )


def model_fit(
    *, portfolio: Portfolio, known_on: np.datetime64, params: ModelParams | None = None,
) -> tuple[PaymentModel, Examples]:
    """Fit on the rows whose outcome is known on ``known_on`` (issued before it, see payment_examples)."""
    history = portfolio.history
    examples = payment_examples(
        history, known_on=known_on, issued_before=known_on, label_window_days=LABEL_WINDOW_DAYS,
    )
    if len(examples) < MIN_TRAINING_ROWS:
        raise ScoringError(
            ScoringErrorCode.NOT_ENOUGH_DATA,
            f"{len(examples)} invoices with a known outcome before {_date(known_on)}; the model needs at least "
            f"{MIN_TRAINING_ROWS} (import more history or choose a later cutoff)",
        )
    fx = portfolio_features(None, portfolio, examples.rows, examples.as_of)
    model = PaymentModel(fx.names, fx.categorical, params or ModelParams())
    model.schema = {
        "vocabularies": portfolio.vocabularies,
        "attributes": list(history.attributes),
        "outcome_flags": list(history.outcome_flags),
        "events": sorted(portfolio.events),
    }
    model.fit(fx.values, examples.delay)
    return model, examples


def default_cutoff(portfolio: Portfolio) -> np.datetime64:
    issue = portfolio.history.issue_date
    if not len(issue):
        raise ScoringError(ScoringErrorCode.NOT_ENOUGH_DATA, "the ledger holds no invoices")
    lo, hi = issue.min(), issue.max()
    return lo + (hi - lo) * 3 // 4


def evaluate_on(
    *, portfolio: Portfolio, cutoff: np.datetime64, known_on: np.datetime64, params: ModelParams | None = None,
) -> tuple[dict[str, Any], dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Train on what was known at ``cutoff``, test on invoices issued from it on (settled by ``known_on``).

    Test rows are predicted on their issue date, with the history settled before that date (so
    later test rows see earlier test invoices' settlements, as the nightly run would).
    """
    model, train = model_fit(portfolio=portfolio, known_on=cutoff, params=params)
    history = portfolio.history
    test = payment_examples(
        history, known_on=known_on, issued_from=cutoff, issued_before=known_on, label_window_days=0,
        with_snapshots=False,
    )
    settled = ~test.censored
    rows, as_of, y = test.rows[settled], test.as_of[settled], test.delay[settled]
    if len(rows) < 10:
        raise ScoringError(
            ScoringErrorCode.BAD_CUTOFF,
            f"only {len(rows)} settled invoices issued on or after {_date(cutoff)}: choose an earlier cutoff",
        )
    fx = portfolio_features(model, portfolio, rows, as_of)
    pred = model.predict(fx.values)
    late = y > 0
    first_rows = train.as_of == history.issue_date[train.rows]
    train_rate = float(np.mean(train.delay[first_rows] > 0)) if first_rows.any() else 0.0
    share = fx.column("hist_share_late")
    share_score = np.where(np.isnan(share), train_rate, share)
    mean_delay = np.nan_to_num(fx.column("hist_mean_delay"), nan=0.0)
    coverage = float(np.mean((y >= pred.low) & (y <= pred.high)))
    metrics: dict[str, Any] = {
        "cutoff": _date(cutoff),
        "known_on": _date(known_on),
        "train_rows": len(train),
        "train_invoices": int(first_rows.sum()),
        "test_rows": len(rows),
        "test_late_share": float(late.mean()),
        "model": {
            "auc_late": auc(late, pred.p_late[0]),
            "mae_days": mae(y, pred.delay),
            "auc_late_30": auc(y > 30, pred.p_late[30]),
            "auc_late_60": auc(y > 60, pred.p_late[60]),
            "brier_late": float(np.mean((pred.p_late[0] - late) ** 2)),
            "interval_10_90_coverage": coverage,
            "calibration": model.calibration and {str(k): v for k, v in model.calibration.items()},
        },
        "baselines": {
            "due_date": {
                "description": "predict payment on the due date; its lateness score is a constant",
                "mae_days": mae(y, np.zeros(len(y))),
                "auc_late": 0.5,
            },
            "late_share": {
                "description": "score = the customer's share of invoices paid late so far "
                               "(no history: the training rate); payment date as due_date",
                "mae_days": mae(y, np.zeros(len(y))),
                "auc_late": auc(late, share_score),
            },
            "due_plus_mean_delay": {
                "description": "due date plus the customer's mean delay so far (no history: 0); "
                               "score = that mean delay",
                "mae_days": mae(y, mean_delay),
                "auc_late": auc(late, mean_delay),
            },
        },
    }
    best_auc = max((b["auc_late"] or 0.0) for b in metrics["baselines"].values())
    best_mae = min(b["mae_days"] for b in metrics["baselines"].values())
    metrics["model_beats_baselines"] = bool(
        (metrics["model"]["auc_late"] or 0.0) > best_auc and metrics["model"]["mae_days"] < best_mae
    )
    curves = {k: (y > k, pred.p_late[k]) for k in THRESHOLDS}
    metrics["calibration_table"] = {
        str(k): calibration_table(t, p) for k, (t, p) in curves.items() if t.any() and not t.all()
    }
    return metrics, curves


def model_evaluate(
    *, cutoff: dt.date | None = None, plot_path: Path | str | None = None, params: ModelParams | None = None,
) -> dict[str, Any]:
    """Chronological evaluation on the ledger's history, with the baselines and a calibration plot (SVG)."""
    portfolio = payment_portfolio_load()
    cut = _day(cutoff) if cutoff is not None else default_cutoff(portfolio)
    known_on = portfolio.last_date() + np.timedelta64(1, "D")
    if cut >= known_on:
        raise ScoringError(ScoringErrorCode.BAD_CUTOFF, f"cutoff {_date(cut)} is after the last data ({_date(known_on)})")
    metrics, curves = evaluate_on(portfolio=portfolio, cutoff=cut, known_on=known_on, params=params)
    path = Path(plot_path) if plot_path else Path(settings.MEDIA_ROOT) / "models" / f"calibration-{_date(cut)}.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = [(f"paid > {k} days late (n={int(t.size)}, {int(t.sum())} late)", calibration_table(t, p))
              for k, (t, p) in curves.items() if t.any() and not t.all()]
    path.write_text(calibration_svg(tables, title=f"Calibration, invoices issued from {_date(cut)}"), encoding="utf-8")
    metrics["calibration_plot"] = str(path)
    return metrics


def _f(value: float | None) -> str:
    return "n/a (one class only)" if value is None else f"{value:.3f}"


def _card_text(card: dict[str, Any]) -> str:
    lines = [
        f"Payment model, trained {card['created_on']} on data known on {card['trained_on']}.",
        f"Data window: invoices issued {card['data_window']['from']} to {card['data_window']['to']}; "
        f"{card['training_rows']} training rows ({card['training_invoices']} invoices on their issue date, "
        "the rest snapshots of invoices still open on or after their due date).",
        f"Features ({len(card['features'])}): {', '.join(card['features'])}.",
        f"Calibration: {card['calibration']}.",
    ]
    held_out = card.get("metrics", {}).get("held_out")
    if held_out and "error" in held_out:
        lines.append(f"Held out: not measured ({held_out['error']['message']}).")
    elif held_out:
        m, b = held_out["model"], held_out["baselines"]
        lines.append(
            f"Held out (issued from {held_out['cutoff']}, {held_out['test_rows']} invoices): AUC {_f(m['auc_late'])} "
            f"(late-share baseline {_f(b['late_share']['auc_late'])}), MAE {m['mae_days']:.2f} days (due date "
            f"{b['due_date']['mae_days']:.2f}, due date + mean delay {b['due_plus_mean_delay']['mae_days']:.2f})."
        )
    lines.append("Limits: " + card["limits"])
    return "\n".join(lines)


def model_train(
    *, cutoff: dt.date | None = None, params: ModelParams | None = None, evaluate: bool = True, activate: bool = True,
) -> ModelVersion:
    """Train on everything known on ``cutoff`` (default: the day after the last date in the data) and store it.

    With ``evaluate`` the model card also carries held-out metrics: a chronological split of the
    same data at 75 % of its issue dates.
    """
    portfolio = payment_portfolio_load()
    known_on = _day(cutoff) if cutoff is not None else portfolio.last_date() + np.timedelta64(1, "D")
    model, examples = model_fit(portfolio=portfolio, known_on=known_on, params=params)
    metrics: dict[str, Any] = {"training": {"rows": len(examples), "late_share": float(np.mean(examples.delay > 0))}}
    if evaluate:
        issue = portfolio.history.issue_date[portfolio.history.issue_date < known_on]
        eval_cut = issue.min() + (issue.max() - issue.min()) * 3 // 4
        try:
            metrics["held_out"], _ = evaluate_on(portfolio=portfolio, cutoff=eval_cut, known_on=known_on, params=params)
            metrics["held_out"].pop("calibration_table", None)
        except ScoringError as exc:
            metrics["held_out"] = {"error": exc.as_dict()}
    first = examples.as_of == portfolio.history.issue_date[examples.rows]
    card = {
        "kind": ModelKind.PAYMENT.value,
        "algorithm": "LightGBM: L1 regression (median delay), quantile regression (10th/90th percentiles), "
                     "classifiers for paid > 0/30/60 days late with out-of-fold calibration",
        "created_on": dt.date.today().isoformat(),  # noqa: DTZ011 (a label for people, not a business date)
        "trained_on": _date(known_on).isoformat(),
        "data_window": {"from": _date(portfolio.history.issue_date[examples.rows].min()).isoformat(),
                        "to": _date(examples.as_of.max()).isoformat()},
        "training_rows": len(examples),
        "training_invoices": int(first.sum()),
        "features": list(model.feature_names),
        "categorical": list(model.categorical),
        "schema": model.schema,
        "params": asdict(model.params),
        "calibration": {str(k): v for k, v in model.calibration.items()},
        "label_window_days": LABEL_WINDOW_DAYS,
        "metrics": metrics,
        "limits": "customer history counts only invoices settled before the prediction date; an invoice's own "
                  "dispute flag is not a feature (known only after it is sent); invoices still open at training "
                  "time count with their delay so far (a lower bound).",
    }
    card = jsonable(card)
    with transaction.atomic():
        if activate:
            ModelVersion.objects.filter(kind=ModelKind.PAYMENT, is_active=True).update(is_active=False)
        return ModelVersion.objects.create(
            kind=ModelKind.PAYMENT, trained_on=_date(known_on),
            data_from=card["data_window"]["from"], data_to=card["data_window"]["to"],
            training_rows=len(examples), features=list(model.feature_names), metrics=card["metrics"],
            card=card, card_text=_card_text(card), model=model.dumps(), is_active=activate,
        )


def model_version_load(version: ModelVersion) -> PaymentModel:
    return PaymentModel.loads(version.model)
