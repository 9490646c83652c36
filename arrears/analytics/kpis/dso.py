"""DSO (standard and countback), Best Possible DSO and Average Days Delinquent (KPIS.md §1-§4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .core import (
    Flag,
    InconsistentDataError,
    KpiInputError,
    KpiResult,
    MethodMismatchError,
    Number,
    Reason,
    Unit,
    require_choice,
    require_positive_int,
    to_fraction,
)

DSO_METHODS = ("ending_ar", "average_ar")
MONTH_DAYS = ("actual", "flat30")
COUNTBACK = "countback"
MonthlySales = Sequence[tuple[Number, int]]


def _period_ratio(
    kpi: str, ar: Fraction, credit_sales: Number, days: int, *, method: str, negative: bool
) -> KpiResult:
    sales = to_fraction(credit_sales, "credit_sales")
    require_positive_int("days", days)
    basis = ("period", sales, days)
    flags = [Flag.NEGATIVE_AR] if negative else []
    if sales <= 0:
        return KpiResult.undefined(kpi, Unit.DAYS, Reason.ZERO_CREDIT_SALES, flags=flags, method=method, basis=basis)
    return KpiResult.of(kpi, Unit.DAYS, ar / sales * days, flags=flags, method=method, basis=basis)


def _numerator(ending: Fraction, beginning: Number | None, method: str, beginning_name: str) -> tuple[Fraction, bool]:
    require_choice("method", method, DSO_METHODS)
    if method == "ending_ar":
        return ending, ending < 0
    if beginning is None:
        raise KpiInputError(f'method="average_ar" needs {beginning_name}')
    begin = to_fraction(beginning, beginning_name)
    return (begin + ending) / 2, ending < 0 or begin < 0


def dso(
    ending_ar: Number, credit_sales: Number, days: int, *, method: str = "ending_ar", beginning_ar: Number | None = None
) -> KpiResult:
    """DSO = Ending total AR / Net credit sales of the period × Days in period (§1).

    ``method="average_ar"`` uses (beginning AR + ending AR) / 2. Credit sales ≤ 0 → ``ZERO_CREDIT_SALES``;
    a negative AR is computed and flagged ``NEGATIVE_AR``.
    """
    ending = to_fraction(ending_ar, "ending_ar")
    ar, negative = _numerator(ending, beginning_ar, method, "beginning_ar")
    return _period_ratio("dso", ar, credit_sales, days, method=method, negative=negative)


def best_possible_dso(
    current_ar: Number,
    credit_sales: Number,
    days: int,
    *,
    total_ar: Number | None = None,
    method: str = "ending_ar",
    beginning_current_ar: Number | None = None,
) -> KpiResult:
    """BPDSO = Current AR / Net credit sales × Days (§3): the chosen DSO formula with only the numerator changed.

    When ``total_ar`` is given, current AR above it means the feed is wrong: raises ``InconsistentDataError``.
    """
    current = to_fraction(current_ar, "current_ar")
    if total_ar is not None and current > to_fraction(total_ar, "total_ar"):
        raise InconsistentDataError(f"current AR {current_ar} exceeds total AR {total_ar}: the data feed is wrong")
    ar, negative = _numerator(current, beginning_current_ar, method, "beginning_current_ar")
    return _period_ratio("bpdso", ar, credit_sales, days, method=method, negative=negative)


@dataclass(frozen=True, slots=True)
class CountbackStep:
    """One month of the countback walk (the rows of the §2 worked-example table)."""

    month_index: int  # 0 = most recent month
    sales: Fraction
    ar_before: Fraction
    whole: bool  # True: the whole month was absorbed
    days_added: Fraction
    ar_after: Fraction


def _months(monthly_sales: Iterable[tuple[Number, int]], max_months: int) -> list[tuple[Fraction, int]]:
    require_positive_int("max_months", max_months)
    months: list[tuple[Fraction, int]] = []
    for i, item in enumerate(monthly_sales):
        if i >= max_months:
            break
        sales, days = item
        months.append((to_fraction(sales, f"monthly_sales[{i}]"), require_positive_int(f"monthly_sales[{i}] days", days)))
    return months


def countback_steps(
    ending_ar: Number, monthly_sales: MonthlySales, *, max_months: int = 12, month_days: str = "actual"
) -> tuple[CountbackStep, ...]:
    """The month-by-month walk of countback DSO (most recent month first), for drill-down and audit."""
    require_choice("month_days", month_days, MONTH_DAYS)
    remaining = to_fraction(ending_ar, "ending_ar")
    steps: list[CountbackStep] = []
    if remaining <= 0:
        return ()
    for i, (sales, actual_days) in enumerate(_months(monthly_sales, max_months)):
        month_len = 30 if month_days == "flat30" else actual_days
        if remaining > sales:  # whole month absorbed; zero/negative sales explain no AR
            after = remaining - max(sales, Fraction(0))
            steps.append(CountbackStep(i, sales, remaining, True, Fraction(month_len), after))
            remaining = after
        else:
            steps.append(CountbackStep(i, sales, remaining, False, remaining / sales * month_len, Fraction(0)))
            break
    return tuple(steps)


def _countback(kpi: str, ending_ar: Number, monthly_sales: MonthlySales, max_months: int, month_days: str) -> KpiResult:
    require_choice("month_days", month_days, MONTH_DAYS)
    months = _months(monthly_sales, max_months)
    basis = (COUNTBACK, tuple(months), month_days)
    ar = to_fraction(ending_ar, "ending_ar")
    flags = {Flag.NEGATIVE_AR} if ar < 0 else set()
    steps = countback_steps(ar, months, max_months=max_months, month_days=month_days)
    if ar > 0 and (not steps or steps[-1].ar_after > 0):
        flags.add(Flag.HISTORY_EXHAUSTED)
    total_days = sum((s.days_added for s in steps), Fraction(0))
    return KpiResult.of(kpi, Unit.DAYS, total_days, flags=flags, method=COUNTBACK, basis=basis)


def countback_dso(
    ending_ar: Number, monthly_sales: MonthlySales, *, max_months: int = 12, month_days: str = "actual"
) -> KpiResult:
    """Countback (exhaustion) DSO (§2).

    ``monthly_sales`` is ``[(sales, days_in_month), …]`` most recent month first (see
    ``periods.sales_by_month``). If AR outlasts the ``max_months`` months given, the days so far are
    returned flagged ``HISTORY_EXHAUSTED`` (a lower bound: ``result.text()`` shows "≥ N").
    ``month_days="flat30"`` is the labelled 30-days-per-month option. Ending AR ≤ 0 → 0 days.
    """
    return _countback("dso", ending_ar, monthly_sales, max_months, month_days)


def countback_best_possible_dso(
    current_ar: Number,
    monthly_sales: MonthlySales,
    *,
    total_ar: Number | None = None,
    max_months: int = 12,
    month_days: str = "actual",
) -> KpiResult:
    """BPDSO by countback on current AR, the partner of ``countback_dso`` for a consistent ADD (§2, §3)."""
    if total_ar is not None and to_fraction(current_ar, "current_ar") > to_fraction(total_ar, "total_ar"):
        raise InconsistentDataError(f"current AR {current_ar} exceeds total AR {total_ar}: the data feed is wrong")
    return _countback("bpdso", current_ar, monthly_sales, max_months, month_days)


def average_days_delinquent(dso_value: KpiResult, bpdso_value: KpiResult) -> KpiResult:
    """ADD = DSO − BPDSO (CRF, §4). Both must come from the same method and the same sales basis."""
    if dso_value.kpi != "dso" or bpdso_value.kpi != "bpdso":
        raise KpiInputError(f"ADD needs a DSO and a BPDSO, got {dso_value.kpi} and {bpdso_value.kpi}")
    if dso_value.method != bpdso_value.method:
        raise MethodMismatchError(
            f"refusing to subtract a {bpdso_value.method} BPDSO from a {dso_value.method} DSO; use one method for both"
        )
    if dso_value.basis != bpdso_value.basis:
        raise MethodMismatchError("DSO and BPDSO were computed on different credit sales or periods")
    flags = dso_value.flags | bpdso_value.flags
    for part in (dso_value, bpdso_value):
        if part.exact is None:
            assert part.reason is not None
            return KpiResult.undefined("add", Unit.DAYS, part.reason, flags=flags, method=dso_value.method)
    assert dso_value.exact is not None
    assert bpdso_value.exact is not None
    return KpiResult.of("add", Unit.DAYS, dso_value.exact - bpdso_value.exact, flags=flags, method=dso_value.method)
