"""Scoring writes: train and evaluate the model, refresh predictions, compute early warnings, backtest.

The nightly run calls ``predictions_refresh(as_of=...)`` and ``early_warnings_compute(as_of=...)``.
"""

from arrears.scoring.services.early_warnings import early_warnings_compute
from arrears.scoring.services.forecast import forecast_accuracy_figures, forecast_backtest
from arrears.scoring.services.predictions import predictions_compute, predictions_refresh
from arrears.scoring.services.training import model_evaluate, model_fit, model_train, model_version_load

__all__ = [
    "early_warnings_compute",
    "forecast_accuracy_figures",
    "forecast_backtest",
    "model_evaluate",
    "model_fit",
    "model_train",
    "model_version_load",
    "predictions_compute",
    "predictions_refresh",
]
