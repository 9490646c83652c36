"""Assertions shared by the KPI tests: the doc's display figure to the cent, the ±0.005 tolerance for derived ones."""

from __future__ import annotations

from decimal import Decimal

from arrears.analytics.kpis import KpiResult

TOLERANCE = Decimal("0.005")


def assert_figure(result: KpiResult, shown: str) -> None:
    """The 2-dp display equals the figure printed in KPIS.md, and the full value is within ±0.005 of it."""
    assert result.reason is None, f"{result.kpi} is undefined: {result.reason}"
    assert result.display == Decimal(shown), f"{result.kpi}: {result.display} shown, KPIS.md says {shown}"
    assert result.value is not None
    assert abs(result.value - Decimal(shown)) <= TOLERANCE


def assert_undefined(result: KpiResult, reason: str) -> None:
    assert result.value is None
    assert result.exact is None
    assert result.display is None
    assert result.reason == reason
