"""Collection Effectiveness Index, Credit Research Foundation definition (KPIS.md §5)."""

from __future__ import annotations

from .core import Flag, KpiResult, Number, Reason, Unit, percent, require_positive_int, to_fraction


def cei(
    beginning_ar: Number, credit_sales: Number, ending_total_ar: Number, ending_current_ar: Number, *, months: int = 1
) -> KpiResult:
    """CEI = (B + S/N − ending total) / (B + S/N − ending current) × 100.

    ``months`` is N, the number of **months** in the period (1 monthly, 3 quarterly), never days.
    Denominator ≤ 0 → ``ZERO_DENOMINATOR``; a negative CEI is computed and flagged ``NEGATIVE_CEI``.
    """
    n = require_positive_int("months", months)
    available = to_fraction(beginning_ar, "beginning_ar") + to_fraction(credit_sales, "credit_sales") / n
    numerator = available - to_fraction(ending_total_ar, "ending_total_ar")
    denominator = available - to_fraction(ending_current_ar, "ending_current_ar")
    method = f"crf_n{n}"
    if denominator <= 0:
        return KpiResult.undefined("cei", Unit.PERCENT, Reason.ZERO_DENOMINATOR, method=method)
    value = percent(numerator, denominator)
    return KpiResult.of("cei", Unit.PERCENT, value, flags=[Flag.NEGATIVE_CEI] if value < 0 else [], method=method)
