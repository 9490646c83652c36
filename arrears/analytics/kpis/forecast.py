"""Cash (collections) forecast accuracy, WAPE and bias (KPIS.md §16)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .core import KpiInputError, KpiResult, Number, Reason, Unit, percent, require_choice, to_fraction

DENOMINATORS = ("actual", "forecast")


@dataclass(frozen=True, slots=True)
class ForecastAccuracy:
    per_period: tuple[KpiResult, ...]
    wape: KpiResult
    bias: KpiResult
    horizon_days: int | None  # how long before each bucket the forecast was made (countdown analysis)


def _accuracy(kpi: str, error: Fraction, base: Fraction, denominator: str) -> KpiResult:
    if base == 0:
        reason = Reason.ZERO_ACTUAL if denominator == "actual" else Reason.ZERO_FORECAST
        return KpiResult.undefined(kpi, Unit.PERCENT, reason, method=denominator)
    return KpiResult.of(kpi, Unit.PERCENT, max(Fraction(0), 1 - error / base) * 100, method=denominator)


def forecast_accuracy(
    forecasts: Sequence[Number],
    actuals: Sequence[Number],
    *,
    denominator: str = "actual",
    horizon_days: int | None = None,
) -> ForecastAccuracy:
    """Per bucket max(0, 1 − |A − F| / |A|) × 100, WAPE max(0, 1 − Σ|A − F| / Σ|A|) × 100, bias (ΣF − ΣA)/ΣA × 100.

    ``denominator="forecast"`` is the labelled variant dividing by |F| (per bucket) and Σ|F| (WAPE);
    bias is always relative to actuals (+ = over-forecast). A zero denominator → ``ZERO_ACTUAL`` /
    ``ZERO_FORECAST``; accuracy is floored at 0 %.
    """
    require_choice("denominator", denominator, DENOMINATORS)
    if len(forecasts) != len(actuals):
        raise KpiInputError(f"{len(forecasts)} forecasts for {len(actuals)} actuals: give one of each per bucket")
    if not forecasts:
        raise KpiInputError("forecast accuracy needs at least one bucket")
    f = [to_fraction(x, f"forecasts[{i}]") for i, x in enumerate(forecasts)]
    a = [to_fraction(x, f"actuals[{i}]") for i, x in enumerate(actuals)]
    per_period = tuple(
        _accuracy("forecast_accuracy", abs(ai - fi), abs(ai if denominator == "actual" else fi), denominator)
        for fi, ai in zip(f, a, strict=True)
    )
    errors = sum((abs(ai - fi) for fi, ai in zip(f, a, strict=True)), Fraction(0))
    base = sum((abs(x) for x in (a if denominator == "actual" else f)), Fraction(0))
    wape = _accuracy("forecast_accuracy_wape", errors, base, denominator)
    total_actual = sum(a, Fraction(0))
    if total_actual == 0:
        bias = KpiResult.undefined("forecast_bias", Unit.PERCENT, Reason.ZERO_ACTUAL)
    else:
        bias = KpiResult.of("forecast_bias", Unit.PERCENT, percent(sum(f, Fraction(0)) - total_actual, total_actual))
    return ForecastAccuracy(per_period, wape, bias, horizon_days)
