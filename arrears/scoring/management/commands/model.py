"""`arrears model`: train, evaluate and use the payment model on what is in the database.

    arrears model train    [--cutoff DATE] [--no-evaluate] [--json]
    arrears model evaluate [--cutoff DATE] [--plot PATH] [--json]
    arrears model predict  [--as-of DATE] [--json]          # refresh the stored predictions
    arrears model warnings [--as-of DATE] [--json]          # compute the early warnings
    arrears model forecast [--as-of DATE] [--weeks 13] [--json]
    arrears model backtest --as-of DATE [--weeks 13] [--json]

With --json, stdout carries exactly one JSON document; errors exit 2 with {"error": {...}}.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.common.clock import today
from arrears.common.json import dumps, jsonable

os.environ.setdefault("OMP_WAIT_POLICY", "passive")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Payment prediction: train, evaluate, predict, early warnings, cash forecast and its backtest."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        train = sub.add_parser("train", help="train on everything known on --cutoff and store a model version")
        train.add_argument("--cutoff", type=_date, help="data known on this date (default: all of it)")
        train.add_argument("--no-evaluate", action="store_true", help="skip the held-out metrics in the model card")
        evaluate = sub.add_parser("evaluate", help="chronological split: model against the baselines")
        evaluate.add_argument("--cutoff", type=_date, help="test on invoices issued from here (default: 75%% point)")
        evaluate.add_argument("--plot", help="calibration plot path (.svg; default under MEDIA_ROOT/models/)")
        for name, text in (("predict", "refresh the predictions of every open document"),
                           ("warnings", "compute the early warnings"),
                           ("forecast", "expected collections per week from the stored predictions"),
                           ("backtest", "forecast as of a past date and compare with what was collected")):
            p = sub.add_parser(name, help=text)
            p.add_argument("--as-of", dest="as_of", type=_date, help="business date (default today)")
            if name in ("forecast", "backtest"):
                p.add_argument("--weeks", type=int, default=13)
        for p in sub.choices.values():
            p.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        from arrears.scoring.errors import ScoringError

        try:
            result = getattr(self, "_" + opts["subcommand"])(opts)
        except ScoringError as exc:
            if opts["json"]:
                self.stdout.write(dumps({"error": exc.as_dict()}))
                sys.exit(2)
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(dumps(jsonable(result)))

    def _say(self, opts: dict[str, Any], text: str) -> None:
        if not opts["json"]:
            self.stdout.write(text)

    # ----------------------------------------------------------------------------- subcommands

    def _train(self, opts: dict[str, Any]) -> dict[str, Any]:
        from arrears.scoring.services import model_train

        version = model_train(cutoff=opts["cutoff"], evaluate=not opts["no_evaluate"])
        self._say(opts, f"Stored model version {version.pk}.\n\n{version.card_text}")
        return {"model_version": version.pk, "card": version.card}

    def _evaluate(self, opts: dict[str, Any]) -> dict[str, Any]:
        from arrears.scoring.services import model_evaluate

        m = model_evaluate(cutoff=opts["cutoff"], plot_path=opts["plot"])
        if not opts["json"]:
            model = m["model"]
            self.stdout.write(
                f"Trained on {m['train_invoices']} invoices issued before {m['cutoff']} ({m['train_rows']} rows with "
                f"snapshots); tested on {m['test_rows']} settled invoices issued from then on "
                f"({m['test_late_share']:.1%} paid late)."
            )
            self.stdout.write(f"{'':<24}{'AUC (paid late)':>16}{'MAE (days)':>12}")
            self.stdout.write(f"{'model':<24}{_f(model['auc_late']):>16}{model['mae_days']:>12.2f}")
            for name, b in m["baselines"].items():
                self.stdout.write(f"{name:<24}{_f(b['auc_late']):>16}{b['mae_days']:>12.2f}")
            self.stdout.write(
                f"10-90% interval coverage {model['interval_10_90_coverage']:.1%}; Brier {model['brier_late']:.3f}; "
                f"model beats the baselines: {'yes' if m['model_beats_baselines'] else 'NO'}"
            )
            self.stdout.write(f"Calibration plot: {m['calibration_plot']}")
        return m

    def _predict(self, opts: dict[str, Any]) -> dict[str, Any]:
        from arrears.scoring.services import predictions_refresh

        r = predictions_refresh(as_of=opts["as_of"] or today())
        self._say(opts, f"{r['predictions']} predictions as of {r['as_of']} (model version {r['model_version']}).")
        return r

    def _warnings(self, opts: dict[str, Any]) -> dict[str, Any]:
        from arrears.scoring.services import early_warnings_compute

        r = early_warnings_compute(as_of=opts["as_of"] or today())
        self._say(opts, f"{r['warnings']} early warnings as of {r['as_of']}: " +
                  ", ".join(f"{k} {v}" for k, v in r["by_code"].items()))
        return r

    def _forecast(self, opts: dict[str, Any]) -> dict[str, Any]:
        from arrears.scoring.selectors import cash_forecast

        as_of = opts["as_of"] or today()
        groups = cash_forecast(as_of=as_of, weeks=opts["weeks"])
        if not opts["json"]:
            for g in groups:
                self.stdout.write(f"{g['business_unit']} {g['currency']}: total {g['total']:,}, later {g['later']:,}")
                for w in g["weeks"]:
                    self.stdout.write(f"  week {w['week']:>2} from {w['start']}: {w['amount']:>16,}")
        return {"as_of": as_of, "weeks": opts["weeks"], "groups": groups}

    def _backtest(self, opts: dict[str, Any]) -> dict[str, Any]:
        from arrears.scoring.services import forecast_backtest

        if opts["as_of"] is None:
            raise CommandError("backtest needs --as-of (a past date with history after it)")
        r = forecast_backtest(as_of=opts["as_of"], weeks=opts["weeks"])
        if not opts["json"]:
            for g in r["groups"]:
                self.stdout.write(
                    f"{g['business_unit']} {g['currency']}: forecast {g['forecast_total']:,} actual {g['actual_total']:,} "
                    f"WAPE accuracy {g['wape_accuracy']}% bias {g['bias']}%"
                )
                for w in g["weeks"]:
                    self.stdout.write(f"  week {w['week']:>2} from {w['start']}: forecast {w['forecast']:>14,} "
                                      f"actual {w['actual']:>14,} accuracy {w['accuracy']}")
        return r


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
