"""Bad-debt write-off ratio, gross and net of recoveries, to sales or to average AR (KPIS.md §15)."""

from __future__ import annotations

from dataclasses import dataclass

from .core import KpiResult, Number, Reason, Unit, percent, require_choice, require_non_negative, to_fraction

BASES = ("sales", "ar")


@dataclass(frozen=True, slots=True)
class WriteOffRatio:
    gross: KpiResult
    net: KpiResult


def write_off_ratio(write_offs: Number, denominator: Number, recoveries: Number = 0, *, basis: str = "sales") -> WriteOffRatio:
    """Gross = write-offs booked / D × 100; net = (write-offs − recoveries of written-off balances) / D × 100.

    ``basis="sales"`` (default): D = net credit sales of the period (≤ 0 → ``ZERO_CREDIT_SALES``).
    ``basis="ar"`` (variant): D = average total AR of the period (≤ 0 → ``NON_POSITIVE_AVERAGE_AR``).
    Realised losses only (not allowance movements). A negative net ratio is reported as computed.
    """
    require_choice("basis", basis, BASES)
    booked = require_non_negative("write_offs", write_offs)
    recovered = require_non_negative("recoveries", recoveries)
    base = to_fraction(denominator, "credit_sales" if basis == "sales" else "average_ar")
    if base <= 0:
        reason = Reason.ZERO_CREDIT_SALES if basis == "sales" else Reason.NON_POSITIVE_AVERAGE_AR
        return WriteOffRatio(
            KpiResult.undefined("write_off_ratio_gross", Unit.PERCENT, reason, method=basis),
            KpiResult.undefined("write_off_ratio_net", Unit.PERCENT, reason, method=basis),
        )
    return WriteOffRatio(
        KpiResult.of("write_off_ratio_gross", Unit.PERCENT, percent(booked, base), method=basis),
        KpiResult.of("write_off_ratio_net", Unit.PERCENT, percent(booked - recovered, base), method=basis),
    )
