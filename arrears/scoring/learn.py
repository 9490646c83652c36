"""The payment model: gradient boosting on the features of `arrears_engine.features`. No Django here.

Three regressors give the payment date (the median delay after the due date, objective L1, and the
10th and 90th percentiles, objective quantile) and three calibrated classifiers the probability of
being paid more than 0, 30 and 60 days late. Calibration works like scikit-learn's CalibratedClassifierCV
with ``ensemble=False``: out-of-fold scores (3 folds) fit the calibrator (Platt's sigmoid, or isotonic
when each class has at least 1,000 rows), one booster fitted on all rows does the predicting, and
its SHAP values (exact, by table look-up: see shap.py) are the reasons.

The "paid late" classifier boosts from a prior: its starting score is a small logistic scorecard of
the customer's record (late share so far, shrunk toward the portfolio's rate for short histories;
mean delays; days past due), and the trees learn corrections to it. On small portfolios (the IBM sample has 100 customers) trees alone rank customers
more coarsely than that one number does.
"""

from __future__ import annotations

import os

# OpenMP threads must not spin on a busy 2-core box (STACK.md pitfall 11); set before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from arrears.scoring.shap import ShapTables

THRESHOLDS = (0, 30, 60)
QUANTILES = (0.1, 0.9)
ISOTONIC_MIN_ROWS = 5000
PRIOR_STRENGTH = 2.0  # pseudo-invoices at the portfolio's late rate added to each customer's history
MIN_CLASS_ROWS = 15  # fewer positives (or negatives) than this: predict the observed share instead
# predicting a million rows: both cores (OMP_WAIT_POLICY=passive keeps idle threads off the CPU)
PREDICT_THREADS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class ModelParams:
    # 80 trees at 0.075 score the IBM test like 200 at 0.03 (AUC 0.871, MAE 5.71 days) in 40 % of the
    # prediction time: a million open invoices through six models is most of the nightly refresh
    n_estimators: int = 80
    learning_rate: float = 0.075
    num_leaves: int = 7
    min_child_samples: int = 40
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    n_jobs: int = 1
    random_state: int = 7

    def lgbm(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators, "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples, "subsample": self.subsample, "subsample_freq": 1,
            "colsample_bytree": self.colsample_bytree, "reg_lambda": self.reg_lambda, "n_jobs": self.n_jobs,
            "random_state": self.random_state, "verbose": -1,
        }


@dataclass
class _ConstantProbability:
    """Too few examples of one class to learn from (e.g. nobody 60 days late): the observed share."""

    p: float

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.column_stack([np.full(len(x), 1 - self.p), np.full(len(x), self.p)])


PRIOR_FEATURES = ("hist_share_late", "hist_mean_delay", "hist_mean_delay_last10", "hist_last_delay", "days_past_due")


@dataclass
class _Scorecard:
    """The prior the "paid late" classifier starts from: a logistic regression on the customer's record.

    Inputs: the log-odds of the customer's late share (shrunk toward the portfolio rate for short
    histories), the mean delay overall, over the last 10 and of the last invoice, and days past due
    (clipped, missing = 0). Its terms are attributed to those features when the reasons are built.
    """

    columns: tuple[int, ...]  # indices of PRIOR_FEATURES, hist_count first
    rate: float
    model: Any = None

    def design(self, x: np.ndarray) -> np.ndarray:
        count, share, mean, last10, last, dpd = (x[:, c] for c in self.columns)
        n = np.nan_to_num(count)
        q = np.clip((np.nan_to_num(share) * n + PRIOR_STRENGTH * self.rate) / (n + PRIOR_STRENGTH), 1e-4, 1 - 1e-4)
        clip = [np.clip(np.nan_to_num(v), -60, 120) for v in (mean, last10, last)]
        return np.column_stack([np.log(q / (1 - q)), *clip, np.minimum(np.nan_to_num(dpd), 90)])

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Scorecard:
        self.model = LogisticRegression(C=1.0, max_iter=2000).fit(self.design(x), y)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.decision_function(self.design(x)), dtype=float)

    def terms(self, x: np.ndarray) -> np.ndarray:
        """Each input's share of the score, centred on the average row (columns in PRIOR_FEATURES order)."""
        d = self.design(x)
        return (d - self._centre) * self.model.coef_[0]

    _centre: Any = None

    def centre_on(self, x: np.ndarray) -> None:
        self._centre = self.design(x).mean(axis=0)


@dataclass
class _CalibratedBooster:
    """A LightGBM classifier, optionally started from a scorecard's score, and the calibrator of its scores."""

    booster: Any
    calibrator: Any
    method: str
    prior: _Scorecard | None

    def raw(self, x: np.ndarray) -> np.ndarray:
        score = np.asarray(self.booster.booster_.predict(x, raw_score=True, num_threads=PREDICT_THREADS), dtype=float)
        return score + self.init_score(x)

    def init_score(self, x: np.ndarray) -> np.ndarray:
        return np.zeros(len(x)) if self.prior is None else self.prior.score(x)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = _calibrate(self.calibrator, self.method, self.raw(x))
        return np.column_stack([1 - p, p])

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, params: dict[str, Any], fit_kw: dict[str, Any],
            prior: _Scorecard | None, random_state: int) -> _CalibratedBooster:
        minority = int(min(y.sum(), len(y) - y.sum()))
        method = "isotonic" if minority >= ISOTONIC_MIN_ROWS else "sigmoid"
        oof = np.zeros(len(x))
        for train, held in StratifiedKFold(3, shuffle=True, random_state=random_state).split(x, y):
            fold_prior = prior and _Scorecard(prior.columns, prior.rate).fit(x[train], y[train])
            init = fold_prior.score(x) if fold_prior else np.zeros(len(x))
            fold = lgb.LGBMClassifier(**params).fit(x[train], y[train], init_score=init[train], **fit_kw)
            oof[held] = fold.predict(x[held], raw_score=True) + init[held]
        if method == "isotonic":
            calibrator: Any = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(oof, y)
        else:
            calibrator = LogisticRegression(C=1e6).fit(oof.reshape(-1, 1), y)
        if prior is not None:
            prior.fit(x, y).centre_on(x)
        init = prior.score(x) if prior is not None else np.zeros(len(x))
        booster = lgb.LGBMClassifier(**params).fit(x, y, init_score=init, **fit_kw)
        return cls(booster, calibrator, method, prior)


def _calibrate(calibrator: Any, method: str, raw: np.ndarray) -> np.ndarray:
    if method == "isotonic":
        return np.asarray(calibrator.predict(raw), dtype=float)
    return np.asarray(calibrator.predict_proba(raw.reshape(-1, 1))[:, 1], dtype=float)


@dataclass(frozen=True)
class Prediction:
    delay: np.ndarray  # days after the due date (median)
    low: np.ndarray  # 10th percentile
    high: np.ndarray  # 90th percentile
    p_late: dict[int, np.ndarray]  # threshold (days) -> probability of paying more than that late


@dataclass
class PaymentModel:
    feature_names: tuple[str, ...]
    categorical: tuple[str, ...]
    params: ModelParams
    point: Any = None
    quantiles: dict[float, Any] = field(default_factory=dict)
    classifiers: dict[int, Any] = field(default_factory=dict)
    calibration: dict[int, str] = field(default_factory=dict)  # threshold -> method (or "constant")
    # the input columns it was trained on: category vocabularies, attributes, outcome flags, event logs
    schema: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------------------------- fitting

    def fit(self, x: np.ndarray, delay: np.ndarray) -> PaymentModel:
        if len(x) < 2 * MIN_CLASS_ROWS:
            raise ValueError(f"{len(x)} training rows: the model needs at least {2 * MIN_CLASS_ROWS}")
        cat = [self.feature_names.index(c) for c in self.categorical]
        fit_kw: dict[str, Any] = {"categorical_feature": cat} if cat else {}
        base = self.params.lgbm()
        self.point = lgb.LGBMRegressor(objective="l1", **base).fit(x, delay, **fit_kw)
        for q in QUANTILES:
            self.quantiles[q] = lgb.LGBMRegressor(objective="quantile", alpha=q, **base).fit(x, delay, **fit_kw)
        for k in THRESHOLDS:
            y = (delay > k).astype(np.int64)
            positives = int(y.sum())
            if min(positives, len(y) - positives) < MIN_CLASS_ROWS:
                self.classifiers[k] = _ConstantProbability(positives / len(y))
                self.calibration[k] = "constant"
                continue
            prior = None
            if k == 0 and {"hist_count", *PRIOR_FEATURES} <= set(self.feature_names):
                rate = float(np.clip(positives / len(y), 0.01, 0.99))
                columns = tuple(self.feature_names.index(c) for c in ("hist_count", *PRIOR_FEATURES))
                prior = _Scorecard(columns, rate)
            # trees on top of the scorecard only correct it: fewer and smaller, or they fit noise
            params = {**base, "n_estimators": base["n_estimators"] // 2, "num_leaves": 4} if prior else base
            clf = _CalibratedBooster.fit(x, y, params=params, fit_kw=fit_kw, prior=prior,
                                         random_state=self.params.random_state)
            self.classifiers[k] = clf
            self.calibration[k] = clf.method
        return self

    # ------------------------------------------------------------------------------- predicting

    def predict(self, x: np.ndarray) -> Prediction:
        def regress(model: Any) -> np.ndarray:
            return np.asarray(model.booster_.predict(x, num_threads=PREDICT_THREADS), dtype=float)

        delay = regress(self.point)
        low = np.minimum(regress(self.quantiles[QUANTILES[0]]), delay)
        high = np.maximum(regress(self.quantiles[QUANTILES[1]]), delay)
        p_late: dict[int, np.ndarray] = {}
        previous = np.ones(len(x))
        for k in THRESHOLDS:
            p = np.clip(self.classifiers[k].predict_proba(x)[:, 1], 0.0, 1.0)
            previous = np.minimum(previous, p)  # later than 30 days implies later than 0 days
            p_late[k] = previous
        return Prediction(delay, low, high, p_late)

    def explaining_booster(self) -> Any:
        """The booster behind P(late > 0 days), whose SHAP values explain each prediction."""
        clf = self.classifiers[0]
        if isinstance(clf, _CalibratedBooster):
            return clf.booster.booster_
        return self.point.booster_

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """SHAP values of the "paid late" score (log-odds), one column per feature.

        The scorecard the classifier starts from is explained term by term: each of its inputs'
        share of the score (against the average training row) is added to that feature's column.
        """
        booster = self.explaining_booster()
        if ShapTables.supports(booster):  # small trees: exact values by table look-up (see shap.py)
            contrib = ShapTables.from_booster(booster).contributions(x)
        else:
            contrib = np.asarray(booster.predict(x, pred_contrib=True, num_threads=PREDICT_THREADS))
            contrib = np.array(contrib[:, : len(self.feature_names)], order="F")
        clf = self.classifiers[0]
        if isinstance(clf, _CalibratedBooster) and clf.prior is not None:
            contrib[:, list(clf.prior.columns[1:])] += clf.prior.terms(x)
        return contrib

    # ---------------------------------------------------------------------------- persistence

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes) -> PaymentModel:
        """Only for models this system stored itself: joblib is pickle."""
        model = joblib.load(io.BytesIO(bytes(data)))
        if not isinstance(model, PaymentModel):
            raise TypeError(f"stored model is a {type(model).__name__}, not a PaymentModel")
        return model


# ---------------------------------------------------------------------------------------- metrics


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC, or None when the test rows hold only one class."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        return None
    return float(roc_auc_score(y, score))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(actual, float) - np.asarray(predicted, float))))


def calibration_table(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> list[dict[str, float | int]]:
    """Reliability diagram data: per probability bin, the mean prediction and the observed share."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    out: list[dict[str, float | int]] = []
    for b in range(bins):
        sel = which == b
        if sel.any():
            out.append({"bin": b, "lower": b / bins, "upper": (b + 1) / bins, "count": int(sel.sum()),
                        "mean_predicted": float(p[sel].mean()), "observed": float(y[sel].mean())})
    return out


def calibration_svg(curves: Sequence[tuple[str, list[dict[str, float | int]]]], *, title: str) -> str:
    """A reliability diagram as a standalone SVG (no plotting library needed)."""
    w, h, pad = 480, 480, 60
    size = w - 2 * pad

    def xy(px: float, py: float) -> tuple[float, float]:
        return pad + px * size, h - pad - py * size

    colours = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 20 * len(curves)}" '
        f'viewBox="0 0 {w} {h + 20 * len(curves)}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{w / 2}" y="24" text-anchor="middle" font-size="14">{_esc(title)}</text>',
        f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#444"/>',
    ]
    for i in range(11):
        v = i / 10
        x, _ = xy(v, 0)
        _, y = xy(0, v)
        parts.append(f'<line x1="{x:.1f}" y1="{h - pad}" x2="{x:.1f}" y2="{h - pad + 5}" stroke="#444"/>')
        parts.append(f'<text x="{x:.1f}" y="{h - pad + 18}" text-anchor="middle">{v:.1f}</text>')
        parts.append(f'<line x1="{pad - 5}" y1="{y:.1f}" x2="{pad}" y2="{y:.1f}" stroke="#444"/>')
        parts.append(f'<text x="{pad - 8}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    (x0, y0), (x1, y1) = xy(0, 0), xy(1, 1)
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#999" stroke-dasharray="4 4"/>')
    parts.append(f'<text x="{w / 2}" y="{h - 20}" text-anchor="middle">predicted probability</text>')
    parts.append(f'<text x="16" y="{h / 2}" text-anchor="middle" transform="rotate(-90 16 {h / 2})">'
                 "observed share</text>")
    for i, (label, table) in enumerate(curves):
        colour = colours[i % len(colours)]
        points = " ".join("{:.1f},{:.1f}".format(*xy(float(r["mean_predicted"]), float(r["observed"]))) for r in table)
        if points:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in table:
            cx, cy = xy(float(r["mean_predicted"]), float(r["observed"]))
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}">'
                         f'<title>{_esc(label)}: predicted {float(r["mean_predicted"]):.3f}, observed '
                         f'{float(r["observed"]):.3f}, {r["count"]} invoices</title></circle>')
        parts.append(f'<rect x="{pad}" y="{h + 20 * i - 8}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{pad + 18}" y="{h + 20 * i + 2}">{_esc(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
